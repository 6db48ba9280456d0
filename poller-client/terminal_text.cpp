#include "poller-client/terminal_text.hpp"

#include <cstdint>
#include <cstdio>

namespace pollchat::client {
namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629: no overlong forms,
// no surrogates, nothing past U+10FFFF), or 0 when it is not one.
std::size_t sequence_length(std::string_view s) {
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(s[i]); };
  const auto continuation = [&](std::size_t i) { return i < s.size() && (byte(i) & 0xC0) == 0x80; };
  const std::uint8_t lead = byte(0);
  if (lead < 0x80)
    return 1;
  if (lead >= 0xC2 && lead <= 0xDF)
    return continuation(1) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    if (!continuation(1) || !continuation(2))
      return 0;
    if (lead == 0xE0 && byte(1) < 0xA0)
      return 0;  // overlong
    if (lead == 0xED && byte(1) > 0x9F)
      return 0;  // surrogate
    return 3;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    if (!continuation(1) || !continuation(2) || !continuation(3))
      return 0;
    if (lead == 0xF0 && byte(1) < 0x90)
      return 0;  // overlong
    if (lead == 0xF4 && byte(1) > 0x8F)
      return 0;  // past U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

std::string terminal_safe(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  while (!s.empty()) {
    const std::size_t n = sequence_length(s);
    if (n == 0) {
      out += replacement;
      s.remove_prefix(1);
      continue;
    }
    const auto lead = static_cast<std::uint8_t>(s[0]);
    if (n == 1 && lead < 0x20 && lead != '\n' && lead != '\t') {
      out += '^';
      out += static_cast<char>(lead + 0x40);
    } else if (n == 1 && lead == 0x7F) {
      out += "^?";
    } else if (n == 2 && lead == 0xC2 && static_cast<std::uint8_t>(s[1]) <= 0x9F) {
      char code[12];
      std::snprintf(code, sizeof code, "<U+%04X>",
                    static_cast<unsigned>(static_cast<std::uint8_t>(s[1])));
      out += code;
    } else {
      out.append(s.substr(0, n));
    }
    s.remove_prefix(n);
  }
  return out;
}

}  // namespace pollchat::client
