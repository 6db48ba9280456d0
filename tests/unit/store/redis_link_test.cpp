// The link's reconnection against a real redis-server that is stopped and started again.
#include "store/redis/link.hpp"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <boost/asio/io_context.hpp>
#include <optional>

#include "redis_process.hpp"
#include "run_until.hpp"
#include "store/redis/scripts.hpp"
#include "store/redis/stored_message.hpp"

namespace pollchat::redis {
namespace {

using namespace std::chrono_literals;
using pollchat::testing::redis_process;

using pollchat::testing::run_until;

struct link_fixture {
  explicit link_fixture(const redis_process& redis) {
    endpoint where;
    where.host = "127.0.0.1";
    where.port = redis.port();
    the_link = link::create(io.get_executor(), where, "T",
                            {[this](std::string_view payload) { published.emplace_back(payload); },
                             [this](bool up, const std::string& why) {
                               states.push_back(up ? "up" : "down: " + why);
                             }});
    the_link->start();
  }
  ~link_fixture() { the_link->stop(); }

  // Posts one message through the post script; its decoded reply.
  std::optional<stored_message> post(const std::string& body) {
    const std::string_view keys[] = {"T:epoch",          "T:rooms",
                                     "T:room:lobby:last", "T:room:lobby:log",
                                     "T:room:lobby:members", "T:instance:i:members"};
    const std::string time = encode_time(std::chrono::system_clock::now());
    const std::string channel = the_link->channel();
    const std::string_view args[] = {"lobby", "e1",    "1000", "1000", "message", "alice",
                                     body,    time,    channel, "0",    "",        ""};
    std::optional<std::optional<stored_message>> out;
    if (!the_link->eval(script::post, keys, args, [&](redisReply* r) {
          out = r != nullptr && r->type == REDIS_REPLY_ARRAY && r->elements == 3
                    ? decode(std::string_view(r->element[2]->str, r->element[2]->len))
                    : std::nullopt;
        })) {
      return std::nullopt;
    }
    run_until(io, [&] { return out.has_value(); });
    return out.value_or(std::nullopt);
  }

  boost::asio::io_context io;
  std::shared_ptr<link> the_link;
  std::vector<std::string> published;
  std::vector<std::string> states;
};

TEST(RedisLink, ComesUpPostsAndReceivesWhatItPublished) {
  redis_process redis;
  ASSERT_TRUE(redis.running());
  link_fixture f(redis);
  ASSERT_TRUE(run_until(f.io, [&] { return f.the_link->up(); }));
  const auto stored = f.post("hello there");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->message->id, 1U);
  EXPECT_EQ(stored->message->body, "hello there");
  EXPECT_EQ(stored->epoch, "e1");
  ASSERT_TRUE(run_until(f.io, [&] { return f.published.size() == 1; }));
  EXPECT_EQ(decode(f.published[0])->message->json(), stored->message->json());
}

TEST(RedisLink, ReconnectsAfterRedisRestartsAndSaysSoOnce) {
  redis_process redis;
  ASSERT_TRUE(redis.running());
  link_fixture f(redis);
  ASSERT_TRUE(run_until(f.io, [&] { return f.the_link->up(); }));
  redis.stop(SIGKILL);
  ASSERT_TRUE(run_until(f.io, [&] { return !f.the_link->up(); }));
  EXPECT_FALSE(f.post("while down"));  // refused at once, not queued
  run_until(f.io, [] { return false; }, 1s);  // several failed attempts meanwhile
  ASSERT_TRUE(redis.start());
  ASSERT_TRUE(run_until(f.io, [&] { return f.the_link->up(); }));
  ASSERT_EQ(f.states.size(), 3U);
  EXPECT_EQ(f.states[0], "up");
  EXPECT_TRUE(f.states[1].starts_with("down: ")) << f.states[1];
  EXPECT_EQ(f.states[2], "up");
  const auto stored = f.post("after the restart");
  ASSERT_TRUE(stored);
  ASSERT_TRUE(run_until(f.io, [&] { return f.published.size() == 1; }));  // subscribed again
}

TEST(RedisLink, RunsAScriptThatRedisForgot) {
  redis_process redis;
  ASSERT_TRUE(redis.running());
  link_fixture f(redis);
  ASSERT_TRUE(run_until(f.io, [&] { return f.the_link->up(); }));
  ASSERT_EQ(redis.command({"SCRIPT", "FLUSH"}), "OK");
  const auto stored = f.post("after SCRIPT FLUSH");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->message->body, "after SCRIPT FLUSH");
}

TEST(RedisLink, ReportsRedisAbsentAtStartAndComesUpWhenItArrives) {
  redis_process redis;
  ASSERT_TRUE(redis.running());
  redis.stop();
  link_fixture f(redis);
  ASSERT_TRUE(run_until(f.io, [&] { return !f.states.empty(); }));
  EXPECT_TRUE(f.states[0].starts_with("down: ")) << f.states[0];
  ASSERT_TRUE(redis.start());
  ASSERT_TRUE(run_until(f.io, [&] { return f.the_link->up(); }));
}

TEST(StoredMessage, RefusesWhatIsNotAStoredMessage) {
  for (const char* bad : {"", "[]", "{}", "not json", R"({"id":0,"epoch":"e","room":"r","type":"message","from":"a","body":"b","time_ms":"1"})",
                          R"({"id":1,"epoch":"e","room":"bad room","type":"message","from":"a","body":"b","time_ms":"1"})",
                          R"({"id":1,"epoch":"e","room":"r","type":"shout","from":"a","body":"b","time_ms":"1"})",
                          R"({"id":1,"epoch":"e","room":"r","type":"message","from":"a","body":"b","time_ms":"soon"})"}) {
    EXPECT_FALSE(decode(bad)) << bad;
  }
  const auto good = decode(R"({"id":7,"epoch":"e","room":"r","type":"join","from":"a","body":"","time_ms":"1765000000123"})");
  ASSERT_TRUE(good);
  EXPECT_EQ(good->message->id, 7U);
  EXPECT_EQ(good->message->type, message_type::join);
  EXPECT_EQ(format_time(good->message->time), "2025-12-06T05:46:40.123Z");
}

}  // namespace
}  // namespace pollchat::redis
