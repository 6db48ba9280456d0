// SIGTERM/SIGINT: stop accepting, answer every parked poll 503 at once, close idle keep-alive
// connections, exit 0 within the grace.

#include <csignal>

#include "integration.hpp"

namespace pollchat::testing {

namespace {

void drain_on(int signal) {
  server_process server{{"--shutdown-grace", "5"}};
  ASSERT_TRUE(server.started()) << server.log();
  std::vector<std::unique_ptr<test_connection>> parked;
  for (int k = 0; k < 10; ++k) {
    parked.push_back(std::make_unique<test_connection>(server.port()));
    parked.back()->send(make_request("GET", "/chat?timeout=50"));
  }
  test_connection idle(server.port());
  idle.send(make_request("GET", "/healthz"));
  ASSERT_TRUE(idle.read_response());
  ASSERT_TRUE(wait_until([&] { return metric(server, "pollchat_polls_parked") == 10; }, 10s));

  const auto start = std::chrono::steady_clock::now();
  kill(server.pid(), signal);
  for (auto& c : parked) {
    const auto res = c->read_response(2s);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->result_int(), 503);
    EXPECT_EQ((*res)[boost::beast::http::field::retry_after], "1");
    EXPECT_FALSE(res->keep_alive());
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_TRUE(idle.wait_closed(3s));
  const auto code = server.wait_exit(6s);
  ASSERT_TRUE(code) << server.log();
  EXPECT_EQ(*code, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_NE(server.log().find("stopped cleanly"), std::string::npos);
}

}  // namespace

TEST(Shutdown, SigtermAnswersParkedPollsAndExitsZero) { drain_on(SIGTERM); }

TEST(Shutdown, SigintDoesTheSame) { drain_on(SIGINT); }

TEST(Shutdown, AClientHalfwayThroughARequestDoesNotHoldTheDrain) {
  server_process server{{"--shutdown-grace", "2", "--io-timeout", "30"}};
  ASSERT_TRUE(server.started()) << server.log();
  test_connection half(server.port());
  half.send("POST /chat HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nbody=");
  ASSERT_TRUE(wait_until([&] { return metric(server, "pollchat_connections_open") == 2; }, 5s));
  EXPECT_EQ(server.stop(SIGTERM, 3s), 0) << server.log();
}

// A reader that stops reading a large answer would hold its write until --io-timeout (30 s
// here): the drain gives it what is left of the grace, and the server still exits 0 in time.
TEST(Shutdown, AReaderThatStopsReadingALargeAnswerDoesNotHoldTheDrain) {
  server_process server{{"--shutdown-grace", "3", "--io-timeout", "30", "--post-rate", "0"}};
  ASSERT_TRUE(server.started()) << server.log();
  {
    test_connection poster(server.port());
    const std::string body = "body=" + std::string(4000, 'm');
    for (int k = 0; k < 260; ++k) {  // a history of ~1 MB
      ASSERT_TRUE(poster.send(make_request("POST", "/chat", {}, body)));
      ASSERT_TRUE(poster.read_response()) << k;
    }
  }
  test_connection stalled(server.port());
  stalled.shrink_receive_buffer(4096);
  stalled.send(make_request("GET", "/chat?since=0&limit=1000", {{"Accept", "application/json"}}));
  ASSERT_TRUE(wait_until([&] { return metric(server, "pollchat_connections_open") == 2; }, 5s));
  std::this_thread::sleep_for(300ms);  // the answer fills the socket and waits
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(server.stop(SIGTERM, 10s), 0) << server.log();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST(Shutdown, NewConnectionsAreRefusedWhileDraining) {
  server_process server{{"--shutdown-grace", "3"}};
  ASSERT_TRUE(server.started()) << server.log();
  // A client that never reads its answer keeps the drain busy for a moment.
  test_connection slow(server.port());
  slow.send("GET /chat HTTP/1.1\r\nHost: x\r\n");
  server.stop(SIGTERM, 100ms);  // do not wait: look while it drains
  test_connection late(server.port());
  EXPECT_FALSE(late.connected() && late.send(make_request("GET", "/healthz")) && late.read_response(1s));
}

}  // namespace pollchat::testing
