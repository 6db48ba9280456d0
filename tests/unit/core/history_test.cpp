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

}  // namespace pollchat
