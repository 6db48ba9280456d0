#pragma once
// What --version prints, for chat-server and poller-client alike.

#include <string>
#include <string_view>

namespace pollchat {

// "chat-server 0.1.0 (commit 90478f9)": the program, the project's version and the commit it
// was built from ("-dirty" with uncommitted changes, "unknown" outside a git checkout).
std::string version_line(std::string_view program);

}  // namespace pollchat
