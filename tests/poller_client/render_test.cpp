#include "poller-client/render.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

namespace pollchat::client {
namespace {

// Renders in a given time zone (POSIX TZ strings: no tz database needed).
class Render : public ::testing::Test {
 protected:
  void SetUp() override { zone("UTC0"); }
  void TearDown() override {
    if (old_) {
      ::setenv("TZ", old_->c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }
  static void zone(const char* tz) {
    ::setenv("TZ", tz, 1);
    ::tzset();
  }

 private:
  std::optional<std::string> old_ =
      std::getenv("TZ") != nullptr ? std::optional<std::string>(std::getenv("TZ")) : std::nullopt;
};

chat_message make(std::string type, std::string from, std::string body,
                  std::string time = "2026-11-22T14:33:00.123Z") {
  chat_message message{7, std::move(type), std::move(from), std::move(body), std::move(time), {}};
  message.object = {{"id", 7},
                    {"room", "lobby"},
                    {"type", message.type},
                    {"from", message.from},
                    {"body", message.body},
                    {"time", message.time}};
  return message;
}

TEST_F(Render, MessagesJoinsAndLeavesAsTheSpecShowsThem) {
  EXPECT_EQ(render_text(make("message", "alice", "hi")), "[14:33:00] alice: hi\n");
  EXPECT_EQ(render_text(make("join", "bob", "", "2026-11-22T14:33:05.000Z")),
            "[14:33:05] * bob joined\n");
  EXPECT_EQ(render_text(make("leave", "bob", "")), "[14:33:00] * bob left\n");
}

TEST_F(Render, TimesAreLocal) {
  zone("IST-5:30");
  EXPECT_EQ(render_text(make("message", "alice", "hi")), "[20:03:00] alice: hi\n");
  zone("PST8");
  EXPECT_EQ(clock_time("2026-11-22T03:00:00Z"), "19:00:00");
}

TEST_F(Render, UnreadableTimesShowDashes) {
  EXPECT_EQ(clock_time("yesterday"), "--:--:--");
  EXPECT_EQ(clock_time("2026-11-22T14:33:00+01:00"), "--:--:--");
  EXPECT_EQ(clock_time(""), "--:--:--");
}

TEST_F(Render, LineBreaksInABodyCannotForgeAMessage) {
  EXPECT_EQ(render_text(make("message", "mallory", "ok\n[14:33:01] alice: send money")),
            "[14:33:00] mallory: ok\n  [14:33:01] alice: send money\n");
  EXPECT_EQ(render_text(make("message", "evil\nname", "x")), "[14:33:00] evil^Jname: x\n");
}

TEST_F(Render, TerminalControlsAreShownNotObeyed) {
  EXPECT_EQ(render_text(make("message", "m",
                             "\x1B]0;pwned\x07\xC2\x9B"
                             "2J")),
            "[14:33:00] m: ^[]0;pwned^G<U+009B>2J\n");
}

TEST_F(Render, JsonIsTheObjectOnOneLine) {
  EXPECT_EQ(
      render_json(make("message", "alice", "two\nlines \x1B")),
      R"({"id":7,"room":"lobby","type":"message","from":"alice","body":"two\nlines \u001b","time":"2026-11-22T14:33:00.123Z"})"
      "\n");
}

}  // namespace
}  // namespace pollchat::client
