// The hiredis adapter against a real redis-server (Debian's), started per test on a free port.
#include "store/redis/connection.hpp"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <boost/asio/io_context.hpp>
#include <optional>

#include "redis_process.hpp"
#include "run_until.hpp"

namespace pollchat::redis {
namespace {

using namespace std::chrono_literals;
using pollchat::testing::redis_process;

endpoint at(const redis_process& r, std::string password = {}) {
  endpoint e;
  e.host = "127.0.0.1";
  e.port = r.port();
  e.password = std::move(password);
  return e;
}

using pollchat::testing::run_until;

std::shared_ptr<connection> connected(boost::asio::io_context& io, const endpoint& where) {
  auto c = connection::create(io.get_executor());
  std::optional<std::string> outcome;
  c->connect(where, 2s, [&](const std::string& error) { outcome = error; });
  EXPECT_TRUE(run_until(io, [&] { return outcome.has_value(); }));
  EXPECT_EQ(outcome.value_or("never answered"), "");
  return c;
}

TEST(RedisConnection, SetsAndGets) {
  redis_process redis;
  ASSERT_TRUE(redis.running());
  boost::asio::io_context io;
  auto c = connected(io, at(redis));
  ASSERT_TRUE(c->is_open());

  std::optional<std::string> got;
  const std::string_view set[] = {"SET", "greeting", std::string_view("hi\0there", 8)};
  ASSERT_TRUE(c->command(set, [](redisReply*) {}));
  const std::string_view get[] = {"GET", "greeting"};
  ASSERT_TRUE(c->command(get, [&](redisReply* r) {
    got = r != nullptr ? std::string(r->str, r->len) : "lost";
  }));
  ASSERT_TRUE(run_until(io, [&] { return got.has_value(); }));
  EXPECT_EQ(*got, std::string("hi\0there", 8));  // binary-safe arguments and replies
}

TEST(RedisConnection, DeliversPublishedMessagesToASubscriber) {
  redis_process redis;
  ASSERT_TRUE(redis.running());
  boost::asio::io_context io;
  auto subscriber = connected(io, at(redis));
  std::vector<std::string> received;
  const std::string_view channels[] = {"room:lobby"};
  bool confirmed = false;
  ASSERT_TRUE(subscriber->subscribe(
      channels,
      [&](std::string_view channel, std::string_view payload) {
        received.push_back(std::string(channel) + "=" + std::string(payload));
      },
      [&] { confirmed = true; }));
  ASSERT_TRUE(run_until(io, [&] { return confirmed; }));
  EXPECT_EQ(redis.command({"PUBSUB", "NUMSUB", "room:lobby"}), "room:lobby\n1");
  for (int i = 1; i <= 3; ++i) {
    redis.command({"PUBLISH", "room:lobby", std::to_string(i)});
  }
  ASSERT_TRUE(run_until(io, [&] { return received.size() == 3; }));
  EXPECT_EQ(received, (std::vector<std::string>{"room:lobby=1", "room:lobby=2", "room:lobby=3"}));
}

TEST(RedisConnection, ReportsALostServerToPendingCommandsAndTheClosedHandler) {
  redis_process redis;
  ASSERT_TRUE(redis.running());
  boost::asio::io_context io;
  auto c = connected(io, at(redis));
  std::optional<std::string> closed;
  c->on_closed([&](const std::string& why) { closed = why; });
  bool lost_reply = false;
  // BLPOP parks on the server, so the reply is still pending when the server dies.
  const std::string_view blpop[] = {"BLPOP", "nothing", "30"};
  ASSERT_TRUE(c->command(blpop, [&](redisReply* r) { lost_reply = (r == nullptr); }));
  run_until(io, [] { return false; }, 100ms);
  redis.stop(SIGKILL);
  ASSERT_TRUE(run_until(io, [&] { return closed.has_value(); }));
  EXPECT_TRUE(lost_reply);
  EXPECT_FALSE(c->is_open());
  const std::string_view ping[] = {"PING"};
  EXPECT_FALSE(c->command(ping, [](redisReply*) {}));
}

TEST(RedisConnection, ConnectFailsWithAReasonWhenNothingListens) {
  redis_process redis;
  ASSERT_TRUE(redis.running());
  const endpoint where = at(redis);
  redis.stop();
  boost::asio::io_context io;
  auto c = connection::create(io.get_executor());
  std::optional<std::string> outcome;
  c->connect(where, 2s, [&](const std::string& error) { outcome = error; });
  ASSERT_TRUE(run_until(io, [&] { return outcome.has_value(); }));
  EXPECT_NE(*outcome, "");
  EXPECT_FALSE(c->is_open());
}

TEST(RedisConnection, AuthenticatesWithThePasswordOfTheUrl) {
  redis_process redis({"--requirepass", "s3cret"});
  ASSERT_TRUE(redis.running());
  boost::asio::io_context io;
  auto good = connected(io, at(redis, "s3cret"));
  EXPECT_TRUE(good->is_open());

  auto bad = connection::create(io.get_executor());
  std::optional<std::string> outcome;
  bad->connect(at(redis, "wrong"), 2s, [&](const std::string& error) { outcome = error; });
  ASSERT_TRUE(run_until(io, [&] { return outcome.has_value(); }));
  EXPECT_NE(outcome->find("AUTH refused"), std::string::npos) << *outcome;
  EXPECT_FALSE(bad->is_open());
}

TEST(RedisConnection, DestroyingAnOpenConnectionAnswersPendingCommands) {
  redis_process redis;
  ASSERT_TRUE(redis.running());
  boost::asio::io_context io;
  auto c = connected(io, at(redis));
  bool answered = false;
  const std::string_view blpop[] = {"BLPOP", "nothing", "30"};
  ASSERT_TRUE(c->command(blpop, [&](redisReply* r) { answered = (r == nullptr); }));
  c.reset();
  EXPECT_TRUE(answered);
  run_until(io, [] { return false; }, 50ms);  // nothing left touches the freed context
}

}  // namespace
}  // namespace pollchat::redis
