#include "common/names.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pollchat {

TEST(DisplayName, AcceptsOrdinaryNamesAndDefaultsToAnonymous) {
  EXPECT_EQ(display_name("alice"), "alice");
  EXPECT_EQ(display_name("h\xC3\xA9l\xC3\xA8ne"), "h\xC3\xA9l\xC3\xA8ne");
  EXPECT_EQ(display_name("\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D"), "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D");  // Hebrew
  EXPECT_EQ(display_name(""), "anonymous");
  EXPECT_EQ(display_name(std::string(32, 'x')), std::string(32, 'x'));
}

TEST(DisplayName, RefusesControlsLengthAndInvalidUtf8) {
  EXPECT_FALSE(display_name(std::string(33, 'x')));
  EXPECT_FALSE(display_name("a\x1B[2J"));
  EXPECT_FALSE(display_name("a\tb"));
  EXPECT_FALSE(display_name("a\xC2\x9B"));
  EXPECT_FALSE(display_name("a\xFF"));
}

TEST(DisplayName, RefusesEveryBidiAndZeroWidthCharacter) {
  const std::vector<std::string> encoded = {
      "\xD8\x9C",                                                               // U+061C
      "\xE2\x80\x8B", "\xE2\x80\x8C", "\xE2\x80\x8D", "\xE2\x80\x8E", "\xE2\x80\x8F",  // U+200B..U+200F
      "\xE2\x80\xA8", "\xE2\x80\xA9",                                           // U+2028, U+2029
      "\xE2\x80\xAA", "\xE2\x80\xAB", "\xE2\x80\xAC", "\xE2\x80\xAD", "\xE2\x80\xAE",  // U+202A..U+202E
      "\xE2\x81\xA0",                                                           // U+2060
      "\xE2\x81\xA6", "\xE2\x81\xA7", "\xE2\x81\xA8", "\xE2\x81\xA9",           // U+2066..U+2069
      "\xEF\xBB\xBF",                                                           // U+FEFF
  };
  for (const auto& c : encoded) {
    EXPECT_FALSE(display_name("alice" + c)) << "accepted a name ending in bytes of length " << c.size();
    EXPECT_FALSE(display_name(c + "bob"));
  }
  EXPECT_EQ(encoded.size(), 19u);
}

TEST(RoomName, FollowsTheLiteralPattern) {
  EXPECT_TRUE(is_valid_room_name("dev-1.x_y"));
  EXPECT_FALSE(is_valid_room_name(""));
  EXPECT_FALSE(is_valid_room_name(std::string(65, 'a')));
  EXPECT_FALSE(is_valid_room_name("a b"));
  EXPECT_FALSE(is_valid_room_name("caf%C3%A9"));
}

}  // namespace pollchat
