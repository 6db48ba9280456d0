// poller-client against the real chat-server, both as processes (SPEC §7).

#include <gtest/gtest.h>

#include <csignal>
#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "server_process.hpp"
#include "test_client.hpp"

namespace pollchat::testing {
namespace {

using ordered_json = nlohmann::ordered_json;

// A value of the server's /metrics, or -1.
double metric(std::uint16_t port, std::string_view name) {
  const auto answer = request_once(port, "GET", "/metrics");
  for (const auto& line : lines_of(answer ? answer->body() : std::string())) {
    if (line.starts_with(name) && line.size() > name.size() && line[name.size()] == ' ')
      return std::stod(line.substr(name.size() + 1));
  }
  return -1;
}

// "[14:33:00] bob: hi" as poller-client prints a stored message with TZ=UTC.
std::string shown(const ordered_json& message) {
  return "[" + message["time"].get<std::string>().substr(11, 8) + "] " +
         message["from"].get<std::string>() + ": " + message["body"].get<std::string>() + "\n";
}

// One server, which a test may crash and start again on the same port.
class PollerClient : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_->started()) << server_->log(); }

  std::uint16_t port() const { return port_; }
  child_process client(std::vector<std::string> flags) {
    return child_process(client_argv(url_of(port_), std::move(flags)), client_env());
  }
  void crash() { server_->stop(SIGKILL); }
  ::testing::AssertionResult restart() {
    server_.emplace(std::vector<std::string>{"--listen", "127.0.0.1:" + std::to_string(port_)});
    if (server_->started())
      return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "no restart on port " << port_ << ":\n"
                                         << server_->log();
  }

  std::optional<server_process> server_{std::in_place};
  const std::uint16_t port_ = server_->port();
};

TEST_F(PollerClient, PipedStdinLinesArePostedInOrderAndShownOnce) {
  auto alice = client({"--name", "alice", "--last", "0"});
  alice.write_stdin("hello\nsecond line\r\n\nno newline at the end");
  alice.close_stdin();
  ASSERT_EQ(alice.wait_exit(), 0) << alice.err();

  const auto stored = stored_messages(port());
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_EQ(stored[0]["body"], "hello");
  EXPECT_EQ(stored[1]["body"], "second line");  // "\r\n" is a line end; the empty line no post
  EXPECT_EQ(stored[2]["body"], "no newline at the end");
  for (const auto& message : stored) {
    EXPECT_EQ(message["from"], "alice");
    // Its own lines are shown, once each, before it leaves.
    EXPECT_EQ(occurrences(alice.out(), shown(message)), 1) << alice.out();
  }
  EXPECT_EQ(alice.err(), "");
}

TEST_F(PollerClient, CountWithJsonPrintsExactlyTheFirstMessageObjects) {
  std::vector<std::string> objects;
  for (const char* body : {"one", "two", "three"})
    objects.push_back(ordered_json::parse(post_message(port(), "lobby", "bob", body)).dump());
  auto reader = client({"--since", "all", "--count", "2", "--json", "--no-input"});
  ASSERT_EQ(reader.wait_exit(), 0) << reader.err();
  EXPECT_EQ(reader.out(), objects[0] + "\n" + objects[1] + "\n");
  EXPECT_EQ(reader.err(), "");
}

TEST_F(PollerClient, CountPrintsExactTextLinesWithTerminalControlsDefused) {
  post_message(port(), "lobby", "bob", "one");
  post_message(port(), "lobby", "bob", "two\nlines \x1B[31mred");
  post_message(port(), "lobby", "bob", "three");
  const auto stored = stored_messages(port());
  ASSERT_EQ(stored.size(), 3u);
  const auto time = [&](std::size_t i) {
    return stored[i]["time"].get<std::string>().substr(11, 8);
  };

  auto reader = client({"--since", "all", "--count", "2", "--no-input"});
  ASSERT_EQ(reader.wait_exit(), 0) << reader.err();
  EXPECT_EQ(reader.out(),
            "[" + time(0) + "] bob: one\n[" + time(1) + "] bob: two\n  lines ^[[31mred\n");
}

TEST_F(PollerClient, TwoClientsChatWithEachOther) {
  auto alice = client({"--name", "alice", "--since", "all"});
  auto bob = client({"--name", "bob", "--since", "all"});
  alice.write_stdin("hi bob\n");
  ASSERT_TRUE(bob.wait_out("alice: hi bob\n")) << bob.err();
  bob.write_stdin("hi alice\n");
  ASSERT_TRUE(alice.wait_out("bob: hi alice\n")) << alice.err();
  alice.close_stdin();
  bob.close_stdin();
  ASSERT_EQ(alice.wait_exit(), 0) << alice.err();
  ASSERT_EQ(bob.wait_exit(), 0) << bob.err();

  for (const auto* output : {&alice.out(), &bob.out()}) {
    EXPECT_EQ(occurrences(*output, "alice: hi bob\n"), 1) << *output;
    EXPECT_EQ(occurrences(*output, "bob: hi alice\n"), 1) << *output;
    EXPECT_LT(output->find("alice: hi bob\n"), output->find("bob: hi alice\n"));
  }
}

