#include "core/idempotency_cache.hpp"

#include <gtest/gtest.h>

namespace pollchat {
namespace {

message_ptr msg(std::uint64_t id) { return make_message(id, "r", {message_type::message, "a", "b"}, {}); }

}  // namespace

TEST(IdempotencyCache, ReturnsTheFirstMessageForARepeatedKey) {
  idempotency_cache cache;
  const auto now = idempotency_cache::clock::now();
  cache.remember("k1", msg(7), now);
  ASSERT_NE(cache.find("k1", now), nullptr);
  EXPECT_EQ(cache.find("k1", now)->id, 7u);
  EXPECT_EQ(cache.find("k2", now), nullptr);
}

TEST(IdempotencyCache, ForgetsKeysAfterTheTtl) {
  idempotency_cache cache(100, std::chrono::minutes(10));
  const auto now = idempotency_cache::clock::now();
  cache.remember("k", msg(1), now);
  EXPECT_NE(cache.find("k", now + std::chrono::minutes(9)), nullptr);
  EXPECT_EQ(cache.find("k", now + std::chrono::minutes(10)), nullptr);
}

TEST(IdempotencyCache, StaysWithinCapacity) {
  idempotency_cache cache(3);
  const auto now = idempotency_cache::clock::now();
  for (int k = 0; k < 10; ++k) {
    cache.remember("k" + std::to_string(k), msg(static_cast<std::uint64_t>(k)), now);
  }
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.find("k0", now), nullptr);
  EXPECT_NE(cache.find("k9", now), nullptr);
}

}  // namespace pollchat
