// A TCP client's bytes -> the TCP room's line splitting (line_reader, as tcp_session runs it) ->
// the invalid-UTF-8 repair -> the text rendering every reader sees (GET ?format=text, the TCP
// room). Checks that the splitting loses and invents nothing and buffers within its bound, and
// that no rendering ever lets a raw control character through: nothing below U+0020 but '\n'
// (each followed by the two-space indent of a continuation line) and '\t', no DEL, no C1
// control, none of the bidi, zero-width or separator characters of SPEC §2; the output is valid
// UTF-8.

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/names.hpp"
#include "common/utf8.hpp"
#include "core/message.hpp"
#include "fuzz_support.hpp"
#include "tcp/line_reader.hpp"

namespace {

using namespace pollchat;

// Decodes valid UTF-8 (checked before) one code point at a time.
char32_t decode_at(std::string_view s, std::size_t& i) {
  const auto b = [&](std::size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(s[i + k])); };
  const char32_t lead = b(0);
  if (lead < 0x80) {
    i += 1;
    return lead;
  }
  if (lead < 0xE0) {
    const char32_t cp = ((lead & 0x1F) << 6) | (b(1) & 0x3F);
    i += 2;
    return cp;
  }
  if (lead < 0xF0) {
    const char32_t cp = ((lead & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    i += 3;
    return cp;
  }
  const char32_t cp = ((lead & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
  i += 4;
  return cp;
}

// SPEC §2's list, written out here rather than taken from common/utf8: the check must not share
// a mistake with the code it checks.
bool reorders_or_hides(char32_t cp) {
  return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069) || (cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 ||
         cp == 0xFEFF || cp == 0x2028 || cp == 0x2029;
}

void check_terminal_safe(std::string_view out) {
  FUZZ_CHECK(utf8::is_valid(out), "a rendering is valid UTF-8");
  FUZZ_CHECK(!out.empty() && out.back() == '\n', "a rendering ends its line");
  for (std::size_t i = 0; i < out.size();) {
    const std::size_t at = i;
    const char32_t cp = decode_at(out, i);
    if (cp == '\n') {
      // A line break inside a message starts a continuation line: "  " follows.
      FUZZ_CHECK(i == out.size() || out.substr(i, 2) == "  ", "no body can start a line");
      continue;
    }
    FUZZ_CHECK(cp >= 0x20 || cp == '\t', "no raw C0 control");
    FUZZ_CHECK(cp != 0x7F, "no raw DEL");
    FUZZ_CHECK(cp < 0x80 || cp > 0x9F, "no raw C1 control");
    FUZZ_CHECK(!reorders_or_hides(cp), "no raw bidi, zero-width or separator character");
    (void)at;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const std::size_t max_line = in.ConsumeIntegralInRange<std::size_t>(1, 64);
  // Names pass the display-name rule before they are ever rendered.
  const std::string from =
      display_name(utf8::replace_invalid(in.ConsumeRandomLengthString(48))).value_or("anonymous");
  const std::string stream = in.ConsumeRemainingBytesAsString();

  line_reader lines(max_line);
  std::string rebuilt;  // the lines joined again, when none was too long
  bool any_too_long = false;
  // The stream arrives in pieces of any size (as reads do): here, 1 to 7 bytes.
  std::string_view rest = stream;
  std::size_t cut = 1;
  auto take = [&](std::string line) {
    FUZZ_CHECK(line.find('\n') == std::string::npos, "a line holds no line break");
    FUZZ_CHECK(line.size() <= max_line + 1, "a line is within the bound (plus its '\\r')");
    rebuilt += line;
    rebuilt += '\n';
    if (!line.empty() && line.back() == '\r') line.pop_back();  // as the session does
    const std::string body = utf8::replace_invalid(line);
    FUZZ_CHECK(utf8::is_valid(body), "the repair gives valid UTF-8");
    for (const auto type : {message_type::message, message_type::join, message_type::leave}) {
      check_terminal_safe(render_text(type, from, body));
    }
  };
  while (!rest.empty()) {
    std::string_view piece = rest.substr(0, cut);
    rest.remove_prefix(piece.size());
    cut = cut % 7 + 1;
    while (auto event = lines.next(piece)) {
      if (event->what == line_reader::event::kind::too_long) {
        any_too_long = true;
      } else {
        take(std::move(event->line));
      }
    }
    FUZZ_CHECK(piece.empty(), "every byte is consumed");
  }
  const bool ends_with_newline = !stream.empty() && stream.back() == '\n';
  if (auto last = lines.finish()) {
    FUZZ_CHECK(!ends_with_newline, "a last line only when the stream did not end one");
    take(std::move(*last));
    rebuilt.pop_back();  // it had no '\n'
  }
  if (!any_too_long) {
    FUZZ_CHECK(rebuilt == stream, "the lines are the stream: nothing lost, nothing invented");
  }
  // Any text, not only lines: bodies posted over HTTP carry their own line breaks.
  check_terminal_safe(render_text(message_type::message, from, utf8::replace_invalid(stream)));
  return 0;
}
