#include "poller-client/last_messages.hpp"

#include <gtest/gtest.h>

#include <map>

namespace pollchat::client {
namespace {

// A room's history as the server keeps it: id -> type, from `oldest` on.
struct fake_room {
  std::map<std::int64_t, std::string> events;
  std::string epoch = "e1";
  int max_limit = 1000;  // the most one answer carries

  // What GET ?since=..&limit=..&timeout=0 answers (SPEC §2).
  poll_answer answer(const poll_query& query) const {
    poll_answer result{epoch, {}, query.since.value_or(0), 0};
    const std::int64_t since = query.since.value_or(0);
    if (!events.empty())
      result.missed = std::max<std::int64_t>(0, events.begin()->first - 1 - since);
    const int limit = std::min(query.limit > 0 ? query.limit : 100, max_limit);
    for (auto it = events.upper_bound(since);
         it != events.end() && static_cast<int>(result.messages.size()) < limit; ++it) {
      result.messages.push_back(chat_message{it->first, it->second, "x", "", "", {}});
      result.next = it->first;
    }
    return result;
  }
  std::int64_t newest() const { return events.empty() ? 0 : events.rbegin()->first; }
};

// Runs the search against `room`; the start, and how many polls it took.
std::pair<std::int64_t, int> search(const fake_room& room, int n) {
  last_messages finder(n, room.newest(), room.epoch);
  int polls = 0;
  while (!finder.done() && polls < 100) {
    const auto query = finder.next_query();
    EXPECT_EQ(query.timeout, 0);
    EXPECT_FALSE(query.member);  // a glance does not make us a member
    finder.feed(room.answer(query));
    ++polls;
  }
  EXPECT_TRUE(finder.done());
  return {finder.start(), polls};
}

TEST(LastMessages, ZeroOrAnEmptyRoomStartsAtTheNewestWithoutAPoll) {
  fake_room room;
  room.events = {{1, "message"}, {2, "join"}};
  EXPECT_EQ(search(room, 0), std::make_pair(std::int64_t{2}, 0));
  EXPECT_EQ(search(fake_room{}, 5), std::make_pair(std::int64_t{0}, 0));
}

TEST(LastMessages, CountsMessagesNotJoinsAndLeaves) {
  fake_room room;
  room.events = {{1, "message"}, {2, "join"}, {3, "message"}, {4, "leave"}, {5, "join"},
                 {6, "message"}, {7, "leave"}, {8, "join"}, {9, "leave"}};
  EXPECT_EQ(search(room, 2).first, 2);  // from message 3 on: 3, 4, 5, 6, 7, 8, 9
  EXPECT_EQ(search(room, 1).first, 5);
  EXPECT_EQ(search(room, 3).first, 0);
  EXPECT_EQ(search(room, 4).first, 0);  // fewer messages than asked: everything
}

TEST(LastMessages, ReadsOlderWindowsUntilItHasFoundN) {
  fake_room room;
  for (std::int64_t id = 1; id <= 2500; ++id)
    room.events[id] = "join";
  room.events[100] = "message";
  room.events[1600] = "message";
  const auto [start, polls] = search(room, 2);
  EXPECT_EQ(start, 99);
  EXPECT_EQ(polls, 3);  // (1500, 2500], (500, 1500], (0, 500]
}

TEST(LastMessages, StopsWhereTheServersHistoryBegins) {
  fake_room room;
  for (std::int64_t id = 1801; id <= 2500; ++id)  // ids up to 1800 are no longer kept
    room.events[id] = id % 2 == 0 ? "message" : "join";
  // 350 messages kept, 400 asked for: everything the server keeps, with one window read.
  const auto [start, polls] = search(room, 400);
  EXPECT_EQ(start, 1500);
  EXPECT_EQ(polls, 1);
}

TEST(LastMessages, ReadsOnWhenTheServerAnswersFewerThanAsked) {
  fake_room room;
  room.max_limit = 10;
  for (std::int64_t id = 1; id <= 40; ++id)
    room.events[id] = id == 5 ? "message" : "leave";
  const auto [start, polls] = search(room, 1);
  EXPECT_EQ(start, 4);
  EXPECT_EQ(polls, 4);
}

TEST(LastMessages, AnEpochChangeStartsFromTheNewHistory) {
  last_messages finder(2, 50, "old");
  fake_room room;
  room.events = {{1, "message"}};
  room.epoch = "new";
  finder.feed(room.answer(finder.next_query()));
  ASSERT_TRUE(finder.done());
  EXPECT_EQ(finder.start(), 0);
  EXPECT_EQ(finder.epoch(), "new");
}

}  // namespace
}  // namespace pollchat::client
