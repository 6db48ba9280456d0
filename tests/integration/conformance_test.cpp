// A well-behaved HTTP/1.1 origin for strict clients, proxies and uptime monitors (issue 16,
// SPEC §10): HEAD on every GET resource with no body ever, Date on every answer, the Host rules
// and absolute-form targets. Over raw sockets against the real server.

#include <ctime>
#include <regex>

#include "integration.hpp"
#include "raw_socket.hpp"

namespace pollchat::testing {

namespace http = boost::beast::http;

namespace {

const header_list as_json{{"Accept", "application/json"}};

// Seconds between an IMF-fixdate and now; nullopt when the value is not one.
std::optional<long> date_skew(std::string_view value) {
  static const std::regex imf(R"(^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$)");
  const std::string text(value);
  if (!std::regex_match(text, imf)) return std::nullopt;
  std::tm tm{};
  if (strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm) == nullptr) return std::nullopt;
  return static_cast<long>(std::labs(static_cast<long>(timegm(&tm) - std::time(nullptr))));
}

}  // namespace

class Conformance : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server.started()) << server.log(); }
  server_process server{{"--post-rate", "0"}};
};

TEST_F(Conformance, HeadThenGetOnEveryEndpointReadsTwoWellFormedAnswers) {
  ASSERT_EQ(post(server, "/chat", "body=hello")->result_int(), 200);
  const std::vector<std::string> targets{
      "/chat?since=0",          "/chat?since=0&format=json", "/chat?timeout=0",
      "/chat/elsewhere?timeout=0&format=json",               "/rooms",
      "/rooms/lobby",           "/rooms/nope",               "/healthz",
      "/metrics",               "/",                         "/nowhere",
      "/chat?limit=0",          "/chat/bad%20name",          "/rooms/lobby/leave",
  };
  test_connection c(server.port());
  for (const auto& target : targets) {
    ASSERT_TRUE(c.send(make_request("HEAD", target) + make_request("GET", target)));
    const auto head = c.read_response(5s, /*to_head=*/true);
    const auto got = c.read_response(5s);
    ASSERT_TRUE(head && got) << target;
    EXPECT_EQ(head->result_int(), got->result_int()) << target;
    EXPECT_TRUE(head->keep_alive()) << target;
    for (const auto field : {http::field::content_type, http::field::allow, http::field::cache_control}) {
      EXPECT_EQ((*head)[field], (*got)[field]) << target << " " << http::to_string(field);
    }
    for (const std::string name : {"Chat-Next", "Chat-Epoch", "Chat-Missed"}) {
      EXPECT_EQ((*head)[name], (*got)[name]) << target << " " << name;
    }
    if (got->result_int() == 204) {  // RFC 9110 §8.6: no Content-Length on a 204
      EXPECT_EQ(head->count(http::field::content_length), 0u) << target;
      EXPECT_EQ(got->count(http::field::content_length), 0u) << target;
    } else if (target != "/metrics") {  // its counters move between the two
      EXPECT_EQ((*head)[http::field::content_length], std::to_string(got->body().size())) << target;
    }
  }
}

TEST_F(Conformance, HeadOnChatNeverParksNorJoinsNorCreatesARoom) {
  const auto start = std::chrono::steady_clock::now();
  const std::string answer = exchange(
      server.port(), make_request("HEAD", "/chat/quiet?client=c1&name=bob", {{"Connection", "close"}}), 5s);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);  // a GET would wait 30 s
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 204 ")) << answer;
  EXPECT_TRUE(answer.ends_with("\r\n\r\n")) << answer;
  EXPECT_EQ(get(server, "/rooms/quiet")->result_int(), 404);  // HEAD created nothing

  const std::string lobby = exchange(
      server.port(), make_request("HEAD", "/chat?client=c2&name=carol", {{"Connection", "close"}}), 5s);
  EXPECT_TRUE(lobby.starts_with("HTTP/1.1 204 ")) << lobby;
  EXPECT_TRUE(json_of(get(server, "/rooms/lobby"))["members"].empty());
  EXPECT_TRUE(json_of(get(server, "/chat?since=0&timeout=0", as_json))["messages"].empty());
}

