#include "core/history.hpp"

#include <gtest/gtest.h>

namespace pollchat {
namespace {

message_ptr msg(std::uint64_t id) {
  return make_message(id, "r", {message_type::message, "a", std::to_string(id)}, {});
}

history filled(std::size_t capacity, std::uint64_t count) {
  history h(capacity);
  for (std::uint64_t id = 1; id <= count; ++id) {
    h.append(msg(id));
  }
  return h;
}

std::vector<std::uint64_t> ids(const std::vector<message_ptr>& ms) {
  std::vector<std::uint64_t> out;
  for (const auto& m : ms) out.push_back(m->id);
  return out;
}

}  // namespace

TEST(History, KeepsOnlyTheNewestMessages) {
  const history h = filled(3, 5);
  EXPECT_EQ(h.size(), 3u);
  EXPECT_EQ(h.oldest_id(), 3u);
  EXPECT_EQ(h.newest_id(), 5u);
}

TEST(History, ReturnsMessagesAfterTheCursorOldestFirst) {
  const history h = filled(10, 5);
  EXPECT_EQ(ids(h.after(2, 100)), (std::vector<std::uint64_t>{3, 4, 5}));
  EXPECT_TRUE(h.after(5, 100).empty());
  EXPECT_TRUE(h.after(9, 100).empty());
}

TEST(History, CapsByLimit) {
  const history h = filled(10, 5);
  EXPECT_EQ(ids(h.after(0, 2)), (std::vector<std::uint64_t>{1, 2}));
}

TEST(History, StartsAtTheOldestRetainedWhenTheCursorIsOlder) {
  const history h = filled(3, 10);
  EXPECT_EQ(ids(h.after(1, 100)), (std::vector<std::uint64_t>{8, 9, 10}));
}

TEST(History, EmptyHistoryHasNothing) {
  const history h(5);
  EXPECT_EQ(h.oldest_id(), 0u);
  EXPECT_TRUE(h.after(0, 10).empty());
}

TEST(History, KeepsItsBytesWithinTheBoundButAlwaysTheNewestMessage) {
  const std::string big(4000, 'x');
  history h(1000, 20000);
  for (std::uint64_t id = 1; id <= 50; ++id) {
    h.append(make_message(id, "r", {message_type::message, "a", big}, {}));
    EXPECT_LE(h.bytes(), 20000u) << id;
  }
  EXPECT_EQ(h.newest_id(), 50u);
  EXPECT_GE(h.size(), 1u);
  EXPECT_LT(h.size(), 10u);  // each holds the body three times over (body, JSON, text)

  history tiny(1000, 10);  // smaller than one message: the newest stays anyway
  tiny.append(msg(1));
  tiny.append(msg(2));
  EXPECT_EQ(tiny.size(), 1u);
  EXPECT_EQ(tiny.oldest_id(), 2u);
}

TEST(History, ShedDropsTheOldestButNeverTheNewest) {
  history h = filled(10, 5);
  const std::size_t before = h.bytes();
  const std::size_t dropped = h.shed(1);
  EXPECT_GT(dropped, 0u);
  EXPECT_EQ(h.bytes(), before - dropped);
  EXPECT_EQ(h.oldest_id(), 2u);
  h.shed(before * 10);
  EXPECT_EQ(h.size(), 1u);
  EXPECT_EQ(h.oldest_id(), 5u);
}

TEST(History, ChargesTheBudgetForWhatItHoldsAndGivesItBack) {
  memory_budget budget(1 << 20);
  {
    history h(3);
    for (std::uint64_t id = 1; id <= 5; ++id) {
      h.append(make_message(id, "r", {message_type::message, "a", "hello"}, {}, &budget));
    }
    EXPECT_EQ(budget.used(), h.bytes());  // the two dropped ones were given back
  }
  EXPECT_EQ(budget.used(), 0u);
}

}  // namespace pollchat
