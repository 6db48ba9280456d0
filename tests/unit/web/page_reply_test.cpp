// The web page's answers: the embedded files, their validators, and how the router serves them.
#include "web/page_reply.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "http/router.hpp"
#include "web/static_assets.hpp"

namespace pollchat {
namespace {

namespace http = boost::beast::http;

TEST(StaticAssets, EmbedsThePageAndItsFilesWithTheirTypes) {
  for (const auto& [name, type] : {std::pair{"index.html", "text/html; charset=utf-8"},
                                   std::pair{"app.js", "text/javascript; charset=utf-8"},
                                   std::pair{"style.css", "text/css; charset=utf-8"},
                                   std::pair{"favicon.svg", "image/svg+xml"}}) {
    const static_asset* asset = find_static_asset(name);
    ASSERT_NE(asset, nullptr) << name;
    EXPECT_EQ(asset->content_type, type);
    EXPECT_GT(asset->bytes.size(), 100u) << name;
    EXPECT_EQ(asset->etag.size(), 22u) << asset->etag;  // a quoted 20-digit hex digest
  }
  EXPECT_NE(find_static_asset("index.html")->bytes.find("static/app.js"), std::string_view::npos);
  EXPECT_EQ(find_static_asset("missing.js"), nullptr);
  EXPECT_EQ(find_static_asset("../CMakeLists.txt"), nullptr);
}

TEST(StaticAssets, UnknownExtensionIsOctetStream) {
  EXPECT_EQ(content_type_for("notes.txt.bak"), "application/octet-stream");
}

TEST(EtagMatches, FollowsTheWeakComparisonOfIfNoneMatch) {
  EXPECT_TRUE(etag_matches(R"("abc")", R"("abc")"));
  EXPECT_TRUE(etag_matches(R"(W/"abc")", R"("abc")"));
  EXPECT_TRUE(etag_matches(R"("x", "abc" ,"y")", R"("abc")"));
  EXPECT_TRUE(etag_matches(" * ", R"("abc")"));
  EXPECT_FALSE(etag_matches("", R"("abc")"));
  EXPECT_FALSE(etag_matches(R"("abcd")", R"("abc")"));
  EXPECT_FALSE(etag_matches("abc", R"("abc")"));  // unquoted: not the same tag
  EXPECT_FALSE(etag_matches(",,", R"("abc")"));
}

TEST(PageReply, SendsTheFileWithItsHeadersOr304WhenUnchanged) {
  const auto res = page_reply("app.js", "");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::ok);
  EXPECT_EQ((*res)[http::field::content_type], "text/javascript; charset=utf-8");
  EXPECT_EQ((*res)[http::field::cache_control], "no-cache");
  EXPECT_EQ((*res)["Content-Security-Policy"], page_security_policy);
  EXPECT_EQ((*res)["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ(res->body().head, find_static_asset("app.js")->bytes);

  const auto again = page_reply("app.js", (*res)[http::field::etag]);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->result(), http::status::not_modified);
  EXPECT_TRUE(again->body().head.empty());
  EXPECT_EQ((*again)[http::field::etag], (*res)[http::field::etag]);

  EXPECT_FALSE(page_reply("nope.js", ""));
}

// The router as a session runs it: screen, then route.
struct page_routes : ::testing::Test {
  void start(config c) {
    c.post_rate = 0;
    state_ = std::make_unique<server_state>(std::move(c));
    router_ = std::make_unique<router>(*state_);
  }

  response reply(http::verb method, const std::string& target,
                 std::vector<std::pair<std::string, std::string>> headers = {}) {
    request req{method, target, 11};
    for (auto& [k, v] : headers)
      req.set(k, v);
    if (method == http::verb::post)
      req.body() = "body=hi";
    req.prepare_payload();
    if (auto refusal = router_->screen(req.base(), "10.0.0.1")) {
      return std::move(*refusal);
    }
    auto out = router_->route(req, "10.0.0.1");
    EXPECT_TRUE(out.reply);
    return out.reply ? std::move(*out.reply) : response{};
  }

  std::unique_ptr<server_state> state_;
  std::unique_ptr<router> router_;
};

TEST_F(page_routes, RootIsThePageAndStaticHoldsItsFiles) {
  start({});
  const auto page = reply(http::verb::get, "/");
  EXPECT_EQ(page.result(), http::status::ok);
  EXPECT_EQ(page[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(page["Content-Security-Policy"], page_security_policy);
  EXPECT_EQ(reply(http::verb::get, "/static/style.css").result(), http::status::ok);
  EXPECT_EQ(reply(http::verb::get, "/static/app.js?v=1").result(), http::status::ok);
  EXPECT_EQ(reply(http::verb::get, "/", {{"If-None-Match", std::string(page[http::field::etag])}})
                .result(),
            http::status::not_modified);
}

TEST_F(page_routes, UnknownOrNestedStaticFilesAre404) {
  start({});
  EXPECT_EQ(reply(http::verb::get, "/static/nope.js").result(), http::status::not_found);
  EXPECT_EQ(reply(http::verb::get, "/static/").result(), http::status::not_found);
  EXPECT_EQ(reply(http::verb::get, "/static/index.html").result(), http::status::not_found);
  EXPECT_EQ(reply(http::verb::get, "/static/web/app.js").result(), http::status::not_found);
  EXPECT_EQ(reply(http::verb::get, "/static/%2e%2e/app.js").result(), http::status::not_found);
  EXPECT_EQ(reply(http::verb::post, "/static/app.js").result(), http::status::method_not_allowed);
}

TEST_F(page_routes, WithATokenThePageIsPublicAndTheApiIsNot) {
  config c;
  c.token = "s3cret";
  start(std::move(c));
  EXPECT_EQ(reply(http::verb::get, "/").result(), http::status::ok);
  EXPECT_EQ(reply(http::verb::get, "/static/app.js").result(), http::status::ok);
  EXPECT_EQ(reply(http::verb::get, "/static/nope.js").result(), http::status::not_found);
  EXPECT_EQ(reply(http::verb::post, "/").result(), http::status::unauthorized);
  EXPECT_EQ(reply(http::verb::get, "/rooms").result(), http::status::unauthorized);
  EXPECT_EQ(reply(http::verb::post, "/static/app.js").result(), http::status::unauthorized);
}

TEST_F(page_routes, PostToRootStillPostsToTheLobby) {
  start({});
  EXPECT_EQ(reply(http::verb::post, "/").result(), http::status::ok);
  EXPECT_EQ(state_->rooms.find("lobby")->last_id(), 1u);
}

}  // namespace
}  // namespace pollchat
