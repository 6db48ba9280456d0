#pragma once
// Small text rules of HTTP that several parsers share (header values, the proxy headers).

#include <string_view>

namespace pollchat {

// Optional whitespace around a header value or a list element (RFC 9110 §5.6.3: spaces and
// horizontal tabs).
constexpr bool is_ows(char c) { return c == ' ' || c == '\t'; }

constexpr std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace pollchat