TEST_F(PollerClient, ItsOwnJoinAndTheJoinsAndLeavesOfOthersAreShown) {
  auto alice = client({"--name", "alice", "--no-input", "--last", "0"});
  ASSERT_TRUE(alice.wait_out("* alice joined\n")) << alice.out() << alice.err();
  auto bob = client({"--name", "bob"});
  ASSERT_TRUE(alice.wait_out("* bob joined\n")) << alice.out();
  bob.close_stdin();  // end of input: bob leaves at once, not after the presence grace
  ASSERT_EQ(bob.wait_exit(), 0) << bob.err();
  ASSERT_TRUE(alice.wait_out("* bob left\n", 5s)) << alice.out();
}

TEST_F(PollerClient, ReconnectsAfterAServerRestartAndShowsEveryMessageOnce) {
  auto reader = client({"--since", "all", "--no-input", "--timeout", "5"});
  post_message(port(), "lobby", "bob", "before the crash");
  ASSERT_TRUE(reader.wait_out("bob: before the crash\n")) << reader.err();

  crash();
  ASSERT_TRUE(reader.wait_err("lost contact")) << reader.err();
  ASSERT_TRUE(restart());
  post_message(port(), "lobby", "bob", "after 1");
  post_message(port(), "lobby", "bob", "after 2");
  ASSERT_TRUE(reader.wait_out("bob: after 2\n", 20s)) << reader.out() << reader.err();
  ASSERT_TRUE(reader.wait_err("reconnected")) << reader.err();

  reader.signal(SIGINT);
  ASSERT_EQ(reader.wait_exit(), 0) << reader.err();
  const auto& out = reader.out();
  EXPECT_EQ(occurrences(out, "bob: before the crash\n"), 1) << out;
  EXPECT_EQ(occurrences(out, "bob: after 1\n"), 1) << out;
  EXPECT_EQ(occurrences(out, "bob: after 2\n"), 1) << out;
  EXPECT_LT(out.find("bob: after 1\n"), out.find("bob: after 2\n"));
  // One line for the outage, one when back, one for the new epoch: not one per attempt.
  EXPECT_EQ(occurrences(reader.err(), "lost contact"), 1) << reader.err();
  EXPECT_EQ(occurrences(reader.err(), "reconnected"), 1) << reader.err();
  EXPECT_EQ(occurrences(reader.err(), "new epoch"), 1) << reader.err();
}

TEST_F(PollerClient, ALineTypedDuringAnOutageIsPostedOnceWhenTheServerIsBack) {
  auto alice = client({"--name", "alice", "--since", "all"});
  post_message(port(), "lobby", "bob", "are you there?");
  ASSERT_TRUE(alice.wait_out("bob: are you there?\n")) << alice.err();

  crash();
  ASSERT_TRUE(alice.wait_err("lost contact")) << alice.err();
  alice.write_stdin("typed while it was down\n");
  ASSERT_TRUE(restart());
  ASSERT_TRUE(alice.wait_out("alice: typed while it was down\n", 20s))
      << alice.out() << alice.err();
  alice.close_stdin();
  ASSERT_EQ(alice.wait_exit(), 0) << alice.err();

  const auto stored = stored_messages(port());
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0]["body"], "typed while it was down");
  EXPECT_EQ(occurrences(alice.out(), "alice: typed while it was down\n"), 1) << alice.out();
  EXPECT_EQ(occurrences(alice.err(), "lost contact"), 1) << alice.err();
}

TEST_F(PollerClient, APostWhoseAnswerWasLostIsRetriedWithoutPostingTwice) {
  answer_dropping_proxy proxy(port());
  child_process alice(client_argv(proxy.url(), {"--name", "alice", "--since", "all"}),
                      client_env());
  alice.write_stdin("only once\n");
  ASSERT_TRUE(alice.wait_out("alice: only once\n", 20s)) << alice.out() << alice.err();
  alice.close_stdin();
  ASSERT_EQ(alice.wait_exit(), 0) << alice.err();

  EXPECT_EQ(proxy.dropped(), 1);
  // The retry carried the same Idempotency-Key: the server answered the first message again.
  const auto stored = stored_messages(port());
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0]["body"], "only once");
  EXPECT_EQ(occurrences(alice.out(), "alice: only once\n"), 1) << alice.out();
}

TEST_F(PollerClient, AQuietRoomIsNoError) {
  auto reader = client({"--no-input", "--room", "quiet", "--timeout", "1"});
  // The start-up poll, then four long polls: the first three ended by the server's timeout
  // and were issued again.
  ASSERT_TRUE(reader.wait_until([&] { return metric(port(), "pollchat_polls_total") >= 5; }, 20s))
      << reader.err();
  EXPECT_EQ(reader.err(), "");
  reader.signal(SIGINT);
  EXPECT_EQ(reader.wait_exit(), 0) << reader.err();
  for (const auto& line : lines_of(reader.out()))  // only its own join
    EXPECT_TRUE(line.ends_with(" joined")) << line;
}

