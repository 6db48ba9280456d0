#include "core/idempotency_cache.hpp"

#include <gtest/gtest.h>

namespace pollchat {
namespace {

message_ptr cached_message(std::uint64_t id) {
  return make_message(id, "r", {message_type::message, "a", "b"}, {});
}

}  // namespace

TEST(IdempotencyCache, ReturnsTheFirstMessageForARepeatedKey) {
  idempotency_cache cache;
  const auto now = idempotency_cache::clock::now();
  cache.remember("k1", cached_message(7), now);
  ASSERT_NE(cache.find("k1", now), nullptr);
  EXPECT_EQ(cache.find("k1", now)->id, 7u);
  EXPECT_EQ(cache.find("k2", now), nullptr);
}

TEST(IdempotencyCache, ForgetsKeysAfterTheTtl) {
  idempotency_cache cache(100, std::chrono::minutes(10));
  const auto now = idempotency_cache::clock::now();
  cache.remember("k", cached_message(1), now);
  EXPECT_NE(cache.find("k", now + std::chrono::minutes(9)), nullptr);
  EXPECT_EQ(cache.find("k", now + std::chrono::minutes(10)), nullptr);
}

TEST(IdempotencyCache, StaysWithinCapacity) {
  idempotency_cache cache(3);
  const auto now = idempotency_cache::clock::now();
  for (int k = 0; k < 10; ++k) {
    cache.remember("k" + std::to_string(k), cached_message(static_cast<std::uint64_t>(k)), now);
  }
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.find("k0", now), nullptr);
  EXPECT_NE(cache.find("k9", now), nullptr);
}

TEST(IdempotencyCache, ExpiresKeysWithoutAnotherPost) {
  idempotency_cache cache(100, std::chrono::minutes(10));
  const auto now = idempotency_cache::clock::now();
  cache.remember("k1", cached_message(1), now);
  cache.remember("k2", cached_message(2), now + std::chrono::minutes(5));
  cache.expire(now + std::chrono::minutes(11));  // the sweep: no find, no remember
  EXPECT_EQ(cache.size(), 1u);
  cache.expire(now + std::chrono::minutes(16));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(IdempotencyCache, HoldsTheMessageItselfNotACopy) {
  idempotency_cache cache;
  const auto m = cached_message(1);
  cache.remember("k", m, idempotency_cache::clock::now());
  EXPECT_EQ(cache.find("k", idempotency_cache::clock::now()).get(), m.get());
}

TEST(IdempotencyCache, ChargesItsKeysAndForgetsThoseOfDroppedMessages) {
  memory_budget budget(1 << 20);
  {
    idempotency_cache cache(100, std::chrono::minutes(10), &budget);
    const auto now = idempotency_cache::clock::now();
    for (std::uint64_t id = 1; id <= 5; ++id) {
      cache.remember("key" + std::to_string(id), cached_message(id), now);
    }
    const std::size_t held = budget.used();
    EXPECT_GE(held, 5u * 8);
    EXPECT_EQ(cache.forget_before(4), 3u);  // the history no longer holds 1..3
    EXPECT_EQ(cache.size(), 2u);
    EXPECT_LT(budget.used(), held);
    EXPECT_NE(cache.find("key4", now), nullptr);
    EXPECT_EQ(cache.forget_all(), 2u);
  }
  EXPECT_EQ(budget.used(), 0u);
}

}  // namespace pollchat
