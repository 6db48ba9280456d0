#include "http/router.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace pollchat {
namespace {

namespace http = boost::beast::http;

// A router over a fresh server state, and helpers that run a request through screen + route
// exactly as a session does.
struct router_fixture : ::testing::Test {
  router_fixture() { restart({}); }

  // A fresh server with these settings (the post limiter is off unless a test sets it).
  void restart(config c, bool keep_rate = false) {
    if (!keep_rate) c.post_rate = 0;
    r_.reset();
    state_ = std::make_unique<server_state>(std::move(c));
    r_ = std::make_unique<router>(*state_);
  }

  route_result handle(http::verb method, std::string target, std::string body = {},
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
    request req{method, target, 11};
    for (auto& [k, v] : headers) req.set(k, v);
    req.body() = std::move(body);
    req.prepare_payload();
    if (auto refusal = r_->screen(req.base(), "10.0.0.1")) {
      return {std::move(refusal), {}};
    }
    return r_->route(req, "10.0.0.1");
  }

  response reply(http::verb method, std::string target, std::string body = {},
                 std::vector<std::pair<std::string, std::string>> headers = {}) {
    auto out = handle(method, std::move(target), std::move(body), std::move(headers));
    EXPECT_TRUE(out.reply) << "expected a reply, got a poll";
    return out.reply ? std::move(*out.reply) : response{};
  }

  // The answer as a client reads it off the wire.
  static std::string wire(const response& res) {
    std::string head;
    std::vector<boost::asio::const_buffer> buffers;
    gather_response(res, false, head, buffers);
    std::string bytes;
    for (const auto& b : buffers) bytes.append(static_cast<const char*>(b.data()), b.size());
    return bytes;
  }
  static std::string body_of(const response& res) {
    const std::string bytes = wire(res);
    return bytes.substr(bytes.find("\r\n\r\n") + 4);
  }
  // A header field's value on the wire; nullopt when the answer has none.
  static std::optional<std::string> header_of(const response& res, const std::string& name) {
    const std::string bytes = wire(res);
    const std::string head = bytes.substr(0, bytes.find("\r\n\r\n") + 2);
    const auto at = head.find("\r\n" + name + ": ");
    if (at == std::string::npos) return std::nullopt;
    const auto value = at + name.size() + 4;
    return head.substr(value, head.find("\r\n", value) - value);
  }

  static std::string code_of(const response& res) {
    return nlohmann::json::parse(res.body().head).value("error", "");
  }

  server_state& state() { return *state_; }

  std::unique_ptr<server_state> state_;
  std::unique_ptr<router> r_;
};

}  // namespace

TEST_F(router_fixture, PostStoresAndAnswersTheMessageObject) {
  const auto res = reply(http::verb::post, "/chat", "body=hi&name=alice");
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(header_of(res, "Content-Type"), "application/json");
  EXPECT_EQ(header_of(res, "Cache-Control"), "no-store");
  const std::string body = body_of(res);
  EXPECT_EQ(header_of(res, "Content-Length"), std::to_string(body.size()));
  ASSERT_TRUE(body.ends_with("}\n"));
  EXPECT_EQ(body.find('\n'), body.size() - 1);  // one JSON object, one line
  const auto doc = nlohmann::json::parse(body);
  EXPECT_EQ(doc["id"], 1);
  EXPECT_EQ(doc["room"], "lobby");
  EXPECT_EQ(doc["from"], "alice");
  EXPECT_EQ(state().rooms.find("lobby")->last_id(), 1u);
}

TEST_F(router_fixture, PostToRootIsPostToLobby) {
  EXPECT_EQ(reply(http::verb::post, "/", "body=hi").result(), http::status::ok);
  EXPECT_EQ(state().rooms.find("lobby")->last_id(), 1u);
}

TEST_F(router_fixture, GetWithoutSinceParksAtTheNewestId) {
  reply(http::verb::post, "/chat", "body=one");
  const auto out = handle(http::verb::get, "/chat");
  ASSERT_TRUE(out.poll);
  EXPECT_EQ(out.poll->cursor, 1u);
  EXPECT_TRUE(out.poll->as_text);
}

TEST_F(router_fixture, ForeignEpochOrFutureCursorResetsToZero) {
  reply(http::verb::post, "/chat", "body=one");
  EXPECT_EQ(handle(http::verb::get, "/chat?since=1&epoch=other").poll->cursor, 0u);
  EXPECT_EQ(handle(http::verb::get, "/chat?since=99&epoch=" + *state().epoch.get()).poll->cursor, 0u);
  EXPECT_EQ(handle(http::verb::get, "/chat?since=1&epoch=" + *state().epoch.get()).poll->cursor, 1u);
}

