#include "core/room.hpp"

#include <gtest/gtest.h>

#include "test_waiter.hpp"

namespace pollchat {
namespace {

using testing::test_waiter;

message_draft draft(std::string body) { return {message_type::message, "alice", std::move(body)}; }

}  // namespace

TEST(Room, PollWithMessagesAfterTheCursorAnswersAtOnce) {
  auto r = std::make_shared<room>("lobby", 100);
  r->post(draft("one"));
  r->post(draft("two"));
  auto w = std::make_shared<test_waiter>(r);
  const auto out = r->poll(1, 100, w);
  ASSERT_EQ(out.state, poll_state::ready);
  ASSERT_EQ(out.messages.messages.size(), 1u);
  EXPECT_EQ(out.messages.messages[0]->body, "two");
  EXPECT_EQ(out.messages.next, 2u);
  EXPECT_EQ(r->parked(), 0u);
}

TEST(Room, PostWakesEveryParkedWaiterExactlyOnce) {
  auto r = std::make_shared<room>("lobby", 100);
  std::vector<std::shared_ptr<test_waiter>> waiters;
  for (int k = 0; k < 100; ++k) {
    waiters.push_back(std::make_shared<test_waiter>(r));
    ASSERT_EQ(r->poll(0, 100, waiters.back()).state, poll_state::parked);
  }
  EXPECT_EQ(r->parked(), 100u);
  r->post(draft("hello"));
  r->post(draft("again"));  // nobody re-parked: nobody is notified twice
  for (const auto& w : waiters) {
    EXPECT_EQ(w->notifications.load(), 1);
  }
  EXPECT_EQ(r->parked(), 0u);
}

TEST(Room, ParkingTwiceRegistersOnce) {
  auto r = std::make_shared<room>("lobby", 100);
  auto w = std::make_shared<test_waiter>(r);
  r->poll(0, 10, w);
  r->poll(0, 10, w);
  EXPECT_EQ(r->parked(), 1u);
  r->post(draft("x"));
  EXPECT_EQ(w->notifications.load(), 1);
}

TEST(Room, CancelWaitRemovesTheWaiter) {
  auto r = std::make_shared<room>("lobby", 100);
  auto a = std::make_shared<test_waiter>(r);
  auto b = std::make_shared<test_waiter>(r);
  auto c = std::make_shared<test_waiter>(r);
  r->poll(0, 10, a);
  r->poll(0, 10, b);
  r->poll(0, 10, c);
  r->cancel_wait(*a);  // from the front: the last one moves into its slot
  r->cancel_wait(*a);  // twice is harmless
  EXPECT_EQ(r->parked(), 2u);
  r->cancel_wait(*c);  // the moved one must still be found
  EXPECT_EQ(r->parked(), 1u);
  r->post(draft("x"));
  EXPECT_EQ(a->notifications.load(), 0);
  EXPECT_EQ(b->notifications.load(), 1);
  EXPECT_EQ(c->notifications.load(), 0);
}

TEST(Room, AWaiterGoneWithoutCancelIsNotNotified) {
  auto r = std::make_shared<room>("lobby", 100);
  auto w = std::make_shared<test_waiter>(r);
  r->poll(0, 10, w);
  std::weak_ptr<test_waiter> watch = w;
  w.reset();  // its destructor leaves the room
  EXPECT_TRUE(watch.expired());
  EXPECT_EQ(r->parked(), 0u);
  r->post(draft("x"));  // must not touch the dead waiter
}

TEST(Room, CloseWakesEveryoneAndLaterPollsAnswerClosed) {
  auto r = std::make_shared<room>("lobby", 100);
  auto early = std::make_shared<test_waiter>(r);
  r->poll(0, 10, early);
  r->close();
  EXPECT_EQ(early->notifications.load(), 1);
  EXPECT_EQ(r->poll(0, 10, early).state, poll_state::closed);
  auto late = std::make_shared<test_waiter>(r);
  EXPECT_EQ(r->poll(0, 10, late).state, poll_state::closed);  // level-triggered
  EXPECT_EQ(r->parked(), 0u);
}

TEST(Room, ReadReportsNextAndMissed) {
  auto r = std::make_shared<room>("lobby", 3);
  for (int k = 1; k <= 10; ++k) {
    r->post(draft(std::to_string(k)));
  }
  const batch from_zero = r->read(0, 100);
  ASSERT_EQ(from_zero.messages.size(), 3u);
  EXPECT_EQ(from_zero.messages.front()->id, 8u);
  EXPECT_EQ(from_zero.next, 10u);
  EXPECT_EQ(from_zero.missed, 7u);  // ids 1..7 are gone
  EXPECT_EQ(r->read(7, 100).missed, 0u);
  const batch nothing = r->read(10, 100);
  EXPECT_TRUE(nothing.messages.empty());
  EXPECT_EQ(nothing.next, 10u);  // the unchanged cursor
}

TEST(Room, IdsAreConsecutiveFromOne) {
  room r("lobby", 10);
  EXPECT_EQ(r.post(draft("a")).message->id, 1u);
  EXPECT_EQ(r.post(draft("b")).message->id, 2u);
  EXPECT_EQ(r.last_id(), 2u);
}

TEST(Room, RepeatedIdempotencyKeyStoresNothingAndWakesNobody) {
  auto r = std::make_shared<room>("lobby", 10);
  const auto first = r->post(draft("once"), "key-1");
  auto w = std::make_shared<test_waiter>(r);
  r->poll(r->last_id(), 10, w);
  const auto again = r->post(draft("once"), "key-1");
  EXPECT_TRUE(again.repeated);
  EXPECT_EQ(again.message->id, first.message->id);
  EXPECT_EQ(r->last_id(), 1u);
  EXPECT_EQ(w->notifications.load(), 0);
}

TEST(RoomName, AcceptsOnlyTheDocumentedAlphabet) {
  EXPECT_TRUE(is_valid_room_name("lobby"));
  EXPECT_TRUE(is_valid_room_name("a.b-c_D9"));
  EXPECT_TRUE(is_valid_room_name(std::string(64, 'x')));
  EXPECT_FALSE(is_valid_room_name(std::string(65, 'x')));
  EXPECT_FALSE(is_valid_room_name(""));
  EXPECT_FALSE(is_valid_room_name("a b"));
  EXPECT_FALSE(is_valid_room_name("a%20b"));
  EXPECT_FALSE(is_valid_room_name("caf\xC3\xA9"));
}

}  // namespace pollchat
