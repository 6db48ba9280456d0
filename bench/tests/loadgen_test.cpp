// Unit tests of the load generator's bookkeeping: no sockets. What it reports (losses,
// duplicates, latency, cursors) is only as good as these pieces.

#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

#include "delivery_log.hpp"
#include "latency.hpp"
#include "options.hpp"
#include "protocol.hpp"
#include "server_url.hpp"
#include "stamp.hpp"

namespace pollchat::bench {
namespace {

TEST(Stamp, RoundTrips) {
  const stamp s{17, 123456789};
  auto back = parse_stamp(format_stamp(s));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->seq, 17);
  EXPECT_EQ(back->sent_ns, 123456789);
}

TEST(Stamp, RejectsAnythingElse) {
  EXPECT_FALSE(parse_stamp("hello"));
  EXPECT_FALSE(parse_stamp("seq=1"));
  EXPECT_FALSE(parse_stamp("seq=1 t="));
  EXPECT_FALSE(parse_stamp("seq=1 t=2 extra"));
  EXPECT_FALSE(parse_stamp("seq=-1 t=2"));
  EXPECT_FALSE(parse_stamp(" seq=1 t=2"));
}

TEST(DeliveryLog, CountsMissedAndDuplicatesPerPoller) {
  delivery_log log{2, 3};
  for (int seq = 0; seq < 3; ++seq) {
    log.mark_posted(seq);
  }
  log.record(0, {0, 100}, 300);
  log.record(0, {1, 100}, 400);
  log.record(0, {1, 100}, 500);  // duplicate
  log.record(0, {2, 100}, 600);
  log.record(1, {2, 100}, 700);
  log.record(1, {9, 100}, 700);  // no such seq: foreign
  EXPECT_EQ(log.unique(), 4u);
  EXPECT_EQ(log.duplicates(), 1u);
  EXPECT_EQ(log.foreign(), 1u);
  EXPECT_EQ(log.missed(), 2u);  // poller 1 lacks 0 and 1
  EXPECT_FALSE(log.complete());
  EXPECT_EQ(log.last_received_ns(), 700);
  EXPECT_EQ(log.unique_before(450), 2u);
}

TEST(DeliveryLog, OnlyAcknowledgedPostsCanBeMissed) {
  delivery_log log{1, 2};
  log.mark_posted(0);
  log.record(0, {0, 0}, 1);
  EXPECT_EQ(log.missed(), 0u);
  EXPECT_TRUE(log.complete());
}

TEST(Latency, NearestRankQuantiles) {
  latency_recorder r;
  for (int ms = 1; ms <= 100; ++ms) {
    r.add(std::int64_t{ms} * 1'000'000);
  }
  r.finish();
  EXPECT_DOUBLE_EQ(r.quantile_ms(0.5), 50.0);
  EXPECT_DOUBLE_EQ(r.quantile_ms(0.99), 99.0);
  EXPECT_DOUBLE_EQ(r.max_ms(), 100.0);
  EXPECT_DOUBLE_EQ(r.quantile_ms(0.0), 1.0);
  EXPECT_EQ(r.cdf(4).size(), 6u);  // 5 evenly spaced points plus 99.9 %
}

TEST(Latency, EmptyIsZero) {
  latency_recorder r;
  r.finish();
  EXPECT_EQ(r.quantile_ms(0.99), 0.0);
  EXPECT_TRUE(r.cdf(10).empty());
}

response make_response(http::status status, std::string body) {
  response res{status, 11};
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

TEST(PollchatProtocol, ReadsBatchAndAdvancesCursor) {
  auto p = make_pollchat_protocol({"127.0.0.1:9", "r1", 30, 1000});
  cursor c;
  auto res = make_response(
      http::status::ok,
      R"({"room":"r1","epoch":"e","messages":[)"
      R"({"id":4,"room":"r1","type":"message","from":"x","body":"seq=3 t=10","time":"t"},)"
      R"({"id":5,"room":"r1","type":"join","from":"y","body":"y joined","time":"t"},)"
      R"({"id":6,"room":"r1","type":"message","from":"x","body":"seq=4 t=11","time":"t"}],)"
      R"("next":6,"missed":2})");
  auto out = p->read_poll(res, c);
  EXPECT_EQ(out.what, poll_outcome::kind::messages);
  ASSERT_EQ(out.stamps.size(), 2u);
  EXPECT_EQ(out.stamps[0].seq, 3);
  EXPECT_EQ(out.stamps[1].sent_ns, 11);
  EXPECT_EQ(out.foreign, 1u);
  EXPECT_EQ(out.server_missed, 2u);
  EXPECT_EQ(c.since, 6);
  EXPECT_EQ(p->make_poll(c),
            "GET /chat/r1?since=6&timeout=30&limit=1000&format=json HTTP/1.1\r\n"
            "Host: 127.0.0.1:9\r\nAccept: application/json\r\n\r\n");
}

TEST(PollchatProtocol, ReadsEscapedStrings) {
  auto p = make_pollchat_protocol({"127.0.0.1:9", "r1", 30, 1000});
  cursor c;
  auto res =
      make_response(http::status::ok, R"({"room":"r1","epoch":"e","messages":[)"
                                      R"({"id":1,"b\u006fdy":"seq=5 t=\u0036","from":"a\"b"},)"
                                      R"({"id":2,"body":"say \"hi\"\n"}],"next":2,"missed":0})");
  auto out = p->read_poll(res, c);
  ASSERT_EQ(out.stamps.size(), 1u);
  EXPECT_EQ(out.stamps[0].seq, 5);
  EXPECT_EQ(out.stamps[0].sent_ns, 6);
  EXPECT_EQ(out.foreign, 1u);
  EXPECT_EQ(c.since, 2);
}

