// poller-client's first minute, as a newcomer meets it (issue 17): a server that is not there,
// or not yet; where --last starts; --version; errors that name what was really given.

#include <gtest/gtest.h>

#include <csignal>
#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "server_process.hpp"
#include "test_client.hpp"

namespace pollchat::testing {
namespace {

using ordered_json = nlohmann::ordered_json;

std::chrono::milliseconds since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start);
}

TEST(PollerClientStart, AWrongPortExitsOneWithinTheConnectTimeoutSayingItCannotReach) {
  const auto start = std::chrono::steady_clock::now();
  child_process client(client_argv(url_of(unused_port()), {"--connect-timeout", "2"}),
                       client_env());
  ASSERT_EQ(client.wait_exit(10s), 1) << client.err();
  const auto took = since(start);
  EXPECT_GE(took, 1900ms);  // it kept trying...
  EXPECT_LT(took, 4s);      // ...for --connect-timeout, not forever
  EXPECT_NE(client.err().find("cannot reach"), std::string::npos) << client.err();
  EXPECT_NE(client.err().find("Connection refused"), std::string::npos) << client.err();
  EXPECT_NE(client.err().find("gave up after 2 s (--connect-timeout)"), std::string::npos)
      << client.err();
  EXPECT_EQ(client.err().find("lost contact"), std::string::npos) << client.err();
  EXPECT_EQ(occurrences(client.err(), "trying for 2 s"), 1) << client.err();  // not per attempt
  EXPECT_EQ(client.out(), "");
}

TEST(PollerClientStart, AnUnknownHostExitsOneWithinTheConnectTimeout) {
  // .invalid never resolves (RFC 2606).
  child_process client(
      client_argv("http://no-such-host.invalid:9000", {"--connect-timeout", "1", "--no-input"}),
      client_env());
  ASSERT_EQ(client.wait_exit(20s), 1) << client.err();
  EXPECT_NE(client.err().find("cannot reach http://no-such-host.invalid:9000"), std::string::npos)
      << client.err();
}

TEST(PollerClientStart, TheConnectTimeoutComesFromItsVariable) {
  auto env = client_env();
  env["CHAT_CONNECT_TIMEOUT"] = "1";
  const auto start = std::chrono::steady_clock::now();
  child_process client(client_argv(url_of(unused_port()), {"--no-input"}), env);
  ASSERT_EQ(client.wait_exit(10s), 1) << client.err();
  EXPECT_LT(since(start), 3s);
  EXPECT_NE(client.err().find("gave up after 1 s"), std::string::npos) << client.err();
}

TEST(PollerClientStart, AServerThatComesUpTwoSecondsLaterIsReached) {
  const auto port = unused_port();
  child_process alice(client_argv(url_of(port), {"--name", "alice", "--last", "0"}),
                      client_env());
  ASSERT_TRUE(alice.wait_err("cannot reach")) << alice.err();
  std::this_thread::sleep_for(2s);  // the point of the test: the server is late
  server_process server({"--listen", "127.0.0.1:" + std::to_string(port)});
  ASSERT_TRUE(server.started()) << server.log();

  ASSERT_TRUE(alice.wait_out("* alice joined\n")) << alice.out() << alice.err();
  EXPECT_NE(alice.err().find("poller-client: reached " + url_of(port) + " after "),
            std::string::npos)
      << alice.err();
  alice.write_stdin("made it\n");
  ASSERT_TRUE(alice.wait_out("alice: made it\n")) << alice.out() << alice.err();
  alice.close_stdin();
  EXPECT_EQ(alice.wait_exit(), 0) << alice.err();
  ASSERT_EQ(stored_messages(server.port()).size(), 1u);
}

