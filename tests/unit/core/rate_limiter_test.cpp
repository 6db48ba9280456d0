#include "core/rate_limiter.hpp"

#include <gtest/gtest.h>

namespace pollchat {

using std::chrono::milliseconds;

TEST(RateLimiter, AllowsABurstThenRefusesWithAWaitTime) {
  rate_limiter limiter(10, 5);
  const auto now = rate_limiter::clock::now();
  for (int k = 0; k < 5; ++k) {
    EXPECT_FALSE(limiter.acquire("1.2.3.4", now).has_value()) << k;
  }
  const auto wait = limiter.acquire("1.2.3.4", now);
  ASSERT_TRUE(wait.has_value());
  EXPECT_GT(*wait, milliseconds(0));
  EXPECT_LE(*wait, milliseconds(100));
}

TEST(RateLimiter, RefillsAtTheRate) {
  rate_limiter limiter(10, 1);
  const auto now = rate_limiter::clock::now();
  EXPECT_FALSE(limiter.acquire("a", now));
  EXPECT_TRUE(limiter.acquire("a", now));
  EXPECT_FALSE(limiter.acquire("a", now + milliseconds(100)));
}

TEST(RateLimiter, KeepsAddressesApart) {
  rate_limiter limiter(1, 1);
  const auto now = rate_limiter::clock::now();
  EXPECT_FALSE(limiter.acquire("a", now));
  EXPECT_TRUE(limiter.acquire("a", now));
  EXPECT_FALSE(limiter.acquire("b", now));
}

TEST(RateLimiter, WaitForLooksWithoutTaking) {
  rate_limiter limiter(10, 2);
  const auto now = rate_limiter::clock::now();
  EXPECT_FALSE(limiter.wait_for("a", now));  // never seen: a full bucket
  EXPECT_EQ(limiter.tracked(), 0u);          // and looking does not track it
  EXPECT_FALSE(limiter.acquire("a", now));
  EXPECT_FALSE(limiter.wait_for("a", now));
  EXPECT_FALSE(limiter.wait_for("a", now));  // still one left: looking took nothing
  EXPECT_FALSE(limiter.acquire("a", now));
  const auto wait = limiter.wait_for("a", now);
  ASSERT_TRUE(wait);
  EXPECT_LE(*wait, milliseconds(100));
  EXPECT_FALSE(limiter.wait_for("a", now + milliseconds(100)));
}

TEST(RateLimiter, ZeroRateTurnsLimitingOff) {
  rate_limiter limiter(0, 1);
  const auto now = rate_limiter::clock::now();
  for (int k = 0; k < 1000; ++k) {
    ASSERT_FALSE(limiter.acquire("a", now));
  }
  EXPECT_EQ(limiter.tracked(), 0u);
}

TEST(RateLimiter, MemoryStaysBounded) {
  rate_limiter limiter(1, 2, 50);
  const auto now = rate_limiter::clock::now();
  for (int k = 0; k < 1000; ++k) {
    limiter.acquire("addr" + std::to_string(k), now);
  }
  EXPECT_LE(limiter.tracked(), 50u);
}

TEST(RateLimiter, AnIpv6HostOwnsItsWholeSlash64) {
  rate_limiter limiter(1, 2);
  const auto now = rate_limiter::clock::now();
  EXPECT_FALSE(limiter.acquire("2001:db8:1:2::1", now));
  EXPECT_FALSE(limiter.acquire("2001:db8:1:2:ffff:ffff:ffff:fffe", now));
  EXPECT_TRUE(limiter.acquire("2001:db8:1:2:abcd::9", now));  // same /64: its burst is spent
  EXPECT_TRUE(limiter.wait_for("2001:db8:1:2::77", now));      // and looking sees it spent
  EXPECT_FALSE(limiter.acquire("2001:db8:1:3::1", now));      // the next /64 is someone else
  EXPECT_EQ(rate_limiter::bucket_key("2001:DB8:1:2::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(rate_limiter::bucket_key("::ffff:192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(rate_limiter::bucket_key("192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(rate_limiter::bucket_key("unknown"), "unknown");
  EXPECT_EQ(rate_limiter::bucket_key("fe80::1%2"), "fe80:0:0:0::/64");  // a scope id is no client
  // Wrong tokens: a bucket of their own, per /64 too; looking sees what taking took.
  EXPECT_EQ(wrong_token_bucket("2001:db8:1:2::1"), wrong_token_bucket("2001:db8:1:2::9"));
  EXPECT_NE(wrong_token_bucket("192.0.2.1"), "192.0.2.1");
}

TEST(RateLimiter, TakesSeveralTokensAtOnceOrNone) {
  rate_limiter limiter(1, 3);
  const auto now = rate_limiter::clock::now();
  EXPECT_FALSE(limiter.acquire("a", now, 2));
  EXPECT_TRUE(limiter.acquire("a", now, 2));   // one left: refused, and none taken
  EXPECT_FALSE(limiter.acquire("a", now, 1));  // the one left
  EXPECT_TRUE(limiter.acquire("a", now, 1));
}

}  // namespace pollchat
