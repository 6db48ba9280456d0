// Every refusal of SPEC §2/§6 through real sockets: the status, the JSON error, the headers it
// promises, and that the refused request changed nothing.

#include "integration.hpp"

namespace pollchat::testing {

namespace {

std::string error_code(const std::optional<http_response>& res) {
  const auto doc = json_of(res);
  return doc.is_object() ? doc.value("error", "") : "";
}

long long last_id(const server_process& s, const std::string& room = "lobby") {
  const auto doc = json_of(get(s, "/rooms/" + room));
  return doc.is_object() ? doc["last_id"].get<long long>() : -1;
}

}  // namespace

class Errors : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server.started()) << server.log(); }
  server_process server{{"--post-rate", "0", "--max-message", "10", "--max-body", "100"}};
};

TEST_F(Errors, BadInputIs400AndChangesNothing) {
  const std::vector<std::pair<std::string, std::string>> bad_posts{
      {"", "missing_body"}, {"body=", "missing_body"}, {"body=%FF", "invalid_utf8"},
      {"body=100% sure", "malformed_form"}, {"body=x&name=a%01", "bad_parameter"}};
  for (const auto& [body, code] : bad_posts) {
    const auto res = post(server, "/chat", body);
    ASSERT_TRUE(res) << body;
    EXPECT_EQ(res->result_int(), 400) << body;
    EXPECT_EQ(error_code(res), code) << body;
    EXPECT_EQ((*res)[boost::beast::http::field::content_type], "application/json");
  }
  EXPECT_EQ(error_code(post(server, "/chat", "{nope", {{"Content-Type", "application/json"}})),
            "malformed_json");
  EXPECT_EQ(error_code(get(server, "/chat?since=abc")), "bad_parameter");
  EXPECT_EQ(error_code(get(server, "/chat?timeout=999")), "bad_parameter");
  EXPECT_EQ(error_code(get(server, "/chat/bad!room")), "bad_room");
  EXPECT_EQ(error_code(post(server, "/chat/bad!room", "body=x")), "bad_room");
  EXPECT_EQ(last_id(server), 0);
  EXPECT_EQ(get(server, "/rooms/bad!room")->result_int(), 400);
}

TEST_F(Errors, UnknownPathIs404) {
  const auto res = get(server, "/nowhere");
  EXPECT_EQ(res->result_int(), 404);
  EXPECT_EQ(error_code(res), "not_found");
  EXPECT_EQ(get(server, "/static/nowhere.js")->result_int(), 404);
}

TEST_F(Errors, WrongMethodIs405WithAllow) {
  const auto res = request_once(server.port(), "DELETE", "/chat");
  EXPECT_EQ(res->result_int(), 405);
  EXPECT_EQ((*res)[boost::beast::http::field::allow], "GET, HEAD, POST");
  EXPECT_EQ((*request_once(server.port(), "PUT", "/healthz"))[boost::beast::http::field::allow], "GET, HEAD");
}

TEST_F(Errors, TooLargeIs413) {
  const auto message = post(server, "/chat", "body=" + std::string(11, 'x'));
  EXPECT_EQ(message->result_int(), 413);
  EXPECT_EQ(error_code(message), "message_too_large");
  const auto body = post(server, "/chat", "body=x&pad=" + std::string(200, 'p'));
  EXPECT_EQ(body->result_int(), 413);
  EXPECT_EQ(error_code(body), "body_too_large");
  EXPECT_EQ(post(server, "/chat", "body=" + std::string(10, 'x'))->result_int(), 200);
  EXPECT_EQ(last_id(server), 1);
}

TEST_F(Errors, ChunkedBodyOverTheLimitIs413) {
  test_connection c(server.port());
  const std::string chunk(150, 'x');
  char size[16];
  std::snprintf(size, sizeof size, "%zx", chunk.size());
  c.send("POST /chat HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
         "Content-Type: text/plain\r\n\r\n" + std::string(size) + "\r\n" + chunk + "\r\n0\r\n\r\n");
  const auto res = c.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 413);
}

TEST_F(Errors, UnsupportedContentTypeIs415) {
  const auto res = post(server, "/chat", "x", {{"Content-Type", "image/png"}});
  EXPECT_EQ(res->result_int(), 415);
  EXPECT_EQ(error_code(res), "unsupported_media_type");
}

TEST_F(Errors, OversizedHeadersAre431) {
  const auto res = get(server, "/chat?timeout=0", {{"X-Big", std::string(9000, 'h')}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 431);
  EXPECT_EQ(error_code(res), "headers_too_large");
}

TEST_F(Errors, GarbageIs400AndTheConnectionCloses) {
  test_connection c(server.port());
  c.send("HELLO THERE\r\n\r\n");
  const auto res = c.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 400);
  EXPECT_TRUE(c.wait_closed(5s));
  EXPECT_EQ(get(server, "/healthz")->result_int(), 200);  // and everyone else is still served
}

TEST(ErrorsToken, MissingOrWrongTokenIs401EvenForUnknownPaths) {
  server_process server{{"--token", "s3cret"}};
  ASSERT_TRUE(server.started()) << server.log();
  for (const char* target : {"/chat?timeout=0", "/rooms", "/metrics", "/no/such/path"}) {
    const auto res = get(server, target);
    EXPECT_EQ(res->result_int(), 401) << target;
    EXPECT_EQ((*res)[boost::beast::http::field::www_authenticate], "Bearer");
  }
  EXPECT_EQ(post(server, "/chat", "body=x", {{"Authorization", "Bearer wrong"}})->result_int(), 401);
  EXPECT_EQ(get(server, "/healthz")->result_int(), 200);
  EXPECT_EQ(post(server, "/chat", "body=x", {{"Authorization", "Bearer s3cret"}})->result_int(), 200);
  EXPECT_EQ(get(server, "/nowhere", {{"Authorization", "Bearer s3cret"}})->result_int(), 404);
}