TEST(ConformanceToken, NoAnswerToHeadCarriesABodyErrorsIncluded) {
  server_process server{{"--token", "s3cret"}};
  ASSERT_TRUE(server.started()) << server.log();
  const header_list auth{{"Authorization", "Bearer s3cret"}};
  const std::vector<std::pair<std::string, header_list>> cases{
      {"/rooms", {}},                 // 401
      {"/nowhere", auth},             // 404
      {"/rooms/lobby/leave", auth},   // 405
      {"/chat?timeout=-1", auth},     // 400
      {"/chat/bad%20name", auth},     // 400
      {"/rooms/nope", auth},          // 404
      {"/healthz", {}},               // 200, public
  };
  for (const auto& [target, headers] : cases) {
    header_list closing = headers;
    closing.emplace_back("Connection", "close");
    const std::string answer = exchange(server.port(), make_request("HEAD", target, closing), 5s);
    EXPECT_EQ(count_answers(answer), 1) << target;
    EXPECT_TRUE(answer.ends_with("\r\n\r\n")) << "a body after the answer to HEAD " << target << ":\n" << answer;
    EXPECT_NE(answer.find("\r\nContent-Length: "), std::string::npos) << answer;
  }
}

// A HEAD request the server cannot parse is still a HEAD request: its 400, 431 or 413 has no
// body either.
TEST_F(Conformance, AMalformedHeadRequestIsAnsweredWithoutABody) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"400 ", "HEAD / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"},
      {"431 ", "HEAD / HTTP/1.1\r\nHost: x\r\nX-A: " + std::string(9000, 'a') + "\r\n\r\n"},
      {"413 ", "HEAD /chat HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               "100000\r\n" + std::string(70000, 'a')},
  };
  for (const auto& [status, bytes] : cases) {
    const std::string answer = exchange(server.port(), bytes, 3s);
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 " + status)) << answer;
    EXPECT_TRUE(answer.ends_with("\r\n\r\n")) << "a body after the answer to HEAD:\n" << answer;
    EXPECT_NE(answer.find("\r\nContent-Length: "), std::string::npos) << answer;
  }
}

// RFC 9110 §8.6: no Content-Length on a 204; on a 304 it could only be the 200's, so none.
// The connection stays usable after them.
TEST_F(Conformance, NoContentAndNotModifiedCarryNoContentLength) {
  const std::string page = exchange(server.port(), make_request("GET", "/", {{"Connection", "close"}}), 3s);
  const std::smatch etag = [&] {
    std::smatch m;
    std::regex_search(page, m, std::regex("\r\nETag: ([^\r]+)\r\n"));
    return m;
  }();
  ASSERT_FALSE(etag.empty()) << page;
  test_connection c(server.port());
  ASSERT_TRUE(c.send(make_request("GET", "/chat?timeout=0") + make_request("HEAD", "/chat") +
                     make_request("GET", "/", {{"If-None-Match", etag[1].str()}}) +
                     make_request("GET", "/healthz")));
  for (const int status : {204, 204, 304}) {
    const auto res = c.read_response(5s, /*to_head=*/true);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->result_int(), status);
    EXPECT_EQ(res->count(http::field::content_length), 0u) << status;
  }
  const auto after = c.read_response(5s);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->result_int(), 200);
  EXPECT_EQ(after->body(), "ok\n");
}

TEST_F(Conformance, AllowListsHead) {
  const auto chat = request_once(server.port(), "DELETE", "/chat");
  ASSERT_TRUE(chat);
  EXPECT_EQ(chat->result_int(), 405);
  EXPECT_EQ((*chat)[http::field::allow], "GET, HEAD, POST");
  const auto rooms = request_once(server.port(), "PUT", "/rooms");
  ASSERT_TRUE(rooms);
  EXPECT_EQ((*rooms)[http::field::allow], "GET, HEAD");
  const std::string raw = exchange(server.port(), make_request("HEAD", "/rooms/lobby/leave", {{"Connection", "close"}}));
  EXPECT_TRUE(raw.starts_with("HTTP/1.1 405 ")) << raw;
  EXPECT_NE(raw.find("\r\nAllow: POST\r\n"), std::string::npos) << raw;
}

