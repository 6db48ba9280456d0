// poller-client across a kill -9 of a chat-server that keeps its messages (--data-dir): the
// reader resumes from its cursor in the same epoch, loses nothing and shows nothing twice.

#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>

#include "harness.hpp"
#include "server_process.hpp"

namespace pollchat::testing {
namespace {

int occurrences(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(PollerClientPersistence, AKillNineRestartLosesNothingShowsNothingTwiceAndKeepsTheEpoch) {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "pollchat-client-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  const std::string dir = pattern + "/data";
  const std::vector<std::string> common{"--data-dir", dir, "--sync", "normal", "--post-rate", "0"};

  std::optional<server_process> server(std::in_place, common);
  ASSERT_TRUE(server->started()) << server->log();
  const std::uint16_t port = server->port();
  child_process reader(client_argv(url_of(port), {"--since", "all", "--no-input", "--timeout", "5"}),
                       client_env());
  post_message(port, "lobby", "bob", "before 1");
  post_message(port, "lobby", "bob", "before 2");
  ASSERT_TRUE(reader.wait_out("bob: before 2\n")) << reader.err();

  server->stop(SIGKILL);
  ASSERT_TRUE(reader.wait_err("lost contact")) << reader.err();
  std::vector<std::string> again{"--listen", "127.0.0.1:" + std::to_string(port)};
  again.insert(again.end(), common.begin(), common.end());
  server.emplace(again);
  ASSERT_TRUE(server->started()) << server->log();
  post_message(port, "lobby", "bob", "after 1");
  ASSERT_TRUE(reader.wait_out("bob: after 1\n", 20s)) << reader.out() << reader.err();
  ASSERT_TRUE(reader.wait_err("reconnected")) << reader.err();

  reader.signal(SIGINT);
  ASSERT_EQ(reader.wait_exit(), 0) << reader.err();
  const auto& out = reader.out();
  for (const char* line : {"bob: before 1\n", "bob: before 2\n", "bob: after 1\n"}) {
    EXPECT_EQ(occurrences(out, line), 1) << line << " in:\n" << out;
  }
  EXPECT_EQ(occurrences(reader.err(), "new epoch"), 0) << reader.err();
  EXPECT_EQ(occurrences(reader.err(), "missed"), 0) << reader.err();
  server.reset();
  std::error_code ec;
  std::filesystem::remove_all(pattern, ec);
}

}  // namespace
}  // namespace pollchat::testing