TEST(PollerClientServer, MissedMessagesAreAnnounced) {
  server_process server({"--history", "3"});
  ASSERT_TRUE(server.started()) << server.log();
  for (const char* body : {"1", "2", "3", "4", "5"})
    post_message(server.port(), "lobby", "bob", body);
  child_process reader(
      client_argv(url_of(server.port()), {"--since", "1", "--count", "2", "--json", "--no-input"}),
      client_env());
  ASSERT_EQ(reader.wait_exit(), 0) << reader.err();
  // Everything after id 1 that the server no longer keeps is announced: the ids between 1 and
  // the first one shown (the client's own join may push one more out of the history).
  const auto first = ordered_json::parse(lines_of(reader.out()).at(0))["id"].get<int>();
  ASSERT_GE(first, 3) << reader.out();
  const int missed = first - 2;
  EXPECT_NE(reader.err().find(std::to_string(missed) + (missed == 1 ? " message" : " messages") +
                              " missed"),
            std::string::npos)
      << reader.err();
}

TEST(PollerClientServer, EndOfInputAndCtrlCSendALeaveAndExitZero) {
  server_process server({"--access-log"});
  ASSERT_TRUE(server.started()) << server.log();
  const auto leaves = [&] { return occurrences(server.log(), "POST /rooms/lobby/leave"); };

  child_process interrupted(client_argv(url_of(server.port()), {"--no-input"}), client_env());
  // A member once its join is in the room (its first GET only reads the history: a client
  // interrupted then has joined nothing and owes no leave).
  const auto joined = [&] {
    const auto room = request_once(server.port(), "GET", "/rooms/lobby");
    return room && room->body().find("\"members\":[]") == std::string::npos;
  };
  ASSERT_TRUE(interrupted.wait_until(joined)) << server.log();
  interrupted.signal(SIGINT);
  EXPECT_EQ(interrupted.wait_exit(), 0) << interrupted.err();
  EXPECT_TRUE(interrupted.wait_until([&] { return leaves() == 1; })) << server.log();

  child_process finished(client_argv(url_of(server.port()), {}), client_env());
  finished.close_stdin();
  EXPECT_EQ(finished.wait_exit(), 0) << finished.err();
  EXPECT_TRUE(finished.wait_until([&] { return leaves() == 2; })) << server.log();
}

TEST(PollerClientServer, A401ExitsOneWithTheServersMessageAndTheTokenWorks) {
  server_process server({"--token", "s3cret"});
  ASSERT_TRUE(server.started()) << server.log();
  child_process refused(client_argv(url_of(server.port()), {"--no-input"}), client_env());
  EXPECT_EQ(refused.wait_exit(), 1);
  EXPECT_NE(refused.err().find("401 Unauthorized"), std::string::npos) << refused.err();

  const auto posted =
      request_once(server.port(), "POST", "/chat",
                   {{"Authorization", "Bearer s3cret"}, {"Content-Type", "application/json"}},
                   R"({"body": "secret hi"})");
  ASSERT_TRUE(posted && posted->result_int() == 200);
  auto env = client_env();
  env["CHAT_TOKEN"] = "s3cret";
  child_process member(
      client_argv(url_of(server.port()), {"--since", "all", "--count", "1", "--no-input"}), env);
  EXPECT_EQ(member.wait_exit(), 0) << member.err();
  EXPECT_NE(member.out().find(": secret hi\n"), std::string::npos) << member.out();
}

TEST(PollerClientUsage, BadUsageExitsTwoAndHelpExitsZero) {
  for (const std::vector<std::string>& flags :
       {std::vector<std::string>{"--url", "ftp://127.0.0.1:9000"},
        std::vector<std::string>{"--bogus"}, std::vector<std::string>{"--count", "0"},
        std::vector<std::string>{"--room", "a room"}, std::vector<std::string>{"--since", "x"},
        std::vector<std::string>{"--timeout"}}) {
    std::vector<std::string> argv{POLLER_CLIENT_PATH};
    argv.insert(argv.end(), flags.begin(), flags.end());
    child_process usage(argv, client_env());
    EXPECT_EQ(usage.wait_exit(), 2) << flags[0];
    EXPECT_EQ(usage.out(), "");
    EXPECT_NE(usage.err().find("--help"), std::string::npos) << usage.err();
  }
  child_process help({POLLER_CLIENT_PATH, "--help"}, client_env());
  EXPECT_EQ(help.wait_exit(), 0);
  EXPECT_NE(help.out().find("Usage: poller-client"), std::string::npos) << help.out();
}

}  // namespace
}  // namespace pollchat::testing
