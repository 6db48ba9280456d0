#pragma once
// The naming rules the server enforces and the client checks before it sends anything.

#include <optional>
#include <string>
#include <string_view>

namespace pollchat {

// A room name is [A-Za-z0-9_.-]{1,64}, taken literally (no percent-decoding).
bool is_valid_room_name(std::string_view name);

// A display name: 1 to 32 characters of UTF-8 without control characters and without the
// characters that reorder or hide text (utf8::is_reordering_or_invisible); an empty one is
// "anonymous". nullopt when refused.
std::optional<std::string> display_name(std::string_view name);

}  // namespace pollchat
