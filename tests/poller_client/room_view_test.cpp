#include "poller-client/room_view.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace pollchat::client {
namespace {

chat_message message(std::int64_t id, std::string type = "message", std::string body = "m") {
  chat_message m{id, std::move(type), "alice", std::move(body), "2026-11-22T14:33:00Z", {}};
  m.object = {{"id", id}, {"type", m.type}, {"from", m.from}, {"body", m.body}, {"time", m.time}};
  return m;
}

poll_answer answer(std::string epoch, std::vector<chat_message> messages, std::int64_t next,
                   std::int64_t missed = 0) {
  return {std::move(epoch), std::move(messages), next, missed};
}

class RoomView : public ::testing::Test {
 protected:
  int lines(const std::ostringstream& stream) const {
    const auto text = stream.str();
    return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  }
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(RoomView, NoCursorBeforeTheStart) {
  room_view view(out_, err_, false, std::nullopt);
  EXPECT_FALSE(view.since());
  EXPECT_FALSE(view.caught_up());
}

TEST_F(RoomView, PrintsInOrderAndResumesAfterTheLastMessage) {
  room_view view(out_, err_, false, std::nullopt);
  view.start_at(0, "", false);
  EXPECT_FALSE(
      view.show(answer("e1", {message(1, "message", "a"), message(2, "message", "b")}, 2)));
  EXPECT_EQ(out_.str(), "[14:33:00] alice: a\n[14:33:00] alice: b\n");
  EXPECT_EQ(view.since(), 2);
  EXPECT_EQ(view.epoch(), "e1");
  EXPECT_EQ(err_.str(), "");  // the first epoch is learnt, not announced

  EXPECT_FALSE(view.show(answer("e1", {}, 2)));  // a quiet poll timed out
  EXPECT_EQ(view.since(), 2);
  EXPECT_EQ(lines(out_), 2);
}

TEST_F(RoomView, JsonPrintsEachObjectOnItsOwnLine) {
  room_view view(out_, err_, true, std::nullopt);
  view.start_at(0, "", false);
  view.show(answer("e1", {message(1), message(2, "join")}, 2));
  EXPECT_EQ(out_.str(),
            R"({"id":1,"type":"message","from":"alice","body":"m","time":"2026-11-22T14:33:00Z"})"
            "\n"
            R"({"id":2,"type":"join","from":"alice","body":"m","time":"2026-11-22T14:33:00Z"})"
            "\n");
}

TEST_F(RoomView, CountStopsRightAfterTheNthMessageNotCountingJoins) {
  room_view view(out_, err_, false, 2);
  view.start_at(0, "", false);
  EXPECT_FALSE(view.show(answer("e1", {message(1, "join"), message(2)}, 2)));
  EXPECT_TRUE(view.show(answer("e1", {message(3, "leave"), message(4), message(5)}, 5)));
  EXPECT_EQ(lines(out_), 4);  // join, message, leave, message: not message 5
  EXPECT_EQ(view.since(), 4);
}

TEST_F(RoomView, AnEpochChangeIsAnnouncedOnceAndFollowed) {
  room_view view(out_, err_, false, std::nullopt);
  view.start_at(0, "", false);
  view.show(answer("e1", {message(1), message(2), message(3)}, 3));
  // The server restarted: it answers the new epoch's history from its start.
  view.show(answer("e2", {message(1, "message", "new")}, 1));
  view.show(answer("e2", {message(2, "message", "newer")}, 2));
  EXPECT_EQ(lines(err_), 1);
  EXPECT_NE(err_.str().find("new epoch"), std::string::npos);
  EXPECT_EQ(view.epoch(), "e2");
  EXPECT_EQ(view.since(), 2);
  EXPECT_NE(out_.str().find("alice: new\n"), std::string::npos);
  EXPECT_NE(out_.str().find("alice: newer\n"), std::string::npos);
}

TEST_F(RoomView, MissedMessagesAreAnnounced) {
  room_view view(out_, err_, false, std::nullopt);
  view.start_at(5, "e1", false);
  view.show(answer("e1", {message(9)}, 9, 3));
  EXPECT_NE(err_.str().find("3 messages missed"), std::string::npos);
  view.show(answer("e1", {message(11)}, 11, 1));
  EXPECT_NE(err_.str().find("1 message missed"), std::string::npos);
}

TEST_F(RoomView, AStartFromTheLastNDoesNotCallTrimmedHistoryMissed) {
  room_view view(out_, err_, false, std::nullopt);
  view.start_at(90, "e1", /*quiet_missed=*/true);
  view.show(answer("e1", {message(96)}, 96, 5));
  EXPECT_EQ(err_.str(), "");
  view.show(answer("e1", {message(120)}, 120, 23));  // only the first answer is quiet
  EXPECT_NE(err_.str().find("23 messages missed"), std::string::npos);
}

TEST_F(RoomView, CaughtUpOnceOurOwnPostsHaveBeenShown) {
  room_view view(out_, err_, false, std::nullopt);
  view.start_at(0, "", false);
  EXPECT_TRUE(view.caught_up());
  view.posted(2);
  view.posted(1);  // answers may come out of order; the newest id counts
  EXPECT_FALSE(view.caught_up());
  view.show(answer("e1", {message(1)}, 1));
  EXPECT_FALSE(view.caught_up());
  view.show(answer("e1", {message(2)}, 2));
  EXPECT_TRUE(view.caught_up());
}

TEST_F(RoomView, PostsOfALostEpochAreNotWaitedFor) {
  room_view view(out_, err_, false, std::nullopt);
  view.start_at(0, "", false);
  view.show(answer("e1", {message(1)}, 1));
  view.posted(8);
  view.show(answer("e2", {}, 0));
  EXPECT_TRUE(view.caught_up());
}

}  // namespace
}  // namespace pollchat::client
