#include "poller-client/protocol.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <random>

namespace pollchat::client {
namespace {

using json = nlohmann::ordered_json;

// Every byte but the RFC 3986 unreserved ones percent-encoded, '+' included (a form decoder
// reads a bare '+' as a space).
std::string query_value(std::string_view value) {
  return boost::urls::encode(value, boost::urls::unreserved_chars);
}

const std::string* string_field(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
}

std::optional<std::int64_t> integer_field(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer())
    return std::nullopt;
  return it->get<std::int64_t>();
}

std::optional<chat_message> to_message(const json& object) {
  if (!object.is_object())
    return std::nullopt;
  const auto id = integer_field(object, "id");
  const auto* type = string_field(object, "type");
  const auto* from = string_field(object, "from");
  const auto* time = string_field(object, "time");
  if (!id || !type || !from || !time)
    return std::nullopt;
  const auto* body = string_field(object, "body");  // join and leave may come without one
  return chat_message{*id, *type, *from, body ? *body : std::string(), *time, object};
}

}  // namespace

std::optional<chat_message> parse_message(std::string_view body) {
  const json object = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded())
    return std::nullopt;
  return to_message(object);
}

std::optional<poll_answer> parse_poll_answer(std::string_view body) {
  const json object = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded() || !object.is_object())
    return std::nullopt;
  const auto* epoch = string_field(object, "epoch");
  const auto next = integer_field(object, "next");
  const auto messages = object.find("messages");
  if (!epoch || !next || messages == object.end() || !messages->is_array())
    return std::nullopt;

  poll_answer answer{*epoch, {}, *next, integer_field(object, "missed").value_or(0)};
  answer.messages.reserve(messages->size());
  for (const auto& item : *messages) {
    auto message = to_message(item);
    if (!message)
      return std::nullopt;
    answer.messages.push_back(std::move(*message));
  }
  return answer;
}

std::string error_message(std::string_view body) {
  const json object = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded() || !object.is_object())
    return {};
  const auto* message = string_field(object, "message");
  return message ? *message : std::string();
}

std::string poll_target(const client_options& options, std::string_view client_id,
                        const poll_query& query) {
  std::string target = options.server.prefix + "/chat/" + options.room + "?format=json";
  if (query.since)
    target += "&since=" + std::to_string(*query.since);
  if (!query.epoch.empty())
    target += "&epoch=" + query_value(query.epoch);
  target += "&timeout=" + std::to_string(query.timeout);
  if (query.limit > 0)
    target += "&limit=" + std::to_string(query.limit);
  if (query.member) {
    target += "&client=" + query_value(client_id);
    target += "&name=" + query_value(options.name);
  }
  return target;
}

std::string post_target(const client_options& options) {
  return options.server.prefix + "/chat/" + options.room;
}

std::string leave_target(const client_options& options) {
  return options.server.prefix + "/rooms/" + options.room + "/leave";
}

std::string post_body(std::string_view line, std::string_view name, std::string_view client_id) {
  const json body = {{"body", line}, {"name", name}, {"client", client_id}};
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string random_token() {
  // Straight from the OS: a client id is what lets its holder leave, so it must not be guessable
  // from other tokens, and a few tokens per typed line cost nothing.
  std::random_device source;
  static constexpr char digits[] = "0123456789abcdef";
  std::string token;
  for (int word = 0; word < 4; ++word) {
    std::uint32_t bits = source();
    for (int i = 0; i < 8; ++i, bits >>= 4)
      token += digits[bits & 0xF];
  }
  return token;
}

}  // namespace pollchat::client
