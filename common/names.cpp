#include "common/names.hpp"

#include <algorithm>

#include "common/utf8.hpp"

namespace pollchat {

bool is_valid_room_name(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == '-';
  });
}

std::optional<std::string> display_name(std::string_view name) {
  if (name.empty()) {
    return std::string("anonymous");
  }
  const auto length = utf8::count_code_points(name);
  // A name is shown everywhere and read as who spoke: no control character may steer the
  // reader's terminal, and no bidi or zero-width character may make it look like another name.
  if (!length || *length > 32 || utf8::has_control(name) || utf8::has_reordering_or_invisible(name)) {
    return std::nullopt;
  }
  return std::string(name);
}

}  // namespace pollchat
