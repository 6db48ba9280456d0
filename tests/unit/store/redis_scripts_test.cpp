// The post and read scripts, run by a real redis-server: what each Redis step guarantees.
#include "store/redis/scripts.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "redis_process.hpp"

namespace pollchat::redis {
namespace {

using pollchat::testing::redis_process;

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = text.find('\n', start);
    out.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

struct room_keys {
  std::string room = "lobby";
  std::string epoch = "P:epoch", rooms = "P:rooms";
  std::string last() const { return "P:room:" + room + ":last"; }
  std::string log() const { return "P:room:" + room + ":log"; }
  std::string members() const { return "P:room:" + room + ":members"; }
};

class RedisScripts : public ::testing::Test {
 protected:
  // {status, epoch, json}
  std::vector<std::string> post(const room_keys& k, const std::string& body,
                                const std::string& key = {}, const std::string& proposed = "e-new",
                                std::uint64_t seen = 0, std::size_t history = 1000,
                                std::size_t max_rooms = 1000) {
    std::vector<std::string> args{"EVAL", std::string(post_script), key.empty() ? "6" : "7",
                                  k.epoch, k.rooms, k.last(), k.log(), k.members(),
                                  "P:instance:i1:members"};
    if (!key.empty()) args.push_back("P:room:" + k.room + ":key:" + key);
    for (auto a : {k.room, proposed, std::to_string(max_rooms), std::to_string(history),
                   std::string("message"), std::string("alice"), body,
                   std::string("1765000000123"), std::string("P:messages"),
                   std::to_string(seen), std::string(), std::string()}) {
      args.push_back(a);
    }
    return lines(redis_.command(args));
  }
  std::vector<std::string> read(const room_keys& k, std::uint64_t since, std::size_t limit) {
    return lines(redis_.command({"EVAL", std::string(read_script), "3", k.epoch, k.last(), k.log(),
                                 std::to_string(since), std::to_string(limit)}));
  }
  static nlohmann::json parsed(const std::string& json) { return nlohmann::json::parse(json); }

