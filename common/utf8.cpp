#include "common/utf8.hpp"

#include <array>
#include <cstdint>
#include <fmt/format.h>

namespace pollchat::utf8 {
namespace {

constexpr char32_t replacement = 0xFFFD;

// Decodes one code point at `s[i]`; returns its length, or 0 when the sequence is invalid.
std::size_t decode(std::string_view s, std::size_t i, char32_t& cp) {
  const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(s[i + k]); };
  const std::uint8_t lead = byte(0);
  std::size_t len = 0;
  char32_t min = 0;
  if (lead < 0x80) {
    cp = lead;
    return 1;
  } else if ((lead & 0xE0) == 0xC0) {
    len = 2, cp = lead & 0x1Fu, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    len = 3, cp = lead & 0x0Fu, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    len = 4, cp = lead & 0x07u, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) {
    return 0;
  }
  for (std::size_t k = 1; k < len; ++k) {
    if ((byte(k) & 0xC0) != 0x80) {
      return 0;
    }
    cp = (cp << 6) | (byte(k) & 0x3Fu);
  }
  const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
  if (cp < min || cp > 0x10FFFF || surrogate) {
    return 0;
  }
  return len;
}

void append_code_point(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool is_control(char32_t cp) { return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F); }

// Calls `found` on each code point of `s` until it returns true; invalid bytes count as found.
template <typename Predicate>
bool any_code_point(std::string_view s, Predicate found) {
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    const std::size_t len = decode(s, i, cp);
    if (len == 0 || found(cp)) {
      return true;
    }
    i += len;
  }
  return false;
}

}  // namespace

bool is_reordering_or_invisible(char32_t cp) {
  // U+200B..U+200F: zero-width space, ZWNJ, ZWJ, LRM, RLM. U+2028..U+202E: line and paragraph
  // separators, then the embeddings and overrides LRE RLE PDF LRO RLO.
  return cp == 0x061C || (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202E) ||
         cp == 0x2060 || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF;
}

std::optional<std::size_t> count_code_points(std::string_view s) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size(); ++count) {
    char32_t cp = 0;
    const std::size_t len = decode(s, i, cp);
    if (len == 0) {
      return std::nullopt;
    }
    i += len;
  }
  return count;
}

bool has_control(std::string_view s) { return any_code_point(s, is_control); }

bool has_reordering_or_invisible(std::string_view s) {
  return any_code_point(s, is_reordering_or_invisible);
}

std::string replace_invalid(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    const std::size_t len = decode(s, i, cp);
    if (len == 0) {
      append_code_point(out, replacement);
      ++i;  // resynchronise on the next byte
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  return out;
}

void append_terminal_safe(std::string& out, std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    std::size_t len = decode(s, i, cp);
    if (len == 0) {  // callers pass valid UTF-8; stay safe anyway
      cp = replacement;
      len = 1;
    }
    if (cp == '\n' || cp == '\t' || !(is_control(cp) || is_reordering_or_invisible(cp))) {
      if (cp == replacement && len == 1) {
        append_code_point(out, cp);
      } else {
        out.append(s.substr(i, len));
      }
    } else if (cp < 0x20) {
      out += '^';
      out += static_cast<char>(cp + 0x40);
    } else if (cp == 0x7F) {
      out += "^?";
    } else {
      out += fmt::format("<U+{:04X}>", static_cast<std::uint32_t>(cp));
    }
    i += len;
  }
}

}  // namespace pollchat::utf8