TEST_F(router_fixture, AnswerPollCarriesCursorHeadersAndJson) {
  reply(http::verb::post, "/chat", "body=one");
  reply(http::verb::post, "/chat", "body=two");
  const auto plan = *handle(http::verb::get, "/chat?since=0&format=json").poll;
  auto res = r_->answer_poll(plan, plan.target->read(plan.cursor, plan.limit));
  EXPECT_EQ(header_of(res, "Chat-Next"), "2");
  EXPECT_EQ(header_of(res, "Chat-Epoch"), *state().epoch.get());
  EXPECT_EQ(header_of(res, "Chat-Missed"), std::nullopt);
  EXPECT_EQ(header_of(res, "Content-Type"), "application/json");
  const std::string body = body_of(res);
  EXPECT_EQ(header_of(res, "Content-Length"), std::to_string(body.size()));
  const auto doc = nlohmann::json::parse(body);
  ASSERT_EQ(doc["messages"].size(), 2u);
  EXPECT_EQ(doc["messages"][1]["body"], "two");
  EXPECT_EQ(doc["next"], 2);
}

TEST_F(router_fixture, AnswerPollSaysWhatWasMissed) {
  reply(http::verb::post, "/chat", "body=one");
  const auto plan = *handle(http::verb::get, "/chat?since=0&format=json").poll;
  const auto res = r_->answer_poll(plan, batch{{}, 7, 5});
  EXPECT_EQ(header_of(res, "Chat-Next"), "7");
  EXPECT_EQ(header_of(res, "Chat-Missed"), "5");
  EXPECT_EQ(nlohmann::json::parse(body_of(res))["missed"], 5);
}

// A target parsed from another request's bytes is not used: route() reads its own.
TEST_F(router_fixture, RouteReadsItsOwnTargetWhateverItIsGiven) {
  request other{http::verb::get, "/chat/alpha?timeout=0", 11};
  const parsed_target elsewhere = parse_request_target(other.target());
  request post{http::verb::post, "/chat/beta", 11};
  post.set(http::field::content_type, "application/x-www-form-urlencoded");
  post.body() = "body=hi";
  post.prepare_payload();
  ASSERT_FALSE(r_->screen(post.base(), elsewhere, "10.0.0.1"));
  ASSERT_TRUE(r_->route(post, elsewhere, "10.0.0.1").reply);
  EXPECT_EQ(state().rooms.find("beta")->last_id(), 1u);
  EXPECT_EQ(state().rooms.find("alpha"), nullptr);
  // Its own target, parsed once, serves both.
  const parsed_target own = parse_request_target(post.target());
  ASSERT_FALSE(r_->screen(post.base(), own, "10.0.0.1"));
  ASSERT_TRUE(r_->route(post, own, "10.0.0.1").reply);
  EXPECT_EQ(state().rooms.find("beta")->last_id(), 2u);
}

TEST_F(router_fixture, GetCreatesTheRoomAndRefusesPastMaxRooms) {
  config c;
  c.max_rooms = 2;
  restart(c);
  EXPECT_TRUE(handle(http::verb::get, "/chat/second?timeout=0").poll);
  const auto res = reply(http::verb::get, "/chat/third?timeout=0");
  EXPECT_EQ(res.result(), http::status::too_many_requests);
  EXPECT_FALSE(res[http::field::retry_after].empty());
  EXPECT_EQ(state().rooms.find("third"), nullptr);
}

TEST_F(router_fixture, RejectedRequestsCreateNothing) {
  EXPECT_EQ(reply(http::verb::post, "/chat/newroom", "body=").result(), http::status::bad_request);
  EXPECT_EQ(reply(http::verb::get, "/chat/newroom?limit=0").result(), http::status::bad_request);
  EXPECT_EQ(state().rooms.find("newroom"), nullptr);
}

TEST_F(router_fixture, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  EXPECT_EQ(code_of(reply(http::verb::get, "/nope")), "not_found");
  const auto res = reply(http::verb::delete_, "/chat");
  EXPECT_EQ(res.result(), http::status::method_not_allowed);
  EXPECT_EQ(res[http::field::allow], "GET, HEAD, POST");
  EXPECT_EQ(reply(http::verb::post, "/rooms").result(), http::status::method_not_allowed);
}

TEST_F(router_fixture, BadRoomNameIs400) {
  EXPECT_EQ(code_of(reply(http::verb::get, "/chat/bad%20name")), "bad_room");
  EXPECT_EQ(code_of(reply(http::verb::post, "/chat/" + std::string(65, 'x'), "body=x")), "bad_room");
  EXPECT_EQ(reply(http::verb::get, "/chat/a/b").result(), http::status::not_found);
}