  redis_process redis_;
};

TEST_F(RedisScripts, AssignsIdsOneTwoThreeUnderOneEpoch) {
  ASSERT_TRUE(redis_.running());
  const room_keys lobby;
  for (int i = 1; i <= 5; ++i) {
    const auto r = post(lobby, "m" + std::to_string(i), {}, "e" + std::to_string(i));
    ASSERT_EQ(r.size(), 3U);
    EXPECT_EQ(r[0], "stored");
    EXPECT_EQ(r[1], "e1");  // the first proposal became the epoch; later ones are ignored
    EXPECT_EQ(parsed(r[2])["id"], i);
    EXPECT_EQ(parsed(r[2])["body"], "m" + std::to_string(i));
  }
  room_keys dev;
  dev.room = "dev";
  EXPECT_EQ(parsed(post(dev, "x")[2])["id"], 1);  // ids are per room
}

TEST_F(RedisScripts, ARepeatedKeyStoresNothingAndAnswersTheFirstMessage) {
  ASSERT_TRUE(redis_.running());
  const room_keys lobby;
  const auto first = post(lobby, "deploy done", "k1");
  const auto again = post(lobby, "something else", "k1");
  EXPECT_EQ(again[0], "repeat");
  EXPECT_EQ(again[2], first[2]);
  EXPECT_EQ(redis_.command({"GET", lobby.last()}), "1");
  const std::string ttl = redis_.command({"TTL", "P:room:lobby:key:k1"});
  EXPECT_GT(std::stoi(ttl), 590);
  EXPECT_LE(std::stoi(ttl), 600);
}

TEST_F(RedisScripts, RefusesANewRoomPastTheMaximumButServesExistingOnes) {
  ASSERT_TRUE(redis_.running());
  room_keys a, b, c;
  a.room = "a";
  b.room = "b";
  c.room = "c";
  EXPECT_EQ(post(a, "x", {}, "e", 0, 1000, 2)[0], "stored");
  EXPECT_EQ(post(b, "x", {}, "e", 0, 1000, 2)[0], "stored");
  EXPECT_EQ(post(c, "x", {}, "e", 0, 1000, 2)[0], "too_many_rooms");
  EXPECT_EQ(post(a, "y", {}, "e", 0, 1000, 2)[0], "stored");
  EXPECT_EQ(redis_.command({"EXISTS", c.last()}), "0");  // the refusal changed nothing
}

TEST_F(RedisScripts, KeepsTheNewestHistoryAndReadsAfterACursor) {
  ASSERT_TRUE(redis_.running());
  const room_keys lobby;
  for (int i = 1; i <= 10; ++i) post(lobby, "m" + std::to_string(i), {}, "e", 0, /*history=*/4);
  EXPECT_EQ(redis_.command({"LLEN", lobby.log()}), "4");

  auto r = read(lobby, 0, 100);  // {epoch, last, oldest, json...}
  ASSERT_EQ(r.size(), 3U + 4U);
  EXPECT_EQ(r[0], "e");
  EXPECT_EQ(r[1], "10");
  EXPECT_EQ(r[2], "7");
  EXPECT_EQ(parsed(r[3])["id"], 7);
  EXPECT_EQ(parsed(r[6])["id"], 10);

  r = read(lobby, 8, 1);
  ASSERT_EQ(r.size(), 4U);
  EXPECT_EQ(parsed(r[3])["id"], 9);
  EXPECT_EQ(read(lobby, 10, 100).size(), 3U);  // nothing after the newest
}

// A join or leave of `member` said by `instance` (a leave: "lapse" or "all").
std::vector<std::string> presence_change(redis_process& redis, const std::string& type,
                                         const std::string& from, const std::string& member,
                                         const std::string& instance = "i1",
                                         const std::string& scope = "lapse") {
  return lines(redis.command({"EVAL", std::string(post_script), "6", "P:epoch", "P:rooms",
                              "P:room:lobby:last", "P:room:lobby:log", "P:room:lobby:members",
                              "P:instance:" + instance + ":members", "lobby", "e", "1000", "1000",
                              type, from, "", "1765000000123", "P:messages", "0", member, "tcp",
                              instance, scope, "P:instance:"}));
}

TEST_F(RedisScripts, KeepsTheMembersAndStoresEachLeaveOnce) {
  ASSERT_TRUE(redis_.running());
  const auto join = presence_change(redis_, "join", "carol", "i1/tcp:7");
  ASSERT_EQ(join[0], "stored");
  EXPECT_EQ(parsed(join[2])["member"], "i1/tcp:7");
  EXPECT_EQ(parsed(join[2])["via"], "tcp");
  EXPECT_EQ(redis_.command({"SMEMBERS", "P:instance:i1:members"}), "lobby\ti1/tcp:7");
  const auto entry = parsed(redis_.command({"HGET", "P:room:lobby:members", "i1/tcp:7"}));
  EXPECT_EQ(entry["name"], "carol");

  // A sweeper's leave names nobody: the name comes from the join.
  const auto leave = presence_change(redis_, "leave", "", "i1/tcp:7");
  ASSERT_EQ(leave[0], "stored");
  EXPECT_EQ(parsed(leave[2])["from"], "carol");
  EXPECT_EQ(redis_.command({"HLEN", "P:room:lobby:members"}), "0");
  EXPECT_EQ(redis_.command({"SCARD", "P:instance:i1:members"}), "0");
  // Its own instance saying goodbye as well stores nothing more.
  EXPECT_EQ(presence_change(redis_, "leave", "carol", "i1/tcp:7")[0], "gone");
  EXPECT_EQ(redis_.command({"GET", "P:room:lobby:last"}), "2");
}

TEST_F(RedisScripts, AMemberServedByTwoInstancesJoinsOnceAndLeavesWhenTheLastLetsGo) {
  ASSERT_TRUE(redis_.running());
  ASSERT_EQ(presence_change(redis_, "join", "dan", "http:d", "i1")[0], "stored");
  // Its next poll lands on i2: i2 holds it too, nothing is said.
  EXPECT_EQ(presence_change(redis_, "join", "dan", "http:d", "i2")[0], "held");
  EXPECT_EQ(redis_.command({"SMEMBERS", "P:instance:i2:members"}), "lobby\thttp:d");
  // i1's grace runs out while i2 serves it: kept.
  EXPECT_EQ(presence_change(redis_, "leave", "", "http:d", "i1")[0], "kept");
  EXPECT_EQ(redis_.command({"HLEN", "P:room:lobby:members"}), "1");
  EXPECT_EQ(redis_.command({"SCARD", "P:instance:i1:members"}), "0");
  // A lapse of an instance that no longer holds it changes nothing.
  EXPECT_EQ(presence_change(redis_, "leave", "", "http:d", "i1")[0], "kept");
  // The last holder lets go: the one leave.
  const auto leave = presence_change(redis_, "leave", "", "http:d", "i2");
  ASSERT_EQ(leave[0], "stored");
  EXPECT_EQ(parsed(leave[2])["from"], "dan");
  EXPECT_FALSE(parsed(leave[2]).contains("holders"));
  EXPECT_EQ(redis_.command({"HLEN", "P:room:lobby:members"}), "0");
  EXPECT_EQ(redis_.command({"GET", "P:room:lobby:last"}), "2");  // one join, one leave
}

TEST_F(RedisScripts, AnExplicitLeaveEndsTheMemberOnEveryInstanceAndNamesThem) {
  ASSERT_TRUE(redis_.running());
  ASSERT_EQ(presence_change(redis_, "join", "erin", "http:e", "i1")[0], "stored");
  ASSERT_EQ(presence_change(redis_, "join", "erin", "http:e", "i2")[0], "held");
  // Asked on i3, which never served it.
  const auto leave = presence_change(redis_, "leave", "erin", "http:e", "i3", "all");
  ASSERT_EQ(leave[0], "stored");
  auto holders = parsed(leave[2])["holders"].get<std::vector<std::string>>();
  std::sort(holders.begin(), holders.end());
  EXPECT_EQ(holders, (std::vector<std::string>{"i1", "i2"}));
  EXPECT_EQ(redis_.command({"HLEN", "P:room:lobby:members"}), "0");
  EXPECT_EQ(redis_.command({"SCARD", "P:instance:i1:members"}), "0");
  EXPECT_EQ(redis_.command({"SCARD", "P:instance:i2:members"}), "0");
  // The holders' lapses that follow say nothing more.
  EXPECT_EQ(presence_change(redis_, "leave", "", "http:e", "i1")[0], "gone");
  EXPECT_EQ(redis_.command({"GET", "P:room:lobby:last"}), "2");
}

TEST_F(RedisScripts, AnEmptiedRedisStartsANewEpoch) {
  ASSERT_TRUE(redis_.running());
  const room_keys lobby;
  EXPECT_EQ(post(lobby, "x", {}, "first")[1], "first");
  redis_.command({"FLUSHALL"});
  const auto r = post(lobby, "y", {}, "second", /*seen=*/1);
  EXPECT_EQ(r[1], "second");
  EXPECT_EQ(parsed(r[2])["id"], 1);
  EXPECT_EQ(parsed(r[2])["epoch"], "second");
}

TEST_F(RedisScripts, ARoomThatWentBackInTimeStartsANewEpoch) {
  ASSERT_TRUE(redis_.running());
  const room_keys lobby;
  for (int i = 1; i <= 5; ++i) post(lobby, "m", {}, "old");
  redis_.command({"SET", lobby.last(), "2"});  // as if an older snapshot were restored
  const auto r = post(lobby, "after restore", {}, "new", /*seen=*/5);
  EXPECT_EQ(parsed(r[2])["id"], 3);
  EXPECT_EQ(r[1], "new");  // id 3 was seen under "old": it is not reused there
  EXPECT_EQ(redis_.command({"GET", lobby.epoch}), "new");
}

}  // namespace
}  // namespace pollchat::redis