// Guessing the token is throttled at the post rate: a wrong token costs a token of the address;
// once they are spent every bearer token, the right one too, is 429 until one comes back.
// Requests without a token, and posts, draw on nothing of it.
TEST(ErrorsToken, WrongTokensAreThrottledAtThePostRate) {
  server_process server{{"--token", "s3cret", "--post-rate", "1", "--post-burst", "3"}};
  ASSERT_TRUE(server.started()) << server.log();
  const header_list right{{"Authorization", "Bearer s3cret"}};
  for (int k = 0; k < 10; ++k) {
    EXPECT_EQ(get(server, "/rooms")->result_int(), 401) << k;  // no token: free
  }
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(post(server, "/chat", "body=x", right)->result_int(), 200) << k;  // the post bucket
  }
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(get(server, "/rooms", {{"Authorization", "Bearer guess" + std::to_string(k)}})->result_int(), 401) << k;
  }
  const auto start = std::chrono::steady_clock::now();
  const auto guess = get(server, "/rooms", {{"Authorization", "Bearer guess3"}});
  ASSERT_TRUE(guess);
  EXPECT_EQ(guess->result_int(), 429);
  EXPECT_EQ(json_of(guess)["error"], "rate_limited");
  EXPECT_EQ((*guess)[boost::beast::http::field::retry_after], "1");
  EXPECT_EQ(get(server, "/rooms", right)->result_int(), 429);  // not even compared
  // A token comes back after a second: the right one works again.
  std::this_thread::sleep_until(start + 1100ms);
  EXPECT_EQ(get(server, "/rooms", right)->result_int(), 200);
}

TEST(ErrorsRate, PostsPastTheBurstAre429WithRetryAfter) {
  server_process server{{"--post-rate", "1", "--post-burst", "3"}};
  ASSERT_TRUE(server.started()) << server.log();
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(post(server, "/chat", "body=x")->result_int(), 200);
  }
  const auto res = post(server, "/chat", "body=x");
  EXPECT_EQ(res->result_int(), 429);
  EXPECT_EQ(error_code(res), "rate_limited");
  EXPECT_EQ((*res)[boost::beast::http::field::retry_after], "1");
  EXPECT_EQ(get(server, "/chat?since=0&timeout=0")->result_int(), 200);  // reading is not limited
  EXPECT_EQ(json_of(get(server, "/rooms/lobby"))["last_id"], 3);
}

TEST(ErrorsRooms, PastMaxRoomsIs429AndCreatesNothing) {
  server_process server{{"--max-rooms", "2"}};
  ASSERT_TRUE(server.started()) << server.log();
  EXPECT_EQ(post(server, "/chat/second", "body=x")->result_int(), 200);
  const auto res = post(server, "/chat/third", "body=x");
  EXPECT_EQ(res->result_int(), 429);
  EXPECT_EQ(error_code(res), "too_many_rooms");
  EXPECT_FALSE((*res)[boost::beast::http::field::retry_after].empty());
  EXPECT_EQ(get(server, "/rooms/third")->result_int(), 404);
}

// HEAD answers what GET would: past --max-rooms, a poll of a room that does not exist is 429.
TEST(ErrorsRooms, PastMaxRoomsHeadAnswersAsGetWould) {
  server_process server{{"--max-rooms", "1"}};
  ASSERT_TRUE(server.started()) << server.log();
  const auto head_of = [&](const std::string& target) {
    test_connection c(server.port());
    c.send(make_request("HEAD", target));
    return c.read_response(5s, /*to_head=*/true);
  };
  for (const std::string target : {"/chat/newroom?timeout=0", "/chat/newroom?timeout=0&format=json"}) {
    const auto got = get(server, target);
    const auto head = head_of(target);
    ASSERT_TRUE(got && head) << target;
    EXPECT_EQ(got->result_int(), 429) << target;
    EXPECT_EQ(head->result_int(), 429) << target;
    EXPECT_EQ((*head)[boost::beast::http::field::retry_after], (*got)[boost::beast::http::field::retry_after]);
  }
  EXPECT_EQ(head_of("/chat?timeout=0")->result_int(), 204);  // the lobby is there
  EXPECT_EQ(get(server, "/rooms/newroom")->result_int(), 404);
}

TEST(ErrorsConnections, PastMaxConnectionsIs503WithRetryAfter) {
  server_process server{{"--max-connections", "2"}};
  ASSERT_TRUE(server.started()) << server.log();
  test_connection a(server.port());
  test_connection b(server.port());
  ASSERT_TRUE(a.send(make_request("GET", "/healthz")));
  ASSERT_TRUE(a.read_response());
  ASSERT_TRUE(b.send(make_request("GET", "/healthz")));
  ASSERT_TRUE(b.read_response());
  test_connection c(server.port());
  c.send(make_request("GET", "/rooms"));  // /healthz is answered whatever the cap
  const auto res = c.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 503);
  EXPECT_EQ((*res)[boost::beast::http::field::retry_after], "1");
  EXPECT_TRUE(c.wait_closed(5s));
  a.close();  // a slot frees up
  ASSERT_TRUE(wait_until([&] {
    const auto r = get(server, "/rooms");
    return r && r->result_int() == 200;
  }, 5s));
}

}  // namespace pollchat::testing
