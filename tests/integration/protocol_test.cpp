// HTTP/1.1 behaviour a client relies on: keep-alive, HTTP/1.0, Connection: close, pipelining
// (also behind a parked poll), Expect: 100-continue, and the timeouts that stop slow clients.

#include "integration.hpp"

namespace pollchat::testing {

class Protocol : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server.started()) << server.log(); }
  server_process server{{"--post-rate", "0", "--token", "t0k"}};
  const header_list auth{{"Authorization", "Bearer t0k"}};
};

TEST_F(Protocol, KeepAliveServesManyRequestsOnOneConnection) {
  test_connection c(server.port());
  for (int k = 1; k <= 5; ++k) {
    ASSERT_TRUE(c.send(make_request("POST", "/chat", auth, "body=m" + std::to_string(k))));
    const auto res = c.read_response();
    ASSERT_TRUE(res) << k;
    EXPECT_EQ(json_of(res)["id"], k);
    EXPECT_TRUE(res->keep_alive());
  }
}

TEST_F(Protocol, Http10ClosesAfterTheAnswerUnlessItAsksForKeepAlive) {
  test_connection plain(server.port());
  plain.send(make_request("GET", "/healthz", {}, {}, "HTTP/1.0"));
  const auto res = plain.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->version(), 10);
  EXPECT_TRUE(plain.wait_closed(5s));

  test_connection kept(server.port());
  kept.send(make_request("GET", "/healthz", {{"Connection", "keep-alive"}}, {}, "HTTP/1.0"));
  ASSERT_TRUE(kept.read_response());
  kept.send(make_request("GET", "/healthz", {{"Connection", "keep-alive"}}, {}, "HTTP/1.0"));
  ASSERT_TRUE(kept.read_response());
}

TEST_F(Protocol, ConnectionCloseIsHonoured) {
  test_connection c(server.port());
  c.send(make_request("GET", "/healthz", {{"Connection", "close"}}));
  const auto res = c.read_response();
  ASSERT_TRUE(res);
  EXPECT_FALSE(res->keep_alive());
  EXPECT_TRUE(c.wait_closed(5s));
}

TEST_F(Protocol, PipelinedRequestsAreAnsweredInOrder) {
  test_connection c(server.port());
  header_list json_auth = auth;
  json_auth.emplace_back("Accept", "application/json");
  c.send(make_request("POST", "/chat", auth, "body=first") +
         make_request("GET", "/chat?since=0&timeout=0", json_auth) +
         make_request("POST", "/chat", auth, "body=second"));
  const auto a = c.read_response();
  const auto b = c.read_response();
  const auto d = c.read_response();
  ASSERT_TRUE(a && b && d);
  EXPECT_EQ(json_of(a)["id"], 1);
  EXPECT_EQ(json_of(b)["messages"].size(), 1u);
  EXPECT_EQ(json_of(d)["id"], 2);
}

TEST_F(Protocol, ARequestPipelinedBehindAParkedPollWaitsItsTurn) {
  test_connection c(server.port());
  header_list json_auth = auth;
  json_auth.emplace_back("Accept", "application/json");
  c.send(make_request("GET", "/chat?timeout=1", json_auth) + make_request("POST", "/chat", auth, "body=later"));
  const auto poll = c.read_response(5s);
  const auto posted = c.read_response(5s);
  ASSERT_TRUE(poll && posted);
  EXPECT_TRUE(json_of(poll)["messages"].empty());  // the post came after it, in order
  EXPECT_EQ(json_of(posted)["body"], "later");
}

TEST_F(Protocol, ARequestPipelinedWhileParkedIsAnsweredAfterThePoll) {
  test_connection c(server.port());
  c.send(make_request("GET", "/chat?timeout=1", auth) + make_request("GET", "/healthz"));
  const auto poll = c.read_response(5s);
  const auto health = c.read_response(5s);
  ASSERT_TRUE(poll && health);
  EXPECT_EQ(poll->result_int(), 204);
  EXPECT_EQ(health->body(), "ok\n");
}

TEST_F(Protocol, TheBearerSchemeIsCaseInsensitive) {
  EXPECT_EQ(get(server, "/rooms", {{"Authorization", "bearer t0k"}})->result_int(), 200);
  EXPECT_EQ(get(server, "/rooms", {{"Authorization", "BEARER t0k"}})->result_int(), 200);
}

TEST_F(Protocol, ExpectContinueGets100ThenTheAnswer) {
  test_connection c(server.port());
  const std::string body = "body=expected";
  std::string head = make_request("POST", "/chat",
                                  {{"Authorization", "Bearer t0k"}, {"Expect", "100-continue"},
                                   {"Content-Length", std::to_string(body.size())}});
  c.send(head);
  const auto interim = c.read_response(5s);
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->result_int(), 100);
  c.send(body);
  const auto res = c.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(json_of(res)["body"], "expected");
}

TEST_F(Protocol, ExpectContinueRefusedGetsTheFinalErrorInstead) {
  test_connection c(server.port());
  c.send(make_request("POST", "/chat", {{"Expect", "100-continue"}, {"Content-Length", "2000000"}}));
  const auto res = c.read_response(5s);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 401);  // no token: refused before the body is sent, and before its size
  EXPECT_TRUE(c.wait_closed(5s));
}

TEST_F(Protocol, ExpectContinueWithAnUnsupportedTypeGets415Instead) {
  test_connection c(server.port());
  c.send(make_request("POST", "/chat",
                      {{"Authorization", "Bearer t0k"}, {"Expect", "100-continue"},
                       {"Content-Type", "image/png"}, {"Content-Length", "5000"}}));
  const auto res = c.read_response(5s);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 415);
}

TEST(ProtocolTimeouts, ASlowHeaderIsCutOff) {
  server_process server{{"--io-timeout", "1"}};
  ASSERT_TRUE(server.started()) << server.log();
  test_connection c(server.port());
  c.send("GET /chat HTTP/1.1\r\nHost: x\r\n");  // and never the end of the header
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.wait_closed(5s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST(ProtocolTimeouts, AnIdleKeepAliveConnectionIsClosed) {
  server_process server{{"--idle-timeout", "1"}};
  ASSERT_TRUE(server.started()) << server.log();
  test_connection c(server.port());
  c.send(make_request("GET", "/healthz"));
  ASSERT_TRUE(c.read_response());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.wait_closed(5s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST(ProtocolTimeouts, AConnectionGoesIdleAfterAPollAndIsClosed) {
  server_process server{{"--idle-timeout", "1"}};
  ASSERT_TRUE(server.started()) << server.log();
  test_connection c(server.port());
  c.send(make_request("GET", "/chat?timeout=1"));
  ASSERT_TRUE(c.read_response(5s));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.wait_closed(5s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST(ProtocolTimeouts, AParkedPollOutlivesTheIdleTimeout) {
  server_process server{{"--idle-timeout", "1", "--io-timeout", "1"}};
  ASSERT_TRUE(server.started()) << server.log();
  test_connection c(server.port());
  c.send(make_request("GET", "/chat?timeout=3&format=json"));
  const auto start = std::chrono::steady_clock::now();
  const auto res = c.read_response(10s);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 200);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 2900ms);
}

}  // namespace pollchat::testing