TEST(PollchatProtocol, TimeoutKeepsCursorAndBadAnswersAreErrors) {
  auto p = make_pollchat_protocol({"127.0.0.1:9", "r1", 30, 1000});
  cursor c;
  c.since = 9;
  auto empty = make_response(http::status::ok,
                             R"({"room":"r1","epoch":"e","messages":[],"next":9,"missed":0})");
  EXPECT_EQ(p->read_poll(empty, c).what, poll_outcome::kind::empty);
  EXPECT_EQ(c.since, 9);
  auto broken = make_response(http::status::ok, R"({"messages":[)");
  EXPECT_EQ(p->read_poll(broken, c).what, poll_outcome::kind::bad);
  auto no_next = make_response(http::status::ok, R"({"messages":[]})");
  EXPECT_EQ(p->read_poll(no_next, c).what, poll_outcome::kind::bad);
  auto refused = make_response(http::status::service_unavailable, "{}");
  EXPECT_EQ(p->read_poll(refused, c).what, poll_outcome::kind::bad);
  EXPECT_EQ(c.since, 9);
}

TEST(PollchatProtocol, PostIsFormEncoded) {
  auto p = make_pollchat_protocol({"127.0.0.1:9", "r1", 30, 1000});
  EXPECT_EQ(p->make_post("seq=1 t=2"),
            "POST /chat/r1 HTTP/1.1\r\nHost: 127.0.0.1:9\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 18\r\n\r\n"
            "body=seq%3D1+t%3D2");
}

TEST(NchanProtocol, FollowsHeaderCursor) {
  auto p = make_nchan_protocol({"127.0.0.1:9", "r1", 30, 1000});
  cursor c;
  EXPECT_EQ(p->make_poll(c), "GET /sub/r1 HTTP/1.1\r\nHost: 127.0.0.1:9\r\n\r\n");
  EXPECT_EQ(p->make_post("seq=1 t=2"),
            "POST /pub/r1 HTTP/1.1\r\nHost: 127.0.0.1:9\r\nContent-Type: text/plain\r\n"
            "Content-Length: 9\r\n\r\nseq=1 t=2");
  auto res = make_response(http::status::ok, "seq=7 t=70");
  res.set(http::field::last_modified, "Sun, 22 Nov 2026 16:00:00 GMT");
  res.set(http::field::etag, "3");
  auto out = p->read_poll(res, c);
  ASSERT_EQ(out.stamps.size(), 1u);
  EXPECT_EQ(out.stamps[0].seq, 7);
  EXPECT_EQ(p->make_poll(c),
            "GET /sub/r1 HTTP/1.1\r\nHost: 127.0.0.1:9\r\n"
            "If-Modified-Since: Sun, 22 Nov 2026 16:00:00 GMT\r\nIf-None-Match: 3\r\n\r\n");
  auto timeout = make_response(http::status::not_modified, "");
  EXPECT_EQ(p->read_poll(timeout, c).what, poll_outcome::kind::empty);
  EXPECT_EQ(c.etag, "3");
  auto headerless = make_response(http::status::ok, "seq=8 t=80");
  EXPECT_EQ(p->read_poll(headerless, c).what, poll_outcome::kind::bad);
}

TEST(ServerUrl, AcceptsLoopbackOnly) {
  auto ok = parse_server_url("http://127.0.0.1:9000");
  ASSERT_TRUE(std::holds_alternative<server_address>(ok));
  EXPECT_EQ(std::get<server_address>(ok).endpoint.port(), 9000);
  EXPECT_EQ(std::get<server_address>(ok).host, "127.0.0.1:9000");
  EXPECT_TRUE(std::holds_alternative<server_address>(parse_server_url("http://localhost:80/")));
  EXPECT_TRUE(std::holds_alternative<server_address>(parse_server_url("http://[::1]:80")));
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_server_url("http://10.0.0.1:80")));
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_server_url("http://example.com:80")));
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_server_url("https://127.0.0.1:443")));
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_server_url("http://127.0.0.1")));
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_server_url("http://127.0.0.1:0")));
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_server_url("http://127.0.0.1:80/chat")));
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_server_url("not a url")));
}

TEST(ServerUrl, PostersGoWhereReadersGoUnlessToldOtherwise) {
  auto one = parse_server_url("http://127.0.0.1:9000");
  ASSERT_TRUE(std::holds_alternative<server_address>(one));
  EXPECT_EQ(std::get<server_address>(one).post_endpoint, std::get<server_address>(one).endpoint);

  std::vector<std::string> args{"pollchat-loadgen", "--scenario", "fanout", "--url",
                                "http://127.0.0.1:9000", "--post-url", "http://127.0.0.1:9001"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  auto parsed = parse_options(static_cast<int>(argv.size()), argv.data());
  ASSERT_TRUE(std::holds_alternative<options>(parsed));
  EXPECT_EQ(std::get<options>(parsed).post_url, "http://127.0.0.1:9001");
}

}  // namespace
}  // namespace pollchat::bench
