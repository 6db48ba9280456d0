#pragma once
// The rules a request must meet as an HTTP message, before the API looks at it (RFC 9112):
// how its body is framed, its Host header, and the forms its target may take. A framing error
// means the end of the request is unknown, so the connection closes after the answer.

#include <boost/beast/http/message.hpp>
#include <boost/system/result.hpp>
#include <boost/url/url_view.hpp>
#include <optional>
#include <string_view>

#include "http/api_error.hpp"

namespace pollchat {

using request_header = boost::beast::http::request_header<>;

// Transfer-Encoding is exactly `chunked` (RFC 9112 §6.1, §6.3): another coding, a list of them,
// `chunked` twice, Transfer-Encoding with Content-Length, or Transfer-Encoding in HTTP/1.0 is
// refused (400, or 501 for a coding this server does not implement).
std::optional<api_error> check_framing(const request_header& header);

// An HTTP/1.1 request has exactly one Host; any request has at most one (RFC 9112 §3.2).
std::optional<api_error> check_host(const request_header& header);

// The target in origin form (`/chat?since=3`) or absolute form (`http://host:9000/chat`,
// RFC 9112 §3.2.2: a server must accept it and route by its path). Other forms are an error.
boost::system::result<boost::urls::url_view> parse_target(std::string_view target);

// The path to route by: an absolute form without a path means `/`.
inline std::string_view route_path(const boost::urls::url_view& url) {
  const std::string_view path = url.encoded_path();
  return path.empty() ? std::string_view("/") : path;
}

}  // namespace pollchat
