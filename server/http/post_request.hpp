#pragma once
// Reads what a POST /chat carries: form, JSON or plain-text bodies, with `name` and `client`
// also accepted from the query string.

#include <boost/url/params_view.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "http/api_error.hpp"

namespace pollchat {

struct post_fields {
  std::string body;
  std::string name;    // "anonymous" when none or an empty one was given
  std::string client;  // empty when none was given
};

struct post_limits {
  std::size_t max_message = 4096;
};

// `content_type` is the raw header value (may be empty); `query` the decoded query parameters.
std::variant<post_fields, api_error> parse_post(std::string_view content_type,
                                                std::string_view body,
                                                const boost::urls::params_view& query,
                                                const post_limits& limits);

// Whether a POST with this Content-Type can be read at all (form, JSON, text, or none).
bool is_supported_post_type(std::string_view content_type);
api_error unsupported_media_type();

// Shared checks for the optional fields, also used by GET: a display name of 1 to 32 characters
// of UTF-8 without control characters; a client id of at most 64 characters.
std::variant<std::string, api_error> check_name(std::string_view name);
std::variant<std::string, api_error> check_client(std::string_view client);

// The first value of `key` in a form body; nullopt when absent or when the form is malformed.
std::optional<std::string> find_form_field(std::string_view form_body, std::string_view key);

// Percent-encodes every byte a URL query may not hold raw (spaces, non-ASCII, ...) but keeps
// '%' escapes and '+', so a form body sent by `curl --data "body=Hello world!"` parses.
std::string escape_form_body(std::string_view body);

}  // namespace pollchat
