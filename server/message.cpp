#include "message.hpp"

#include <ctime>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "utf8.hpp"

namespace pollchat {

std::string_view to_string(message_type type) {
  switch (type) {
    case message_type::join:
      return "join";
    case message_type::leave:
      return "leave";
    case message_type::message:
      break;
  }
  return "message";
}

std::string format_time(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(time.time_since_epoch());
  const std::time_t seconds = duration_cast<std::chrono::seconds>(ms).count();
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  const auto millis = ms.count() % 1000;
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                     millis < 0 ? millis + 1000 : millis);
}

std::string render_text(message_type type, std::string_view from, std::string_view body) {
  std::string out;
  out.reserve(from.size() + body.size() + 16);
  utf8::append_terminal_safe(out, from);
  if (type == message_type::join) {
    out += " joined.\n";
    return out;
  }
  if (type == message_type::leave) {
    out += " has left.\n";
    return out;
  }
  out += ": ";
  // Every line break of the body starts an indented continuation line, so a line at column 0
  // always starts a message and no body can forge one.
  std::size_t start = 0;
  while (true) {
    const std::size_t end = body.find('\n', start);
    utf8::append_terminal_safe(out, body.substr(start, end - start));
    out += '\n';
    if (end == std::string_view::npos) {
      break;
    }
    out += "  ";
    start = end + 1;
  }
  return out;
}

message_ptr make_message(std::uint64_t id, std::string_view room, message_draft draft,
                         std::chrono::system_clock::time_point time) {
  auto m = std::make_shared<message>();
  m->id = id;
  m->room = std::string(room);
  m->type = draft.type;
  m->from = std::move(draft.from);
  m->body = std::move(draft.body);
  m->time = time;

  // ordered_json keeps the documented field order.
  nlohmann::ordered_json object;
  object["id"] = m->id;
  object["room"] = m->room;
  object["type"] = to_string(m->type);
  object["from"] = m->from;
  object["body"] = m->body;
  object["time"] = format_time(m->time);
  m->json = object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  m->text = render_text(m->type, m->from, m->body);
  return m;
}

}  // namespace pollchat
