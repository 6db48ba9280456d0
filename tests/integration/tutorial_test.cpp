// The tutorial's own commands, typed as a user would, against the real server.

#include "integration.hpp"

namespace pollchat::testing {

TEST(Tutorial, CurlPostWakesAParkedCurlGetInAnotherTerminal) {
  server_process server;
  ASSERT_TRUE(server.started()) << server.log();
  command_result parked;
  std::thread other_terminal([&] { parked = run_command("curl -s --max-time 20 " + base_url(server) + "/chat"); });
  ASSERT_TRUE(wait_until([&] { return metric(server, "pollchat_polls_parked") == 1; }, 10s));

  const auto posted = run_command("curl -s --data \"body=Hello world!\" " + base_url(server) + "/chat");
  other_terminal.join();

  EXPECT_EQ(posted.status, 0);
  const auto message = nlohmann::json::parse(posted.out, nullptr, false);
  EXPECT_EQ(message["body"], "Hello world!");
  EXPECT_EQ(message["from"], "anonymous");
  EXPECT_EQ(message["id"], 1);
  EXPECT_EQ(parked.status, 0);
  EXPECT_EQ(parked.out, "anonymous: Hello world!\n");
}

TEST(Tutorial, CurlPostToTheRootStoresInTheLobby) {
  server_process server;
  ASSERT_TRUE(server.started()) << server.log();
  const auto posted = run_command("curl -s --data \"body=hi\" " + base_url(server) + "/");
  EXPECT_EQ(nlohmann::json::parse(posted.out, nullptr, false)["room"], "lobby");
  const auto read = run_command("curl -s '" + base_url(server) + "/chat?since=0'");
  EXPECT_EQ(read.out, "anonymous: hi\n");
}

TEST(Tutorial, CurlRetryWithIdempotencyKeyPostsOnce) {
  server_process server;
  ASSERT_TRUE(server.started()) << server.log();
  for (int k = 0; k < 3; ++k) {
    run_command("curl -s -H 'Idempotency-Key: abc-1' --data 'body=once' " + base_url(server) + "/chat");
  }
  const auto read = run_command("curl -s '" + base_url(server) + "/chat?since=0'");
  EXPECT_EQ(read.out, "anonymous: once\n");
}

}  // namespace pollchat::testing
