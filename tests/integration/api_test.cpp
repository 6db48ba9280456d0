// SPEC §2 through real sockets: posting in every encoding, reading with cursors, formats,
// headers, history limits, epochs and the side endpoints.

#include "integration.hpp"

namespace pollchat::testing {

class Api : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server.started()) << server.log(); }
  server_process server{{"--post-rate", "0", "--history", "5"}};
};

TEST_F(Api, PostsInEveryEncodingAndReadsThemBackAsJson) {
  ASSERT_EQ(post(server, "/chat/api?name=alice", "body=one+form")->result_int(), 200);
  ASSERT_EQ(post(server, "/chat/api", R"({"body":"two json","name":"bob"})",
                 {{"Content-Type", "application/json"}})->result_int(), 200);
  ASSERT_EQ(post(server, "/chat/api?name=carol", "three\nlines", {{"Content-Type", "text/plain"}})
                ->result_int(), 200);

  const auto res = get(server, "/chat/api?since=0&format=json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 200);
  EXPECT_EQ((*res)[boost::beast::http::field::content_type], "application/json");
  EXPECT_EQ((*res)[boost::beast::http::field::cache_control], "no-store");
  const auto doc = json_of(res);
  ASSERT_EQ(doc["messages"].size(), 3u);
  EXPECT_EQ(doc["messages"][0]["body"], "one form");
  EXPECT_EQ(doc["messages"][0]["from"], "alice");
  EXPECT_EQ(doc["messages"][1]["from"], "bob");
  EXPECT_EQ(doc["messages"][2]["body"], "three\nlines");
  EXPECT_EQ(doc["next"], 3);
  EXPECT_EQ(doc["missed"], 0);
  EXPECT_EQ(doc["room"], "api");
  EXPECT_EQ((*res)["Chat-Next"], "3");
  EXPECT_EQ((*res)["Chat-Epoch"], doc["epoch"].get<std::string>());
  EXPECT_EQ(res->count("Chat-Missed"), 0u);
}

TEST_F(Api, TextAnswerRendersLinesSafely) {
  post(server, "/chat/t?name=eve", "hi\nmallory: fake\x1B[2J", {{"Content-Type", "text/plain"}});
  const auto res = get(server, "/chat/t?since=0");
  ASSERT_TRUE(res);
  EXPECT_EQ((*res)[boost::beast::http::field::content_type], "text/plain; charset=utf-8");
  EXPECT_EQ(res->body(), "eve: hi\n  mallory: fake^[[2J\n");
}

TEST_F(Api, AcceptJsonMakesJsonTheDefault) {
  post(server, "/chat", "body=x");
  const auto res = get(server, "/chat?since=0", {{"Accept", "application/json"}});
  EXPECT_EQ(json_of(res)["messages"].size(), 1u);
}

TEST_F(Api, TimeoutAnswersEmptyJsonOr204Text) {
  const auto start = std::chrono::steady_clock::now();
  const auto text = get(server, "/chat?timeout=1");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->result_int(), 204);
  EXPECT_EQ((*text)["Chat-Next"], "0");
  EXPECT_GE(std::chrono::steady_clock::now() - start, 900ms);
  const auto doc = json_of(get(server, "/chat?timeout=1&format=json"));
  EXPECT_TRUE(doc["messages"].empty());
  EXPECT_EQ(doc["next"], 0);
}

TEST_F(Api, WithoutSinceWaitsForTheNextMessageOnly) {
  post(server, "/chat", "body=old");
  std::optional<http_response> waited;
  std::thread reader([&] { waited = get(server, "/chat?format=json&timeout=20"); });
  ASSERT_TRUE(wait_until([&] { return metric(server, "pollchat_polls_parked") == 1; }, 10s));
  post(server, "/chat", "body=new");
  reader.join();
  const auto doc = json_of(waited);
  ASSERT_EQ(doc["messages"].size(), 1u);
  EXPECT_EQ(doc["messages"][0]["body"], "new");
}

TEST_F(Api, LimitPagesThroughWithNext) {
  for (int k = 1; k <= 5; ++k) post(server, "/chat", "body=m" + std::to_string(k));
  auto doc = json_of(get(server, "/chat?since=0&limit=2&format=json"));
  ASSERT_EQ(doc["messages"].size(), 2u);
  EXPECT_EQ(doc["next"], 2);
  doc = json_of(get(server, "/chat?since=2&limit=2&format=json"));
  EXPECT_EQ(doc["messages"][0]["id"], 3);
  EXPECT_EQ(doc["next"], 4);
}

TEST_F(Api, TrimmedHistoryIsReportedAsMissed) {
  for (int k = 1; k <= 7; ++k) post(server, "/chat", "body=m" + std::to_string(k));
  const auto res = get(server, "/chat?since=0&format=json");
  const auto doc = json_of(res);
  EXPECT_EQ(doc["missed"], 2);  // history 5: ids 1 and 2 are gone
  EXPECT_EQ(doc["messages"][0]["id"], 3);
  EXPECT_EQ((*res)["Chat-Missed"], "2");
}

TEST_F(Api, ForeignEpochOrFutureCursorGetsTheHistory) {
  post(server, "/chat", "body=a");
  post(server, "/chat", "body=b");
  auto doc = json_of(get(server, "/chat?since=2&epoch=from-another-run&format=json&timeout=0"));
  EXPECT_EQ(doc["messages"].size(), 2u);
  doc = json_of(get(server, "/chat?since=50&format=json&timeout=0"));
  EXPECT_EQ(doc["messages"].size(), 2u);
  const std::string epoch = doc["epoch"];
  doc = json_of(get(server, "/chat?since=2&epoch=" + epoch + "&format=json&timeout=0"));
  EXPECT_TRUE(doc["messages"].empty());
}

TEST_F(Api, RoomsShowLastIdAndParkedPolls) {
  post(server, "/chat/r1", "body=x");
  std::thread reader([&] { get(server, "/chat/r1?timeout=2"); });
  ASSERT_TRUE(wait_until([&] {
    const auto doc = json_of(get(server, "/rooms/r1"));
    return doc.is_object() && doc["parked"] == 1;
  }, 10s));
  const auto list = json_of(get(server, "/rooms"));
  ASSERT_EQ(list["rooms"].size(), 2u);
  EXPECT_EQ(list["rooms"][1]["room"], "r1");
  EXPECT_EQ(list["rooms"][1]["last_id"], 1);
  reader.join();
  EXPECT_EQ(get(server, "/rooms/nosuch")->result_int(), 404);
}

TEST_F(Api, HealthAndMetrics) {
  const auto health = get(server, "/healthz");
  EXPECT_EQ(health->result_int(), 200);
  EXPECT_EQ(health->body(), "ok\n");
  post(server, "/chat", "body=x");
  get(server, "/chat?since=0");
  EXPECT_EQ(metric(server, "pollchat_posts_total"), 1);
  EXPECT_EQ(metric(server, "pollchat_deliveries_total"), 1);
  EXPECT_GE(metric(server, "pollchat_polls_total"), 1);
  EXPECT_EQ(metric(server, "pollchat_rooms"), 1);
  EXPECT_EQ(metric(server, "pollchat_tcp_clients"), 0);
  EXPECT_GE(metric(server, "pollchat_connections_open"), 1);
  EXPECT_NE(get(server, "/metrics")->body().find("pollchat_http_responses_total{code=\"200\"}"),
            std::string::npos);
}

}  // namespace pollchat::testing
