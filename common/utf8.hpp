#pragma once
// UTF-8 checks and the terminal-safe rendering every text view of a message uses.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace pollchat::utf8 {

// The number of code points in `s`, or nullopt when `s` is not valid UTF-8 (overlong forms,
// surrogates and code points past U+10FFFF are invalid too).
std::optional<std::size_t> count_code_points(std::string_view s);

inline bool is_valid(std::string_view s) { return count_code_points(s).has_value(); }

// True when `s` holds a C0 control, DEL or a C1 control (U+0080..U+009F). Assumes valid UTF-8.
bool has_control(std::string_view s);

// `s` with every invalid sequence replaced by U+FFFD (for raw TCP input).
std::string replace_invalid(std::string_view s);

// Appends `s` (valid UTF-8) so that no byte can steer a terminal: C0 controls but '\n' and '\t'
// in caret notation (^[ for ESC), DEL as ^?, C1 controls as <U+009B>.
void append_terminal_safe(std::string& out, std::string_view s);

}  // namespace pollchat::utf8
