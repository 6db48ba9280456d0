#include "core/presence.hpp"

#include <gtest/gtest.h>

#include "core/room.hpp"

namespace pollchat {

using std::chrono::seconds;

TEST(Presence, FirstTouchJoinsLaterOnesRefresh) {
  presence p;
  const auto now = presence::clock::now();
  EXPECT_TRUE(p.touch("c1", "alice", member_via::http, now));
  EXPECT_FALSE(p.touch("c1", "alice2", member_via::http, now));
  ASSERT_EQ(p.list().size(), 1u);
  EXPECT_EQ(p.list()[0].name, "alice");  // the name of the join is kept
}

TEST(Presence, IdleHttpMembersExpireAfterTheGrace) {
  presence p;
  const auto now = presence::clock::now();
  p.touch("c1", "alice", member_via::http, now);
  EXPECT_TRUE(p.expire(now + seconds(10), seconds(10)).empty());
  const auto gone = p.expire(now + seconds(11), seconds(10));
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].info.name, "alice");
  EXPECT_EQ(p.size(), 0u);
}

TEST(Presence, AParkedPollHoldsItsMember) {
  presence p;
  const auto now = presence::clock::now();
  p.touch("c1", "alice", member_via::http, now);
  const auto held = p.poll_began("c1");
  EXPECT_TRUE(p.expire(now + seconds(60), seconds(10)).empty());
  p.poll_ended("c1", held, now + seconds(60));
  EXPECT_TRUE(p.expire(now + seconds(65), seconds(10)).empty());
  EXPECT_EQ(p.expire(now + seconds(71), seconds(10)).size(), 1u);
}

TEST(Presence, APollOfAnEarlierMembershipDoesNotEndTheNewOnesHold) {
  // Leave and join again while the old poll is still parked: the new poll holds the member,
  // and the old poll ending must not count against it.
  presence p;
  const auto now = presence::clock::now();
  p.touch("c1", "alice", member_via::http, now);
  const auto old_hold = p.poll_began("c1");
  ASSERT_TRUE(p.leave("c1"));
  p.touch("c1", "alice", member_via::http, now);
  const auto new_hold = p.poll_began("c1");
  EXPECT_NE(old_hold, new_hold);
  p.poll_ended("c1", old_hold, now);
  EXPECT_TRUE(p.expire(now + seconds(60), seconds(10)).empty());  // the new poll still holds it
  p.poll_ended("c1", new_hold, now + seconds(60));
  EXPECT_EQ(p.expire(now + seconds(71), seconds(10)).size(), 1u);
}

TEST(Presence, APollOfANonMemberHoldsNothing) {
  presence p;
  EXPECT_EQ(p.poll_began("stranger"), 0u);
}

TEST(Presence, RefreshRestartsTheGraceOfMembersOnly) {
  presence p;
  const auto now = presence::clock::now();
  p.touch("c1", "alice", member_via::http, now);
  p.refresh("c1", now + seconds(8));
  p.refresh("stranger", now + seconds(8));
  EXPECT_TRUE(p.expire(now + seconds(15), seconds(10)).empty());
  EXPECT_EQ(p.size(), 1u);
}

TEST(Presence, TcpMembersDoNotExpire) {
  presence p;
  const auto now = presence::clock::now();
  p.touch("t1", "127.0.0.1:5000", member_via::tcp, now);
  EXPECT_TRUE(p.expire(now + seconds(3600), seconds(10)).empty());
  EXPECT_EQ(p.leave("t1").value_or(member_info{}).name, "127.0.0.1:5000");
  EXPECT_FALSE(p.leave("t1"));
}

TEST(RoomPresence, JoinAndLeaveAreMessagesInTheRoom) {
  room r("lobby", 100);
  const auto joined = r.join("c1", "alice", member_via::http);
  EXPECT_EQ(joined, 1u);
  EXPECT_EQ(r.join("c1", "alice", member_via::http), 0u);  // already a member: nothing new
  EXPECT_TRUE(r.leave("c1"));
  EXPECT_FALSE(r.leave("c1"));
  const batch b = r.read(0, 10);
  ASSERT_EQ(b.messages.size(), 2u);
  EXPECT_EQ(b.messages[0]->type, message_type::join);
  EXPECT_EQ(b.messages[0]->text(), "alice joined.\n");
  EXPECT_EQ(b.messages[1]->type, message_type::leave);
  EXPECT_EQ(b.messages[1]->text(), "alice has left.\n");
}

TEST(RoomPresence, ExpiryEmitsLeaves) {
  room r("lobby", 100);
  r.join("c1", "alice", member_via::http);
  r.expire_members(seconds(0));
  EXPECT_EQ(r.member_count(), 0u);
  EXPECT_EQ(r.read(1, 10).messages.at(0)->type, message_type::leave);
}

// Behind Redis a client that this instance serves is also in the mirror of every instance's
// members (same key): it is listed and counted once.
TEST(RoomPresence, AClientServedHereAndMirroredIsListedOnce) {
  room r("lobby", 100);
  ASSERT_TRUE(r.admit("http:c1", "alice", member_via::http));
  r.mirror_join("http:c1", {"alice", member_via::http, std::chrono::system_clock::now()});
  r.mirror_join("http:c2", {"bob", member_via::http, std::chrono::system_clock::now()});
  EXPECT_EQ(r.member_count(), 2u);
  ASSERT_EQ(r.members().size(), 2u);
  // Forgotten here (it left everywhere): no leave to say, the mirror still lists it until its
  // leave arrives.
  EXPECT_TRUE(r.forget("http:c1"));
  EXPECT_FALSE(r.is_member("http:c1"));
  EXPECT_EQ(r.member_count(), 2u);
  r.mirror_leave("http:c1");
  EXPECT_EQ(r.member_count(), 1u);
}

// A client served by another instance may ask to leave here: the leave names it.
TEST(RoomPresence, AMirroredMemberCanBeDismissedHere) {
  room r("lobby", 100);
  r.mirror_join("http:c2", {"bob", member_via::http, std::chrono::system_clock::now()});
  const auto leave = r.dismiss("http:c2");
  ASSERT_TRUE(leave);
  EXPECT_EQ(leave->from, "bob");
  EXPECT_EQ(leave->member, "http:c2");
  EXPECT_FALSE(leave->lapsed);
  EXPECT_EQ(r.member_count(), 0u);
  EXPECT_FALSE(r.dismiss("http:c2"));
}

// Leaves of the grace and of a clean stop are lapses: a shared store says them only when no
// other instance serves the member.
TEST(RoomPresence, ExpiryAndAStopAreLapses) {
  room r("lobby", 100);
  ASSERT_TRUE(r.admit("http:c1", "alice", member_via::http));
  ASSERT_TRUE(r.admit("http:c2", "bob", member_via::http));
  const auto expired = r.expire(seconds(-1));
  ASSERT_EQ(expired.size(), 2u);
  EXPECT_TRUE(expired[0].lapsed);
  ASSERT_TRUE(r.admit("http:c3", "carol", member_via::http));
  const auto stopped = r.dismiss_all();
  ASSERT_EQ(stopped.size(), 1u);
  EXPECT_TRUE(stopped[0].lapsed);
}

}  // namespace pollchat
