#include "stamp.hpp"

#include <charconv>

namespace pollchat::bench {

std::string format_stamp(const stamp& s) {
  return "seq=" + std::to_string(s.seq) + " t=" + std::to_string(s.sent_ns);
}

namespace {

// Reads "<prefix><decimal>" at the front of text and advances past it.
bool take_field(std::string_view& text, std::string_view prefix, std::int64_t& value) {
  if (!text.starts_with(prefix)) {
    return false;
  }
  text.remove_prefix(prefix.size());
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr == text.data() || value < 0) {
    return false;
  }
  text.remove_prefix(static_cast<std::size_t>(ptr - text.data()));
  return true;
}

}  // namespace

std::optional<stamp> parse_stamp(std::string_view body) {
  stamp s;
  if (!take_field(body, "seq=", s.seq) || !take_field(body, " t=", s.sent_ns) || !body.empty()) {
    return std::nullopt;
  }
  return s;
}

}  // namespace pollchat::bench
