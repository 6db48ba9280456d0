#include "poller-client/terminal_text.hpp"

#include <gtest/gtest.h>

namespace pollchat::client {
namespace {

TEST(TerminalText, PlainTextNewlinesTabsAndUtf8PassThrough) {
  EXPECT_EQ(terminal_safe("hi there"), "hi there");
  EXPECT_EQ(terminal_safe("a\nb\tc"), "a\nb\tc");
  EXPECT_EQ(terminal_safe("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80");
}

TEST(TerminalText, C0ControlsAndDelInCaretNotation) {
  EXPECT_EQ(terminal_safe("\x1B[2J"), "^[[2J");
  EXPECT_EQ(terminal_safe(std::string_view("a\0b", 3)), "a^@b");
  EXPECT_EQ(terminal_safe("\r\a\x7F"), "^M^G^?");
}

TEST(TerminalText, C1ControlsAsCodePoints) {
  EXPECT_EQ(terminal_safe("\xC2\x9B"
                          "31m"),
            "<U+009B>31m");
  EXPECT_EQ(terminal_safe("\xC2\x80\xC2\x9F\xC2\xA0"), "<U+0080><U+009F>\xC2\xA0");
}

TEST(TerminalText, InvalidUtf8BecomesReplacementCharacters) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(terminal_safe("a\xFF"
                          "b"),
            "a" + fffd + "b");
  EXPECT_EQ(terminal_safe("\xC0\xAF"), fffd + fffd);             // overlong '/'
  EXPECT_EQ(terminal_safe("\xED\xA0\x80"), fffd + fffd + fffd);  // surrogate
  EXPECT_EQ(terminal_safe("\xE2\x82"), fffd + fffd);             // cut short
}

}  // namespace
}  // namespace pollchat::client
