#pragma once
// The one rule every text rendering of pollchat follows (SPEC §2): nothing a poster writes can
// steer the reader's terminal.

#include <string>
#include <string_view>

namespace pollchat::client {

// `s` made safe to print: invalid UTF-8 becomes U+FFFD; C0 controls but '\n' and '\t' are shown
// in caret notation (ESC as ^[), DEL as ^?, and C1 controls (U+0080..U+009F) as <U+009B>.
std::string terminal_safe(std::string_view s);

}  // namespace pollchat::client
