#include "poller-client/render.hpp"

#include <charconv>
#include <ctime>

#include "common/utf8.hpp"

namespace pollchat::client {
namespace {

// Reads `width` digits at `pos`; false when they are not all there.
bool read_number(std::string_view s, std::size_t pos, std::size_t width, int& value) {
  if (pos + width > s.size())
    return false;
  const char* first = s.data() + pos;
  const auto [end, ec] = std::from_chars(first, first + width, value);
  return ec == std::errc() && end == first + width;
}

// SPEC §2: nothing a poster writes can steer the reader's terminal (invalid UTF-8 becomes
// U+FFFD, controls but '\n' and '\t' are shown as ^[ or <U+009B>).
std::string terminal_safe(std::string_view s) {
  std::string safe;
  utf8::append_terminal_safe(safe, s);
  return safe;
}

// A name on one line: a line break kept by terminal_safe() would start a forged line.
std::string one_line(std::string_view s) {
  std::string safe = terminal_safe(s);
  for (std::size_t at = 0; (at = safe.find('\n', at)) != std::string::npos;)
    safe.replace(at, 1, "^J");
  return safe;
}

}  // namespace

std::string clock_time(std::string_view rfc3339) {
  // 2026-11-22T14:33:00.123Z: fractions ignored, only UTC ("Z") is what the server sends.
  std::tm utc{};
  const bool ok =
      rfc3339.size() >= 20 && read_number(rfc3339, 0, 4, utc.tm_year) && rfc3339[4] == '-' &&
      read_number(rfc3339, 5, 2, utc.tm_mon) && rfc3339[7] == '-' &&
      read_number(rfc3339, 8, 2, utc.tm_mday) && (rfc3339[10] == 'T' || rfc3339[10] == 't') &&
      read_number(rfc3339, 11, 2, utc.tm_hour) && rfc3339[13] == ':' &&
      read_number(rfc3339, 14, 2, utc.tm_min) && rfc3339[16] == ':' &&
      read_number(rfc3339, 17, 2, utc.tm_sec) && (rfc3339.back() == 'Z' || rfc3339.back() == 'z');
  if (!ok)
    return "--:--:--";
  utc.tm_year -= 1900;
  utc.tm_mon -= 1;
  const std::time_t when = timegm(&utc);
  std::tm local{};
  if (when == -1 || localtime_r(&when, &local) == nullptr)
    return "--:--:--";
  char text[16];
  std::strftime(text, sizeof text, "%H:%M:%S", &local);
  return text;
}

std::string render_text(const chat_message& message) {
  // Appended piece by piece: GCC 12 warns (-Wrestrict, a false positive, GCC bug 105329)
  // about `"[" + std::string&&` in a Release build.
  std::string line = "[";
  line += clock_time(message.time);
  line += "] ";
  const std::string from = one_line(message.from);
  if (message.type == "join") {
    line += "* " + from + " joined\n";
  } else if (message.type == "leave") {
    line += "* " + from + " left\n";
  } else {
    line += from + ": ";
    const std::string body = terminal_safe(message.body);
    for (const char c : body) {
      line += c;
      if (c == '\n')
        line += "  ";
    }
    line += '\n';
  }
  return line;
}

std::string render_json(const chat_message& message) {
  return message.object.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) +
         '\n';
}

}  // namespace pollchat::client
