#include "common/utf8.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

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

namespace {

// The UTF-8 bytes of one code point.
std::string encode(char32_t cp) {
  std::string out;
  const auto byte = [](char32_t v) { return static_cast<char>(v); };
  if (cp < 0x800) {
    out += byte(0xC0 | (cp >> 6));
  } else {
    out += byte(0xE0 | (cp >> 12));
    out += byte(0x80 | ((cp >> 6) & 0x3F));
  }
  out += byte(0x80 | (cp & 0x3F));
  return out;
}

// Every character that reorders or hides text (SPEC §2), each with its expected rendering.
const std::vector<std::pair<char32_t, std::string>> reordering_or_invisible = {
    {0x061C, "<U+061C>"}, {0x200B, "<U+200B>"}, {0x200C, "<U+200C>"}, {0x200D, "<U+200D>"},
    {0x200E, "<U+200E>"}, {0x200F, "<U+200F>"}, {0x2028, "<U+2028>"}, {0x2029, "<U+2029>"},
    {0x202A, "<U+202A>"}, {0x202B, "<U+202B>"}, {0x202C, "<U+202C>"}, {0x202D, "<U+202D>"},
    {0x202E, "<U+202E>"}, {0x2060, "<U+2060>"}, {0x2066, "<U+2066>"}, {0x2067, "<U+2067>"},
    {0x2068, "<U+2068>"}, {0x2069, "<U+2069>"}, {0xFEFF, "<U+FEFF>"},
};

}  // namespace

TEST(Utf8, TerminalSafeRenderingShowsEachBidiAndZeroWidthCharacterByItsCode) {
  for (const auto& [cp, shown] : reordering_or_invisible) {
    std::string out;
    utf8::append_terminal_safe(out, "a" + encode(cp) + "b");
    EXPECT_EQ(out, "a" + shown + "b") << std::hex << static_cast<std::uint32_t>(cp);
    EXPECT_TRUE(utf8::is_reordering_or_invisible(cp)) << std::hex << static_cast<std::uint32_t>(cp);
    EXPECT_TRUE(utf8::has_reordering_or_invisible("x" + encode(cp))) << std::hex << static_cast<std::uint32_t>(cp);
  }
}

TEST(Utf8, TerminalSafeRenderingKeepsTheNeighboursOfThoseRanges) {
  // Right next to each range, and the letters of scripts that need no controls, pass through.
  for (const char32_t cp : {0x061BU, 0x061DU, 0x200AU, 0x2010U, 0x2027U, 0x202FU, 0x205FU, 0x2061U,
                            0x2065U, 0x206AU, 0xFEFEU, 0xFF01U, 0x05D0U, 0x0627U}) {
    std::string out;
    const std::string text = encode(cp);
    utf8::append_terminal_safe(out, text);
    EXPECT_EQ(out, text) << std::hex << static_cast<std::uint32_t>(cp);
    EXPECT_FALSE(utf8::is_reordering_or_invisible(cp)) << std::hex << static_cast<std::uint32_t>(cp);
  }
}

TEST(Utf8, AnOverrideCannotReverseARenderedLine) {
  // U+202E then "gnp.exe" shows as "exe.png" in a terminal.
  std::string out;
  utf8::append_terminal_safe(out, "\xE2\x80\xAEgnp.exe");
  EXPECT_EQ(out, "<U+202E>gnp.exe");
}

}  // namespace pollchat