TEST(PollerClientStart, AfterTheFirstAnswerItReconnectsLongerThanTheConnectTimeout) {
  const auto port = unused_port();
  std::optional<server_process> server(
      std::in_place, std::vector<std::string>{"--listen", "127.0.0.1:" + std::to_string(port)});
  ASSERT_TRUE(server->started()) << server->log();
  child_process reader(client_argv(url_of(port), {"--connect-timeout", "1", "--no-input",
                                                  "--since", "all", "--timeout", "5"}),
                       client_env());
  ASSERT_TRUE(reader.wait_out(" joined\n")) << reader.err();
  server->stop(SIGKILL);
  ASSERT_TRUE(reader.wait_err("lost contact")) << reader.err();
  EXPECT_FALSE(reader.wait_exit(2500ms)) << reader.err();  // still trying past 1 s
  server.emplace(std::vector<std::string>{"--listen", "127.0.0.1:" + std::to_string(port)});
  ASSERT_TRUE(server->started()) << server->log();
  EXPECT_TRUE(reader.wait_err("reconnected", 15s)) << reader.err();
}

TEST(PollerClientStart, ATlsHandshakeWithAPlainHttpServerIsRetriedThenExitsOne) {
  server_process server;
  ASSERT_TRUE(server.started()) << server.log();
  // A handshake the server cannot take part in is a failure to connect, not a certificate
  // verdict: retried for --connect-timeout.
  const auto start = std::chrono::steady_clock::now();
  child_process client(client_argv("https://127.0.0.1:" + std::to_string(server.port()),
                                   {"--connect-timeout", "2", "--no-input"}),
                       client_env());
  ASSERT_EQ(client.wait_exit(10s), 1) << client.err();
  EXPECT_GE(since(start), 1900ms);
  EXPECT_NE(client.err().find("cannot reach https://127.0.0.1:"), std::string::npos)
      << client.err();
}

TEST(PollerClientStart, LastCountsMessagesNotJoinsAndLeaves) {
  server_process server;
  ASSERT_TRUE(server.started()) << server.log();
  // Three messages with joins and leaves around and between them, as a busy room has.
  const auto visit = [&](const std::string& who) {
    request_once(server.port(), "GET", "/chat?timeout=0&client=" + who + "&name=" + who);
    request_once(server.port(), "POST", "/rooms/lobby/leave",
                 {{"Content-Type", "application/x-www-form-urlencoded"}}, "client=" + who);
  };
  visit("early");
  post_message(server.port(), "lobby", "bob", "first");
  visit("dave");
  post_message(server.port(), "lobby", "bob", "second");
  visit("erin");
  post_message(server.port(), "lobby", "bob", "third");
  visit("frank");
  visit("grace");

  child_process reader(client_argv(url_of(server.port()), {"--last", "2", "--no-input"}),
                       client_env());
  ASSERT_TRUE(reader.wait_out("* anonymous joined\n")) << reader.err();  // its own join: the end
  reader.signal(SIGINT);
  ASSERT_EQ(reader.wait_exit(), 0) << reader.err();
  const auto& out = reader.out();
  EXPECT_EQ(out.find("bob: first"), std::string::npos) << out;
  EXPECT_EQ(occurrences(out, "bob: second\n"), 1) << out;
  EXPECT_EQ(occurrences(out, "bob: third\n"), 1) << out;
  EXPECT_TRUE(lines_of(out).at(0).ends_with("bob: second")) << out;  // starts with a message
  EXPECT_NE(out.find("* grace left\n"), std::string::npos) << out;  // presence after it shown
  EXPECT_EQ(reader.err(), "");
}

TEST(PollerClientStart, VersionPrintsTheVersionAndTheCommit) {
  child_process version({POLLER_CLIENT_PATH, "--version"}, client_env());
  ASSERT_EQ(version.wait_exit(), 0) << version.err();
  EXPECT_TRUE(version.out().starts_with("poller-client 0.")) << version.out();
  EXPECT_NE(version.out().find(" (commit "), std::string::npos) << version.out();
  EXPECT_EQ(version.err(), "");
}

TEST(PollerClientStart, AnErrorAboutAVariableNamesTheVariableNotTheFlag) {
  auto env = client_env();
  env["CHAT_URL"] = "localhost:9000";
  child_process client({POLLER_CLIENT_PATH}, env);
  ASSERT_EQ(client.wait_exit(), 2) << client.err();
  EXPECT_NE(client.err().find("CHAT_URL=localhost:9000: not a URL"), std::string::npos)
      << client.err();
  EXPECT_EQ(client.err().find("--url "), std::string::npos) << client.err();
}

}  // namespace
}  // namespace pollchat::testing
