#include "common/utf8.hpp"

#include <gtest/gtest.h>

namespace pollchat {

TEST(Utf8, CountsCodePointsOfValidText) {
  EXPECT_EQ(utf8::count_code_points("hi"), 2u);
  EXPECT_EQ(utf8::count_code_points("h\xC3\xA9"), 2u);            // é
  EXPECT_EQ(utf8::count_code_points("\xF0\x9F\x98\x80"), 1u);     // emoji
  EXPECT_EQ(utf8::count_code_points(""), 0u);
}

TEST(Utf8, RejectsInvalidSequences) {
  EXPECT_FALSE(utf8::is_valid("\xFF"));
  EXPECT_FALSE(utf8::is_valid("\xC3"));              // truncated
  EXPECT_FALSE(utf8::is_valid("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(utf8::is_valid("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(utf8::is_valid("\xF4\x90\x80\x80"));  // past U+10FFFF
}

TEST(Utf8, FindsControlCharacters) {
  EXPECT_TRUE(utf8::has_control("a\tb"));
  EXPECT_TRUE(utf8::has_control("a\x7F"));
  EXPECT_TRUE(utf8::has_control("a\xC2\x9B"));  // U+009B CSI
  EXPECT_FALSE(utf8::has_control("h\xC3\xA9llo"));
}

TEST(Utf8, ReplacesInvalidBytesWithReplacementCharacter) {
  EXPECT_EQ(utf8::replace_invalid("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(utf8::replace_invalid("ok"), "ok");
}

TEST(Utf8, TerminalSafeRenderingNeutralisesControls) {
  std::string out;
  utf8::append_terminal_safe(out, "a\x1B[2Jb\tc\nd\x7F\xC2\x9B" "e");
  EXPECT_EQ(out, "a^[[2Jb\tc\nd^?<U+009B>e");
}

}  // namespace pollchat