TEST_F(router_fixture, RoomsListAndDescribe) {
  reply(http::verb::post, "/chat/alpha", "body=x");
  const auto list = nlohmann::json::parse(reply(http::verb::get, "/rooms").body().head);
  ASSERT_EQ(list["rooms"].size(), 2u);
  EXPECT_EQ(list["rooms"][0]["room"], "alpha");
  EXPECT_EQ(list["rooms"][0]["last_id"], 1);
  const auto one = nlohmann::json::parse(reply(http::verb::get, "/rooms/alpha").body().head);
  EXPECT_EQ(one["epoch"], *state().epoch.get());
  EXPECT_TRUE(one["members"].is_array());
  EXPECT_EQ(reply(http::verb::get, "/rooms/ghost").result(), http::status::not_found);
  // "leave" is a room name like any other; only /rooms/<room>/leave is the leave endpoint.
  EXPECT_EQ(code_of(reply(http::verb::get, "/rooms/leave")), "no_such_room");
  EXPECT_EQ(reply(http::verb::get, "/rooms/alpha/leave").result(), http::status::method_not_allowed);
  EXPECT_EQ(reply(http::verb::post, "/rooms//leave").result(), http::status::not_found);
}

TEST_F(router_fixture, IdempotencyKeyRepeatAnswersTheFirstMessage) {
  const auto a = reply(http::verb::post, "/chat", "body=once", {{"Idempotency-Key", "k-1"}});
  const auto b = reply(http::verb::post, "/chat", "body=once", {{"Idempotency-Key", "k-1"}});
  EXPECT_EQ(body_of(a), body_of(b));
  EXPECT_EQ(nlohmann::json::parse(body_of(b))["id"], 1);
  EXPECT_EQ(state().rooms.find("lobby")->last_id(), 1u);
  EXPECT_EQ(reply(http::verb::post, "/chat", "body=x", {{"Idempotency-Key", std::string(129, 'k')}})
                .result(),
            http::status::bad_request);
}

TEST_F(router_fixture, HealthAndMetrics) {
  EXPECT_EQ(reply(http::verb::get, "/healthz").body().head, "ok\n");
  reply(http::verb::post, "/chat", "body=x");
  const auto metrics = reply(http::verb::get, "/metrics").body().head;
  EXPECT_NE(metrics.find("pollchat_posts_total 1\n"), std::string::npos);
  EXPECT_NE(metrics.find("pollchat_rooms 1\n"), std::string::npos);
}

struct token_router : router_fixture {
  token_router() {
    config c;
    c.token = "s3cret";
    restart(c);
  }
};

TEST_F(token_router, EveryRequestButHealthAndPageNeedsTheToken) {
  EXPECT_EQ(reply(http::verb::post, "/chat", "body=x").result(), http::status::unauthorized);
  EXPECT_EQ(reply(http::verb::get, "/no/such/path").result(), http::status::unauthorized);
  EXPECT_EQ(reply(http::verb::get, "/chat?timeout=0", {}, {{"Authorization", "Bearer wrong"}}).result(),
            http::status::unauthorized);
  EXPECT_EQ(reply(http::verb::get, "/healthz").result(), http::status::ok);
  EXPECT_EQ(reply(http::verb::post, "/chat", "body=x", {{"Authorization", "Bearer s3cret"}}).result(),
            http::status::ok);
}

struct limited_router : router_fixture {
  limited_router() {
    config c;
    c.post_rate = 1;
    c.post_burst = 2;
    restart(c, /*keep_rate=*/true);
  }
};

TEST_F(limited_router, PostsPastTheBurstAre429WithRetryAfter) {
  EXPECT_EQ(reply(http::verb::post, "/chat", "body=1").result(), http::status::ok);
  EXPECT_EQ(reply(http::verb::post, "/chat", "body=2").result(), http::status::ok);
  const auto res = reply(http::verb::post, "/chat", "body=3");
  EXPECT_EQ(res.result(), http::status::too_many_requests);
  EXPECT_EQ(res[http::field::retry_after], "1");
  EXPECT_EQ(state().rooms.find("lobby")->last_id(), 2u);
}

TEST_F(router_fixture, DrainingRefusesNewRequestsAndHealthSaysSo) {
  state().draining = true;
  EXPECT_EQ(reply(http::verb::post, "/chat", "body=x").result(), http::status::service_unavailable);
  const auto health = reply(http::verb::get, "/healthz");
  EXPECT_EQ(health.result(), http::status::service_unavailable);
  EXPECT_EQ(health.body().head, "draining\n");
}

}  // namespace pollchat
