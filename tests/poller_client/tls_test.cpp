// poller-client over TLS through a real reverse proxy (issue 16, SPEC §10): Debian's nginx with
// a CA and certificates made by openssl in the test (tests/support/tls_proxy), in front of the
// real chat-server.

#include <gtest/gtest.h>

#include <csignal>
#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "server_process.hpp"
#include "tls_proxy.hpp"

namespace pollchat::testing {
namespace {

using ordered_json = nlohmann::ordered_json;

// The bodies of the JSON lines of `out` of type "message", in the order shown.
std::vector<std::string> shown_bodies(const std::string& out) {
  std::vector<std::string> bodies;
  for (const auto& line : lines_of(out)) {
    const auto message = ordered_json::parse(line, nullptr, false);
    if (!message.is_discarded() && message.value("type", "") == "message")
      bodies.push_back(message.value("body", ""));
  }
  return bodies;
}

// Published at "/" or under "/chat-app/": the client keeps the URL's path prefix.
class PollerClientTls : public ::testing::TestWithParam<std::string> {};

TEST_P(PollerClientTls, ReadsAndPostsThroughNginxWithNothingLostOrRepeated) {
  server_process server;
  ASSERT_TRUE(server.started()) << server.log();
  tls_proxy proxy({server.port(), "localhost", GetParam()});
  ASSERT_TRUE(proxy.started()) << proxy.error();
  constexpr int lines = 20;

  child_process reader(client_argv(proxy.url(), {"--ca-file", proxy.ca_file(), "--json",
                                                 "--no-input", "--last", "0", "--count",
                                                 std::to_string(lines)}),
                       client_env());
  ASSERT_TRUE(reader.wait_out("\"type\":\"join\"")) << reader.err() << proxy.log();
  child_process writer(client_argv(proxy.url(), {"--ca-file", proxy.ca_file(), "--name",
                                                 "writer", "--last", "0"}),
                       client_env());
  std::string input;
  std::vector<std::string> expected;
  for (int i = 1; i <= lines; ++i) {
    expected.push_back("line " + std::to_string(i));
    input += expected.back() + "\n";
  }
  writer.write_stdin(input);
  writer.close_stdin();

  ASSERT_EQ(writer.wait_exit(20s), 0) << writer.err() << proxy.log();
  ASSERT_EQ(reader.wait_exit(20s), 0) << reader.err() << proxy.log();
  EXPECT_EQ(shown_bodies(reader.out()), expected) << reader.out();
  for (const auto& body : expected)  // the writer sees its own lines once each too
    EXPECT_EQ(occurrences(writer.out(), "writer: " + body + "\n"), 1) << writer.out();
  const auto stored = stored_messages(server.port());
  ASSERT_EQ(stored.size(), expected.size());
  for (std::size_t i = 0; i < stored.size(); ++i)
    EXPECT_EQ(stored[i]["body"], expected[i]);
  EXPECT_EQ(reader.err(), "");
  EXPECT_EQ(writer.err(), "");
}

INSTANTIATE_TEST_SUITE_P(Prefix, PollerClientTls, ::testing::Values("", "/chat-app"),
                         [](const auto& param_info) {
                           return param_info.param.empty() ? std::string("AtTheRoot")
                                                     : std::string("UnderChatApp");
                         });

TEST(PollerClientTlsProxy, APrefixedDeploymentAnswers404AtTheRoot) {
  // Proves the prefix test above went through the prefix: without it there is nothing.
  server_process server;
  ASSERT_TRUE(server.started()) << server.log();
  tls_proxy proxy({server.port(), "localhost", "/chat-app"});
  ASSERT_TRUE(proxy.started()) << proxy.error();
  child_process client(client_argv("https://localhost:" + std::to_string(proxy.port()),
                                   {"--ca-file", proxy.ca_file(), "--no-input"}),
                       client_env());
  ASSERT_EQ(client.wait_exit(), 1) << client.err();
  EXPECT_NE(client.err().find("404"), std::string::npos) << client.err();
}

TEST(PollerClientTlsProxy, ACertificateFromAnUnknownCaExitsOneAtOnceWithTheReason) {
  server_process server;
  ASSERT_TRUE(server.started()) << server.log();
  tls_proxy proxy({server.port(), "localhost", ""});
  ASSERT_TRUE(proxy.started()) << proxy.error();
  const auto start = std::chrono::steady_clock::now();
  child_process client(client_argv(proxy.url(), {"--no-input"}), client_env());  // no --ca-file
  ASSERT_EQ(client.wait_exit(), 1) << client.err();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);  // not retried for 10 s
  EXPECT_NE(client.err().find(
                "certificate verify failed: unable to get local issuer certificate"),
            std::string::npos)
      << client.err();
  EXPECT_EQ(client.err().find("cannot reach"), std::string::npos) << client.err();
  EXPECT_EQ(occurrences(client.err(), "\n"), 1) << client.err();
}

TEST(PollerClientTlsProxy, ACertificateForAnotherHostExitsOneWithTheReason) {
  server_process server;
  ASSERT_TRUE(server.started()) << server.log();
  tls_proxy proxy({server.port(), "other.example", ""});
  ASSERT_TRUE(proxy.started()) << proxy.error();
  child_process client(client_argv(proxy.url(), {"--ca-file", proxy.ca_file(), "--no-input"}),
                       client_env());
  ASSERT_EQ(client.wait_exit(), 1) << client.err();
  EXPECT_NE(client.err().find("certificate verify failed: hostname mismatch"), std::string::npos)
      << client.err();
  EXPECT_TRUE(stored_messages(server.port()).empty());
}

TEST(PollerClientTlsProxy, ADroppedTlsConnectionIsRetriedFromTheCursor) {
  server_process server;
  ASSERT_TRUE(server.started()) << server.log();
  tls_proxy proxy({server.port(), "localhost", ""});
  ASSERT_TRUE(proxy.started()) << proxy.error();
  child_process reader(client_argv(proxy.url(), {"--ca-file", proxy.ca_file(), "--no-input",
                                                 "--json", "--last", "0", "--count", "3"}),
                       client_env());
  ASSERT_TRUE(reader.wait_out("\"type\":\"join\"")) << reader.err();
  post_message(server.port(), "lobby", "bob", "before");
  ASSERT_TRUE(reader.wait_out("\"body\":\"before\"")) << reader.err();

  proxy.stop();  // the parked TLS connection drops
  ASSERT_TRUE(reader.wait_err("lost contact")) << reader.err();
  post_message(server.port(), "lobby", "bob", "while it was down");
  ASSERT_TRUE(proxy.start()) << proxy.error();
  post_message(server.port(), "lobby", "bob", "after");

  ASSERT_EQ(reader.wait_exit(20s), 0) << reader.err() << proxy.log();
  EXPECT_EQ(shown_bodies(reader.out()),
            (std::vector<std::string>{"before", "while it was down", "after"}))
      << reader.out();
  EXPECT_EQ(occurrences(reader.err(), "lost contact"), 1) << reader.err();
  EXPECT_EQ(occurrences(reader.err(), "reconnected"), 1) << reader.err();
}

}  // namespace
}  // namespace pollchat::testing
