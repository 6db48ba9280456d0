#include "store/redis/stored_message.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

#include "common/names.hpp"

namespace pollchat::redis {
namespace {

std::optional<message_type> type_of(std::string_view text) {
  if (text == "message") return message_type::message;
  if (text == "join") return message_type::join;
  if (text == "leave") return message_type::leave;
  return std::nullopt;
}

}  // namespace

std::string encode_time(std::chrono::system_clock::time_point time) {
  return std::to_string(
      std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count());
}

std::optional<stored_message> decode(std::string_view json) {
  const auto doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return std::nullopt;
  }
  const auto text = [&](const char* field) -> const std::string* {
    const auto it = doc.find(field);
    return it != doc.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
  };
  const auto id = doc.find("id");
  const std::string* epoch = text("epoch");
  const std::string* room = text("room");
  const std::string* type = text("type");
  const std::string* from = text("from");
  const std::string* body = text("body");
  const std::string* time = text("time_ms");
  if (id == doc.end() || !id->is_number_unsigned() || epoch == nullptr || room == nullptr ||
      type == nullptr || from == nullptr || body == nullptr || time == nullptr ||
      !is_valid_room_name(*room) || !type_of(*type) || id->get<std::uint64_t>() == 0) {
    return std::nullopt;
  }
  long long ms = 0;
  const auto [end, ec] = std::from_chars(time->data(), time->data() + time->size(), ms);
  if (ec != std::errc{} || end != time->data() + time->size()) {
    return std::nullopt;
  }
  message_draft draft{*type_of(*type), *from, *body};
  const std::chrono::system_clock::time_point when{std::chrono::milliseconds(ms)};
  stored_message out{*epoch, make_message(id->get<std::uint64_t>(), *room, std::move(draft), when)};
  if (const std::string* member = text("member")) {
    out.member = *member;
    const std::string* via = text("via");
    out.via = via != nullptr && *via == "tcp" ? member_via::tcp : member_via::http;
    if (const auto holders = doc.find("holders"); holders != doc.end() && holders->is_array()) {
      for (const auto& holder : *holders) {
        if (holder.is_string()) {
          out.holders.push_back(holder.get<std::string>());
        }
      }
    }
  }
  return out;
}

}  // namespace pollchat::redis
