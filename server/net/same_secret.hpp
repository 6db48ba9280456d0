#pragma once
// The one comparison of a client's token with --token, shared by both doors (HTTP's bearer
// header and the TCP room's /auth line), so the rule and its timing are the same everywhere.

#include <string_view>

namespace pollchat {

// True when `given` equals `secret`. Looks at every byte of `given` whatever it holds, so the
// time taken does not reveal how much of a guess was right.
bool same_secret(std::string_view given, std::string_view secret);

}  // namespace pollchat