TEST_F(Conformance, EveryFinalAnswerCarriesADate) {
  std::vector<std::pair<std::string, std::optional<http_response>>> answers;
  answers.emplace_back("post", post(server, "/chat", "body=dated"));
  answers.emplace_back("poll", get(server, "/chat?since=0", as_json));
  answers.emplace_back("204", get(server, "/chat?timeout=0"));
  answers.emplace_back("404", get(server, "/nowhere"));
  answers.emplace_back("400", get(server, "/chat?limit=0"));
  answers.emplace_back("405", request_once(server.port(), "PUT", "/rooms"));
  answers.emplace_back("413", post(server, "/chat", "body=" + std::string(70000, 'x')));
  {
    test_connection bad(server.port());
    bad.send("GET /chat HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n");
    answers.emplace_back("malformed", bad.read_response(5s));
  }
  {
    test_connection big(server.port());
    big.send("GET /chat HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n");
    answers.emplace_back("431", big.read_response(5s));
  }
  {
    test_connection parked(server.port());
    parked.send(make_request("GET", "/chat?format=json", as_json));
    ASSERT_TRUE(wait_until([&] { return metric(server, "pollchat_polls_parked") == 1; }, 5s));
    post(server, "/chat", "body=wake");
    answers.emplace_back("woken", parked.read_response(5s));
  }
  for (const auto& [what, res] : answers) {
    ASSERT_TRUE(res) << what;
    const auto skew = date_skew((*res)[http::field::date]);
    ASSERT_TRUE(skew) << what << ": Date '" << (*res)[http::field::date] << "'";
    EXPECT_LE(*skew, 5) << what;
  }
}

TEST(ConformanceOverload, TheOverloadAnswerCarriesADate) {
  server_process server{{"--max-connections", "1"}};
  ASSERT_TRUE(server.started()) << server.log();
  test_connection holder(server.port());
  holder.send(make_request("GET", "/healthz"));
  ASSERT_TRUE(holder.read_response());
  const auto res = get(server, "/rooms");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 503);
  const auto skew = date_skew((*res)[http::field::date]);
  ASSERT_TRUE(skew) << (*res)[http::field::date];
  EXPECT_LE(*skew, 5);
}

TEST_F(Conformance, Http11NeedsExactlyOneHost) {
  const std::string missing = exchange(server.port(), "GET /rooms HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(missing.starts_with("HTTP/1.1 400 ")) << missing;
  EXPECT_NE(missing.find("bad_host"), std::string::npos) << missing;
  const std::string twice =
      exchange(server.port(), "GET /rooms HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(twice.starts_with("HTTP/1.1 400 ")) << twice;
  const std::string twice_10 = exchange(server.port(), "GET /rooms HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n");
  EXPECT_TRUE(twice_10.starts_with("HTTP/1.0 400 ")) << twice_10;
  const std::string old = exchange(server.port(), "GET /rooms HTTP/1.0\r\n\r\n");
  EXPECT_TRUE(old.starts_with("HTTP/1.0 200 ")) << old;  // HTTP/1.0 may omit it
  // A refused request with no body leaves the connection usable.
  test_connection c(server.port());
  c.send("GET /rooms HTTP/1.1\r\n\r\n" + make_request("GET", "/healthz"));
  const auto refused = c.read_response();
  const auto next = c.read_response();
  ASSERT_TRUE(refused && next);
  EXPECT_EQ(refused->result_int(), 400);
  EXPECT_EQ(next->body(), "ok\n");
}

TEST_F(Conformance, AbsoluteFormTargetsAreRoutedByTheirPath) {
  const std::string authority = "127.0.0.1:" + std::to_string(server.port());
  const auto posted = request_once(server.port(), "POST", "http://" + authority + "/chat/abs?name=ann", {},
                                   "body=absolute");
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->result_int(), 200) << posted->body();
  EXPECT_EQ(json_of(posted)["room"], "abs");
  EXPECT_EQ(json_of(posted)["from"], "ann");
  const auto rooms = get(server, "http://" + authority + "/rooms/abs");
  ASSERT_TRUE(rooms);
  EXPECT_EQ(json_of(rooms)["last_id"], 1);
  EXPECT_EQ(get(server, "https://elsewhere.example/healthz")->body(), "ok\n");
  EXPECT_EQ(get(server, "http://" + authority + "/nowhere")->result_int(), 404);
  EXPECT_EQ(get(server, "ftp://" + authority + "/rooms")->result_int(), 400);
  EXPECT_EQ(get(server, "*")->result_int(), 400);
}

}  // namespace pollchat::testing
