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

}  // namespace pollchat
