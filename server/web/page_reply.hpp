#pragma once
// The web page and its files as HTTP answers. Compiled into the server library (it speaks the
// server's response type); the bytes come from static_assets.

#include <optional>
#include <string_view>

#include "http/chat_body.hpp"

namespace pollchat {

// Every page response carries this policy: scripts, styles, images and requests only from the
// server itself, no inline script or style, no plugins, no framing, no <base> tricks. Even if
// a message ever reached the DOM as HTML, the browser would run none of it.
inline constexpr std::string_view page_security_policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// The file `name` of web/ ("index.html" for GET /): 200 with its bytes, or 304 without them
// when `if_none_match` names its ETag. nullopt when there is no such file.
std::optional<response> page_reply(std::string_view name, std::string_view if_none_match);

// Whether an If-None-Match value matches `etag`: "*", or a comma-separated list that holds it
// (the weak comparison that RFC 9110 asks of If-None-Match: a W/ prefix is ignored).
bool etag_matches(std::string_view if_none_match, std::string_view etag);

}  // namespace pollchat
