#include "http/request_rules.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/url/grammar/error.hpp>
#include <boost/url/parse.hpp>
#include <iterator>

#include "common/http_text.hpp"
#include "http/header_fields.hpp"

namespace pollchat {
namespace {

namespace http = boost::beast::http;
namespace urls = boost::urls;

api_error framing_error(std::string message) {
  return {http::status::bad_request, "bad_framing", std::move(message)};
}

}  // namespace

std::optional<api_error> check_framing(const request_header& header) {
  if (field_count(header, http::field::transfer_encoding) == 0) {
    return std::nullopt;  // nearly every request: found without a lookup in Beast's tree
  }
  const auto fields = header.equal_range(http::field::transfer_encoding);
  if (header.version() < 11) {
    return framing_error("HTTP/1.0 has no Transfer-Encoding; send Content-Length");
  }
  if (field_count(header, http::field::content_length) != 0) {
    return framing_error("send Content-Length or Transfer-Encoding, not both");
  }
  // The one value accepted is one line that says `chunked`. Beast frames `chunked, identity`
  // by Content-Length and decodes `chunked` in HTTP/1.0: a proxy in front may read either the
  // other way (request smuggling).
  if (std::next(fields.first) == fields.second && boost::beast::iequals(trim_ows(fields.first->value()), "chunked")) {
    return std::nullopt;
  }
  // Refused either way; the status says whether the list could be framed at all.
  std::size_t codings = 0;
  std::size_t chunked = 0;
  bool last_is_chunked = false;
  for (auto it = fields.first; it != fields.second; ++it) {
    for (const auto coding : http::token_list(it->value())) {
      ++codings;
      last_is_chunked = boost::beast::iequals(coding, "chunked");
      chunked += last_is_chunked ? 1 : 0;
    }
  }
  // 501 only for a well-formed list of other codings then chunked (`gzip, chunked`).
  if (!last_is_chunked || chunked > 1 || codings < 2) {
    return framing_error("Transfer-Encoding must end with chunked, once; where this body ends is unknown");
  }
  return api_error{http::status::not_implemented, "unsupported_transfer_coding",
                   "the only transfer coding supported is chunked"};
}

std::optional<api_error> check_host(const request_header& header) {
  const std::size_t hosts = field_count(header, http::field::host);
  if (hosts > 1) {
    return api_error{http::status::bad_request, "bad_host", "send one Host header, not several"};
  }
  if (hosts == 0 && header.version() >= 11) {
    return api_error{http::status::bad_request, "bad_host", "HTTP/1.1 requests must carry a Host header"};
  }
  return std::nullopt;
}

boost::system::result<urls::url_view> parse_target(std::string_view target) {
  if (target.starts_with('/')) {
    return urls::parse_origin_form(target);
  }
  auto absolute = urls::parse_absolute_uri(target);
  if (absolute && (absolute->scheme_id() == urls::scheme::http ||
                   absolute->scheme_id() == urls::scheme::https)) {
    return absolute;
  }
  return urls::grammar::error::mismatch;  // authority or asterisk form, or not a URL
}

}  // namespace pollchat
