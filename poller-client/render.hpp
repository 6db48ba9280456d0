#pragma once
// How poller-client prints a message (SPEC §7):
//   [14:33:00] alice: hi
//   [14:33:05] * bob joined
//   [14:34:10] * bob left
// in local time, a body's own line breaks continued on lines indented by two spaces (so a line
// that starts with '[' always starts a message), terminal controls made harmless; or, with
// --json, the message object as one JSON line.

#include <string>
#include <string_view>

#include "poller-client/protocol.hpp"

namespace pollchat::client {

// "HH:MM:SS" in the local time zone for an RFC 3339 UTC time, "--:--:--" when unreadable.
std::string clock_time(std::string_view rfc3339);

// The message's text lines, each ending in '\n'.
std::string render_text(const chat_message& message);

// The message object on one line, ending in '\n'.
std::string render_json(const chat_message& message);

}  // namespace pollchat::client
