#include "core/room_registry.hpp"

#include <gtest/gtest.h>

#include "test_waiter.hpp"

namespace pollchat {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

room_limits limits_with(memory_budget* budget, std::size_t history = 1000) {
  room_limits limits;
  limits.history = history;
  limits.budget = budget;
  return limits;
}

}  // namespace

TEST(RoomRegistry, ExpiresRoomsThatNeverHadAMessageButNeverTheLobby) {
  room_registry rooms(100, limits_with(nullptr), minutes(10));
  rooms.find_or_create("empty");
  rooms.find_or_create("talked")->post({message_type::message, "a", "hi"});
  const auto later = room_registry::clock::now() + minutes(11);
  EXPECT_EQ(rooms.expire_rooms(room_registry::clock::now()), 0u);  // not idle long enough
  EXPECT_EQ(rooms.expire_rooms(later), 1u);
  EXPECT_EQ(rooms.find("empty"), nullptr);
  EXPECT_NE(rooms.find("talked"), nullptr);
  EXPECT_NE(rooms.find("lobby"), nullptr);
  EXPECT_EQ(rooms.size(), 2u);
}

TEST(RoomRegistry, KeepsAnEmptyRoomWhileAnyoneHoldsIt) {
  room_registry rooms(100, limits_with(nullptr), seconds(1));
  auto held = rooms.find_or_create("parked");  // as a parked poll or a TCP client holds it
  auto waiter = std::make_shared<testing::test_waiter>(held);
  EXPECT_EQ(held->poll(0, 10, waiter).state, poll_state::parked);
  EXPECT_EQ(rooms.expire_rooms(room_registry::clock::now() + minutes(1)), 0u);
  waiter.reset();
  held.reset();
  EXPECT_EQ(rooms.expire_rooms(room_registry::clock::now() + minutes(1)), 1u);
}

TEST(RoomRegistry, PagesThroughRoomsInNameOrder) {
  room_registry rooms(100, limits_with(nullptr));
  for (const char* name : {"d", "b", "a", "c"}) rooms.find_or_create(name);
  bool more = false;
  auto page = rooms.page("", 3, more);
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page[0]->name(), "a");
  EXPECT_EQ(page[2]->name(), "c");
  EXPECT_TRUE(more);
  page = rooms.page("c", 3, more);
  ASSERT_EQ(page.size(), 2u);  // d, lobby
  EXPECT_EQ(page[1]->name(), "lobby");
  EXPECT_FALSE(more);
}

TEST(RoomRegistry, ReliefShedsTheLargestRoomsFirstAndHoldsTheBudget) {
  memory_budget budget(1 << 20);
  room_registry rooms(100, limits_with(&budget, 100000));
  const std::string body(1000, 'x');
  auto quiet = rooms.find_or_create("quiet");
  quiet->post({message_type::message, "a", "a small message"});
  quiet->post({message_type::message, "a", "another"});
  auto busy = rooms.find_or_create("busy");
  for (int k = 0; k < 2000; ++k) {  // ~6 MB of messages into a 1 MiB budget
    busy->post({message_type::message, "a", body});
    ASSERT_LE(budget.used(), budget.limit() + 8000u) << k;
  }
  EXPECT_EQ(busy->last_id(), 2000u);
  EXPECT_EQ(quiet->read(0, 10).messages.size(), 2u);  // the small room kept everything
  const auto kept = busy->read(0, 100000);
  EXPECT_GT(kept.missed, 0u);  // readers are told what they lost
  EXPECT_EQ(kept.messages.back()->id, 2000u);
}

TEST(RoomRegistry, ReliefForgetsKeysThatPinDroppedMessages) {
  memory_budget budget(1 << 20);
  room_limits limits = limits_with(&budget, 5);  // the history drops them at once
  room_registry rooms(100, limits);
  auto r = rooms.find_or_create("keyed");
  const std::string body(2000, 'x');
  for (int k = 0; k < 1000; ++k) {  // ~6 MB pinned by keys alone, without the relief
    r->post({message_type::message, "a", body}, "key" + std::to_string(k));
    ASSERT_LE(budget.used(), budget.limit() + 8000u) << k;
  }
  // A recent key still answers its first message.
  EXPECT_TRUE(r->post({message_type::message, "a", body}, "key999").repeated);
}

TEST(RoomRegistry, ExpiresKeysWithoutAnotherPost) {
  room_registry rooms(100, limits_with(nullptr));
  auto r = rooms.find_or_create("r");
  r->post({message_type::message, "a", "hi"}, "k");
  rooms.expire_keys(room_registry::clock::now() + minutes(11));
  EXPECT_FALSE(r->post({message_type::message, "a", "hi"}, "k").repeated);
}

TEST(RoomRegistry, PresenceSweepVisitsOnlyRoomsWithMembers) {
  room_registry rooms(100, limits_with(nullptr));
  auto r = rooms.find_or_create("r");
  r->join("c1", "ann", member_via::http);
  rooms.watch_members(r);
  // The grace is over: ann leaves (stored as the memory store would, by the room itself).
  rooms.expire_members(seconds(0), [](const std::shared_ptr<room>& in, message_draft leave) {
    in->post(std::move(leave));
  });
  EXPECT_EQ(r->member_count(), 0u);
  EXPECT_EQ(r->last_id(), 2u);  // join, leave
  r.reset();
  // No longer watched: the registry alone holds the room.
  EXPECT_EQ(rooms.find("r").use_count(), 2);
}

}  // namespace pollchat
