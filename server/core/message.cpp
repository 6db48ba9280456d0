#include "core/message.hpp"

#include <ctime>
#include <limits>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/utf8.hpp"

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

namespace {

// Appends `time` as format_time writes it.
void append_time(std::string& out, std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(time.time_since_epoch());
  const std::time_t second = floor<seconds>(ms).count();
  const auto millis = static_cast<unsigned>((ms - floor<seconds>(ms)).count());
  // Messages come many to the second: the calendar part is worked out once per second.
  thread_local std::time_t cached_second = std::numeric_limits<std::time_t>::min();
  thread_local std::string cached_prefix;  // "2026-11-22T14:33:00"
  if (second != cached_second) {
    std::tm utc{};
    gmtime_r(&second, &utc);
    cached_prefix = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", utc.tm_year + 1900,
                                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
    cached_second = second;
  }
  const char tail[] = {'.', static_cast<char>('0' + millis / 100),
                       static_cast<char>('0' + millis / 10 % 10),
                       static_cast<char>('0' + millis % 10), 'Z'};
  out.append(cached_prefix).append(tail, sizeof tail);
}

}  // namespace

std::string format_time(std::chrono::system_clock::time_point time) {
  std::string out;
  out.reserve(24);
  append_time(out, time);
  return out;
}

namespace {

// Printable ASCII: a terminal shows it as it is, and it is never part of a multi-byte UTF-8
// sequence, so a string may be cut before or after it without splitting a code point.
// (Lambdas rather than functions, so that for_each_run's loop inlines them.)
constexpr auto is_plain_text = [](char c) { return c >= 0x20 && c <= 0x7E; };
constexpr auto is_plain_json = [](char c) { return is_plain_text(c) && c != '"' && c != '\\'; };

// Calls `f(run, plain)` for each maximal run of `s` whose bytes are all plain or all not.
template <typename Plain, typename F>
void for_each_run(std::string_view s, Plain plain, F&& f) {
  std::size_t start = 0;
  while (start < s.size()) {
    const bool kind = plain(s[start]);
    std::size_t end = start + 1;
    while (end < s.size() && plain(s[end]) == kind) {
      ++end;
    }
    f(s.substr(start, end - start), kind);
    start = end;
  }
}

// One line (no '\n') made terminal-safe: plain runs copied, the rest through the full rule
// (common/utf8), which a plain run would pass unchanged anyway.
void append_text_line(std::string& out, std::string_view s) {
  for_each_run(s, is_plain_text, [&](std::string_view run, bool plain) {
    if (plain) {
      out += run;
    } else {
      utf8::append_terminal_safe(out, run);
    }
  });
}

void append_text(std::string& out, message_type type, std::string_view from,
                 std::string_view body) {
  append_text_line(out, from);
  if (type == message_type::join) {
    out += " joined.\n";
    return;
  }
  if (type == message_type::leave) {
    out += " has left.\n";
    return;
  }
  out += ": ";
  // Every line break of the body starts an indented continuation line, so a line at column 0
  // always starts a message and no body can forge one.
  std::size_t start = 0;
  while (true) {
    const std::size_t end = body.find('\n', start);
    append_text_line(out, body.substr(start, end - start));
    out += '\n';
    if (end == std::string_view::npos) {
      break;
    }
    out += "  ";
    start = end + 1;
  }
}

}  // namespace

std::string render_text(message_type type, std::string_view from, std::string_view body) {
  std::string out;
  out.reserve(from.size() + body.size() + 16);
  append_text(out, type, from, body);
  return out;
}

namespace {

// A JSON string. Runs of printable ASCII other than '"' and '\\' are what a JSON encoder copies
// as they are: they are copied in one step. Everything else (quotes, backslashes, control
// characters, multi-byte UTF-8) is escaped by nlohmann/json, one run at a time (invalid UTF-8,
// which input checks already keep out, would become U+FFFD rather than break the document).
// The same bytes as one nlohmann dump of the whole string (message_test checks it), at a tenth
// of the cost: rendering was most of the time of a restart (1,000,000 messages loaded) and a
// good share of a post's.
void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for_each_run(s, is_plain_json, [&](std::string_view run, bool plain) {
    if (plain) {
      out += run;
      return;
    }
    const std::string quoted =
        nlohmann::json(run).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out.append(quoted, 1, quoted.size() - 2);  // without its quotes
  });
  out += '"';
}

// The documented object, fields in the documented order. Written field by field rather than
// through a JSON document: building an ordered_json per message cost as much as the rest of a
// post.
void append_json(std::string& out, const message& m) {
  using namespace std::string_view_literals;
  out += R"({"id":)"sv;
  out += std::to_string(m.id);
  out += R"(,"room":)"sv;
  append_json_string(out, m.room);
  out += R"(,"type":")"sv;
  out += to_string(m.type);  // a fixed word: nothing to escape
  out += R"(","from":)"sv;
  append_json_string(out, m.from);
  out += R"(,"body":)"sv;
  append_json_string(out, m.body);
  out += R"(,"time":")"sv;
  append_time(out, m.time);
  out += R"("})"sv;
}

// What a message holds: its fields and renderings, the shared block, and the allocator's
// overhead for each of its heap blocks (an estimate: ~16 bytes a block with glibc).
std::size_t held_bytes(const message& m) {
  constexpr std::size_t per_block = 16;
  constexpr std::size_t shared_block = 16;
  return sizeof(message) + shared_block + per_block * 5 + m.room.capacity() + m.from.capacity() +
         m.body.capacity() + m.rendered.capacity();
}

}  // namespace

message_ptr make_message(std::uint64_t id, std::string_view room, message_draft draft,
                         std::chrono::system_clock::time_point time, memory_budget* budget) {
  auto m = std::make_shared<message>();
  m->id = id;
  m->room = std::string(room);
  m->type = draft.type;
  m->from = std::move(draft.from);
  m->body = std::move(draft.body);
  m->time = time;

  // Room for both renderings when nothing needs escaping (the JSON's fixed part with a long
  // id is under 112 bytes, the text's under 16).
  m->rendered.reserve(128 + m->room.size() + 2 * (m->from.size() + m->body.size()));
  append_json(m->rendered, *m);
  m->json_size = m->rendered.size();
  append_text(m->rendered, m->type, m->from, m->body);
  m->charge = memory_charge(budget, held_bytes(*m));
  return m;
}

}  // namespace pollchat
