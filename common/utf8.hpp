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

// The characters that reorder or hide text without being controls (SPEC §2): the bidi controls
// U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069; the zero-width U+200B..U+200D, U+2060,
// U+FEFF; and the separators U+2028, U+2029.
bool is_reordering_or_invisible(char32_t cp);

// True when `s` holds one of them. Assumes valid UTF-8.
bool has_reordering_or_invisible(std::string_view s);

// `s` with every invalid sequence replaced by U+FFFD (for raw TCP input).
std::string replace_invalid(std::string_view s);

// Appends `s` (valid UTF-8) so that no byte can steer a terminal or disguise text: C0 controls
// but '\n' and '\t' in caret notation (^[ for ESC), DEL as ^?, C1 controls and the reordering or
// invisible characters above as <U+009B>, <U+202E> (uppercase hex, at least four digits).
void append_terminal_safe(std::string& out, std::string_view s);

}  // namespace pollchat::utf8
