#pragma once
// A message as the Redis scripts store and publish it: a JSON object with the message's fields,
// its time in milliseconds (as text, so that no float rounds it) and the epoch it was stored
// under. Decoding renders it once, like every message (core/message.hpp).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/message.hpp"

namespace pollchat::redis {

struct stored_message {
  std::string epoch;
  message_ptr message;
  std::string member{};  // a join or leave: the member, named across instances ("" otherwise)
  member_via via = member_via::http;
  // An explicit leave: the instances that served the member, each of which forgets it.
  std::vector<std::string> holders{};
};

// nullopt for anything that is not a well-formed stored message (never trusted blindly: Redis
// is shared, and a channel may carry what another program published).
std::optional<stored_message> decode(std::string_view json);

// The time argument of the post script.
std::string encode_time(std::chrono::system_clock::time_point time);

}  // namespace pollchat::redis
