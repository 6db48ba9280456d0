#include "store/redis/redis_url.hpp"

#include <gtest/gtest.h>

namespace pollchat::redis {
namespace {

std::optional<endpoint> parse(std::string_view text) {
  std::string error;
  auto out = parse_url(text, error);
  EXPECT_EQ(out.has_value(), error.empty()) << error;
  return out;
}

TEST(RedisUrl, HostAloneUsesTheDefaultPort) {
  const auto e = parse("redis://cache.internal");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->host, "cache.internal");
  EXPECT_EQ(e->port, 6379);
  EXPECT_EQ(e->db, 0U);
  EXPECT_TRUE(e->password.empty());
}

TEST(RedisUrl, ReadsUserPasswordPortAndDatabase) {
  const auto e = parse("redis://chat:s3cret@10.0.0.5:6380/2");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->user, "chat");
  EXPECT_EQ(e->password, "s3cret");
  EXPECT_EQ(e->port, 6380);
  EXPECT_EQ(e->db, 2U);
}

TEST(RedisUrl, PasswordWithoutUser) {
  const auto e = parse("redis://:pw@127.0.0.1");
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->user.empty());
  EXPECT_EQ(e->password, "pw");
}

TEST(RedisUrl, BracketedIpv6Host) {
  const auto e = parse("redis://[::1]:7000");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->host, "::1");
  EXPECT_EQ(e->port, 7000);
}

TEST(RedisUrl, RefusesWhatItCannotUse) {
  for (const char* bad : {"", "127.0.0.1:6379", "http://host", "rediss://host", "redis://",
                          "redis://host:0", "redis://host:99999", "redis://host/x",
                          "redis://host?db=1"}) {
    std::string error;
    EXPECT_FALSE(parse_url(bad, error)) << bad;
    EXPECT_NE(error.find("redis://"), std::string::npos) << bad << ": " << error;
  }
}

}  // namespace
}  // namespace pollchat::redis
