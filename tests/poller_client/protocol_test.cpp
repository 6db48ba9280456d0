#include "poller-client/protocol.hpp"

#include <gtest/gtest.h>

#include <set>

namespace pollchat::client {
namespace {

constexpr std::string_view hi =
    R"({"id": 42, "room": "lobby", "type": "message", "from": "alice", "body": "hi", "time": "2026-11-22T14:33:00.123Z"})";

TEST(Protocol, ReadsAMessageObjectAndKeepsItsKeyOrder) {
  const auto message = parse_message(hi);
  ASSERT_TRUE(message);
  EXPECT_EQ(message->id, 42);
  EXPECT_EQ(message->type, "message");
  EXPECT_EQ(message->from, "alice");
  EXPECT_EQ(message->body, "hi");
  EXPECT_EQ(message->time, "2026-11-22T14:33:00.123Z");
  EXPECT_EQ(
      message->object.dump(),
      R"({"id":42,"room":"lobby","type":"message","from":"alice","body":"hi","time":"2026-11-22T14:33:00.123Z"})");
}

TEST(Protocol, RefusesWhatIsNotAMessage) {
  EXPECT_FALSE(parse_message("not json"));
  EXPECT_FALSE(parse_message("[]"));
  EXPECT_FALSE(parse_message(R"({"id": "42", "type": "message", "from": "a", "time": "t"})"));
  EXPECT_FALSE(parse_message(R"({"id": 42, "from": "a", "time": "t"})"));
}

TEST(Protocol, ReadsAPollAnswer) {
  const std::string body =
      R"({"room": "lobby", "epoch": "e1", "messages": [)" + std::string(hi) +
      R"(, {"id": 43, "room": "lobby", "type": "join", "from": "bob", "time": "2026-11-22T14:33:05.000Z"}], "next": 43, "missed": 2})";
  const auto answer = parse_poll_answer(body);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->epoch, "e1");
  EXPECT_EQ(answer->next, 43);
  EXPECT_EQ(answer->missed, 2);
  ASSERT_EQ(answer->messages.size(), 2u);
  EXPECT_EQ(answer->messages[1].type, "join");
  EXPECT_EQ(answer->messages[1].body, "");
}

TEST(Protocol, RefusesWhatIsNotAPollAnswer) {
  EXPECT_FALSE(parse_poll_answer("<html>proxy error</html>"));
  EXPECT_FALSE(parse_poll_answer(R"({"epoch": "e", "messages": []})"));
  EXPECT_FALSE(parse_poll_answer(R"({"epoch": "e", "next": 1})"));
  EXPECT_FALSE(parse_poll_answer(R"({"epoch": "e", "next": 1, "messages": [{"id": 1}]})"));
  const auto timeout = parse_poll_answer(R"({"epoch": "e", "next": 7, "messages": []})");
  ASSERT_TRUE(timeout);
  EXPECT_TRUE(timeout->messages.empty());
  EXPECT_EQ(timeout->missed, 0);
}

TEST(Protocol, ReadsTheServersErrorMessage) {
  EXPECT_EQ(error_message(R"({"error": "unauthorized", "message": "token required"})"),
            "token required");
  EXPECT_EQ(error_message("Bad Gateway"), "");
}

client_options options_for(std::string prefix, std::string name) {
  client_options options;
  options.server.prefix = std::move(prefix);
  options.room = "dev";
  options.name = std::move(name);
  return options;
}

TEST(Protocol, PollTargetCarriesTheCursorAndEncodesEveryValue) {
  const auto options = options_for("/pc", "a+b c&d=\xC3\xA9");
  EXPECT_EQ(poll_target(options, "c1", {17, "ep/+", 30}),
            "/pc/chat/dev?format=json&since=17&epoch=ep%2F%2B&timeout=30&client=c1"
            "&name=a%2Bb%20c%26d%3D%C3%A9");
  // No cursor yet: no since and no epoch, so the server answers from the newest message on.
  EXPECT_EQ(poll_target(options, "c1", {std::nullopt, "", 0}),
            "/pc/chat/dev?format=json&timeout=0&client=c1&name=a%2Bb%20c%26d%3D%C3%A9");
  // Not as a member: no client, no name.
  EXPECT_EQ(poll_target(options, "c1", {std::nullopt, "", 0, false}),
            "/pc/chat/dev?format=json&timeout=0");
}

TEST(Protocol, PostAndLeaveTargets) {
  const auto options = options_for("", "n");
  EXPECT_EQ(post_target(options), "/chat/dev");
  EXPECT_EQ(leave_target(options), "/rooms/dev/leave");
}

TEST(Protocol, PostBodyIsJsonAndSurvivesInvalidUtf8) {
  const auto body = nlohmann::json::parse(post_body("say \"hi\"\n", "alice", "c1"));
  EXPECT_EQ(body, (nlohmann::json{{"body", "say \"hi\"\n"}, {"name", "alice"}, {"client", "c1"}}));
  const auto replaced = nlohmann::json::parse(post_body("bad\xFF", "alice", "c1"));
  EXPECT_EQ(replaced["body"], "bad\xEF\xBF\xBD");
}

TEST(Protocol, RandomTokensAreLongHexAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const auto token = random_token();
    EXPECT_EQ(token.size(), 32u);
    EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos);
    seen.insert(token);
  }
  EXPECT_EQ(seen.size(), 100u);
}

}  // namespace
}  // namespace pollchat::client
