// Several chat-server instances sharing their rooms through one real redis-server (SPEC §9).
// Each test starts its own Redis on a free port (label "redis").

#include <atomic>
#include <mutex>
#include <map>
#include <set>
#include <signal.h>

#include "integration.hpp"
#include "redis_process.hpp"

namespace pollchat::testing {
namespace {

std::vector<std::string> on(const redis_process& redis, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"--redis", redis.url(), "--post-rate", "0"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::string form_body(const std::string& text) { return "body=" + text; }

// Reads room `room` from `since` on `port` with a cursor until it holds `expected` messages of
// type message; every id must follow the one before. Its bodies, or a failure.
struct follow_result {
  std::vector<std::string> bodies;
  std::string failure;
};

follow_result follow(std::uint16_t port, const std::string& room, std::size_t expected,
                     std::chrono::seconds limit = 60s) {
  follow_result out;
  test_connection c(port);
  std::uint64_t next = 0;
  std::string epoch;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (out.bodies.size() < expected && std::chrono::steady_clock::now() < deadline) {
    std::string target = "/chat/" + room + "?format=json&timeout=5&since=" + std::to_string(next);
    if (!epoch.empty()) target += "&epoch=" + epoch;
    c.send(make_request("GET", target));
    const auto doc = json_of(c.read_response(10s));
    if (!doc.is_object()) {
      out.failure = "no answer at cursor " + std::to_string(next);
      return out;
    }
    epoch = doc["epoch"];
    for (const auto& m : doc["messages"]) {
      if (m["id"].get<std::uint64_t>() != next + 1) {
        out.failure = "after " + std::to_string(next) + " came " + m["id"].dump();
        return out;
      }
      next = m["id"];
      if (m["type"] == "message") out.bodies.push_back(m["body"]);
    }
  }
  return out;
}

TEST(Redis, APostOnOneInstanceWakesAPollParkedOnAnother) {
  redis_process redis;
  ASSERT_TRUE(redis.running());
  server_process a(on(redis)), b(on(redis));
  ASSERT_TRUE(a.started() && b.started());
  ASSERT_TRUE(wait_until([&] { return healthy(a) && healthy(b); }, 10s));

  test_connection parked(b.port());
  parked.send(make_request("GET", "/chat?format=json&timeout=20"));
  std::this_thread::sleep_for(200ms);  // parked on B
  const auto started = std::chrono::steady_clock::now();
  const auto posted = post(a, "/chat", form_body("across instances"));
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->result_int(), 200);
  const auto doc = json_of(parked.read_response(5s));
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(doc.is_object());
  ASSERT_EQ(doc["messages"].size(), 1U);
  EXPECT_EQ(doc["messages"][0]["body"], "across instances");
  EXPECT_LT(took, 1s);  // milliseconds in practice; generous for a loaded machine
  EXPECT_EQ(doc["epoch"], json_of(get(a, "/chat?since=0&timeout=0&format=json"))["epoch"]);
}

TEST(Redis, EveryPollerOnEveryInstanceGetsEveryMessageOnceInOrder) {
  redis_process redis;
  ASSERT_TRUE(redis.running());
  std::vector<std::unique_ptr<server_process>> instances;
  for (int i = 0; i < 3; ++i) {
    instances.push_back(std::make_unique<server_process>(on(redis)));
    ASSERT_TRUE(instances.back()->started());
  }
  ASSERT_TRUE(wait_until([&] {
    return std::all_of(instances.begin(), instances.end(), [](auto& s) { return healthy(*s); });
  }, 10s));

  constexpr int posters = 5;
  constexpr int per_poster = 40;
  constexpr std::size_t total = posters * per_poster;
  constexpr int pollers = 100;
  std::vector<follow_result> results(pollers);
  std::vector<std::thread> threads;
  for (int p = 0; p < pollers; ++p) {
    threads.emplace_back([&, p] { results[p] = follow(instances[p % 3]->port(), "busy", total); });
  }
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int w = 0; w < posters; ++w) {
    writers.emplace_back([&, w] {
      test_connection c(instances[w % 3]->port());
      for (int i = 0; i < per_poster; ++i) {
        c.send(make_request("POST", "/chat/busy", {{"Content-Type", "text/plain"}},
                            "w" + std::to_string(w) + "-" + std::to_string(i)));
        const auto res = c.read_response(10s);
        if (!res || res->result_int() != 200) ++failures;
      }
    });
  }
  for (auto& t : writers) t.join();
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  for (int p = 0; p < pollers; ++p) {
    ASSERT_EQ(results[p].failure, "") << "poller " << p;
    ASSERT_EQ(results[p].bodies.size(), total) << "poller " << p;
    EXPECT_EQ(results[p].bodies, results[0].bodies) << "poller " << p;  // one order for all
  }
  // Each poster's own messages in the order it sent them; the room's ids exactly 1..N.
  EXPECT_EQ(redis.command({"GET", "pollchat:room:busy:last"}), std::to_string(total));
  std::set<std::string> distinct(results[0].bodies.begin(), results[0].bodies.end());
  EXPECT_EQ(distinct.size(), total);
}

TEST(Redis, AKeyRepeatedOnAnotherInstanceStoresNothing) {
  redis_process redis;
  ASSERT_TRUE(redis.running());
  server_process a(on(redis)), b(on(redis));
  ASSERT_TRUE(wait_until([&] { return healthy(a) && healthy(b); }, 10s));
  const header_list key{{"Idempotency-Key", "deploy-42"}};
  const auto first = json_of(post(a, "/chat/ops", form_body("deployed"), key));
  const auto again = json_of(post(b, "/chat/ops", form_body("deployed"), key));
  ASSERT_TRUE(first.is_object());
  EXPECT_EQ(again, first);
  EXPECT_EQ(redis.command({"GET", "pollchat:room:ops:last"}), "1");
}

TEST(Redis, ANewRoomPastTheSharedMaxRoomsIsRefusedWith429LikeOneServer) {
  redis_process redis;
  ASSERT_TRUE(redis.running());
  server_process a(on(redis, {"--max-rooms", "3"}));
  ASSERT_TRUE(wait_until([&] { return healthy(a); }, 10s));
  // Two rooms other instances made that A has not heard of yet (a race between instances, or
  // news A missed): A holds two rooms of its own (the lobby and one), the instances three.
  ASSERT_EQ(redis.command({"SADD", "pollchat:rooms", "elsewhere-1", "elsewhere-2"}), "2");
  ASSERT_EQ(post(a, "/chat/one", form_body("first"))->result_int(), 200);
  const auto refused = post(a, "/chat/two", form_body("second"));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->result_int(), 429) << refused->body();
  EXPECT_EQ(json_of(refused)["error"], "too_many_rooms");
  EXPECT_EQ(redis.command({"SCARD", "pollchat:rooms"}), "3");
  // An existing room still takes posts.
  EXPECT_EQ(post(a, "/chat/one", form_body("more"))->result_int(), 200);
}

TEST(Redis, WithoutRedisPostsAnswer503AndReadsGoOnThenEverythingResumes) {
  redis_process redis({"--appendonly", "yes", "--appendfsync", "always"});
  ASSERT_TRUE(redis.running());
  server_process a(on(redis)), b(on(redis));
  ASSERT_TRUE(wait_until([&] { return healthy(a) && healthy(b); }, 10s));
  ASSERT_EQ(post(a, "/chat", form_body("before"))->result_int(), 200);
  const std::string epoch = json_of(get(b, "/chat?since=0&timeout=0&format=json"))["epoch"];

  test_connection parked(b.port());
  parked.send(make_request("GET", "/chat?format=json&timeout=2&since=1"));
  redis.stop();  // SIGTERM: Redis keeps its AOF
  ASSERT_TRUE(wait_until([&] { return !healthy(a); }, 10s));
  const auto refused = post(a, "/chat", form_body("while away"));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->result_int(), 503);
  EXPECT_EQ(json_of(refused)["error"], "store_unavailable");
  EXPECT_FALSE((*refused)[boost::beast::http::field::retry_after].empty());
  // The parked poll is answered normally at its timeout; reads of what B holds go on.
  const auto timed_out = json_of(parked.read_response(5s));
  ASSERT_TRUE(timed_out.is_object());
  EXPECT_EQ(timed_out["messages"].size(), 0U);
  const auto read = json_of(get(b, "/chat?since=0&timeout=0&format=json"));
  ASSERT_EQ(read["messages"].size(), 1U);

  ASSERT_TRUE(redis.start());
  ASSERT_TRUE(wait_until([&] { return healthy(a) && healthy(b); }, 15s));
  ASSERT_EQ(post(a, "/chat", form_body("after"))->result_int(), 200);
  const auto doc = json_of(get(b, "/chat?since=1&timeout=5&format=json&epoch=" + epoch));
  ASSERT_TRUE(doc.is_object());
  EXPECT_EQ(doc["epoch"], epoch);  // nothing acknowledged was lost: the same epoch goes on
  ASSERT_EQ(doc["messages"].size(), 1U);
  EXPECT_EQ(doc["messages"][0]["id"], 2);
  EXPECT_EQ(doc["messages"][0]["body"], "after");
}

TEST(Redis, ARedisRestartedEmptyStartsANewEpochAndReadersStartOver) {
  redis_process redis;
  ASSERT_TRUE(redis.running());
  server_process a(on(redis)), b(on(redis));
  ASSERT_TRUE(wait_until([&] { return healthy(a) && healthy(b); }, 10s));
  for (int i = 0; i < 3; ++i) ASSERT_EQ(post(a, "/chat", form_body("old"))->result_int(), 200);
  const std::string old_epoch = json_of(get(b, "/chat?since=0&timeout=0&format=json"))["epoch"];

  redis.stop(SIGKILL);
  ASSERT_TRUE(redis.start(/*empty=*/true));
  ASSERT_TRUE(wait_until([&] {
    return healthy(a) && json_of(get(a, "/chat?since=0&timeout=0&format=json"))["epoch"] != old_epoch;
  }, 15s));
  ASSERT_EQ(post(a, "/chat", form_body("new"))->result_int(), 200);
  // A reader with the old epoch and cursor gets the new epoch's history, not a wait for id 4.
  const auto doc = json_of(get(b, "/chat?since=3&timeout=5&format=json&epoch=" + old_epoch));
  ASSERT_TRUE(doc.is_object());
  EXPECT_NE(doc["epoch"], old_epoch);
  ASSERT_EQ(doc["messages"].size(), 1U);
  EXPECT_EQ(doc["messages"][0]["id"], 1);
  EXPECT_EQ(doc["messages"][0]["body"], "new");
}

TEST(Redis, ARedisBackFromAnOlderSnapshotStartsANewEpoch) {
  redis_process redis;
  ASSERT_TRUE(redis.running());
  server_process a(on(redis));
  ASSERT_TRUE(wait_until([&] { return healthy(a); }, 10s));
  for (int i = 0; i < 5; ++i) ASSERT_EQ(post(a, "/chat", form_body("m"))->result_int(), 200);
  const std::string old_epoch = json_of(get(a, "/chat?since=0&timeout=0&format=json"))["epoch"];
  redis.command({"SET", "pollchat:room:lobby:last", "2"});  // as after restoring an old snapshot
  const auto posted = json_of(post(a, "/chat", form_body("after the restore")));
  ASSERT_TRUE(posted.is_object());
  const auto doc = json_of(get(a, "/chat?since=0&timeout=0&format=json"));
  EXPECT_NE(doc["epoch"], old_epoch);  // id 3 was seen under the old epoch: never reused there
}

std::vector<std::string> member_names(const server_process& s, const std::string& room) {
  std::vector<std::string> names;
  const auto doc = json_of(get(s, "/rooms/" + room));
  if (doc.is_object()) {
    for (const auto& m : doc["members"]) names.push_back(m["name"]);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::size_t count_of(const nlohmann::json& history, const std::string& type, const std::string& from) {
  std::size_t n = 0;
  for (const auto& m : history["messages"]) {
    if (m["type"] == type && m["from"] == from) ++n;
  }
  return n;
}

TEST(Redis, PresenceListsTheMembersOfEveryInstanceAndADeadInstancesMembersLeave) {
  redis_process redis;
  ASSERT_TRUE(redis.running());
  const std::map<std::string, std::string> short_lease{{"CHAT_TEST_REDIS_LEASE_MS", "1000"}};
  server_process a(on(redis), short_lease), b(on(redis), short_lease);
  ASSERT_TRUE(wait_until([&] { return healthy(a) && healthy(b); }, 10s));

  test_connection alice(a.port()), bob(b.port());
  alice.send(make_request("GET", "/chat?format=json&timeout=30&client=c-alice&name=alice"));
  bob.send(make_request("GET", "/chat?format=json&timeout=30&client=c-bob&name=bob"));
  const std::vector<std::string> both{"alice", "bob"};
  ASSERT_TRUE(wait_until([&] { return member_names(a, "lobby") == both && member_names(b, "lobby") == both; }, 10s))
      << "A lists " << ::testing::PrintToString(member_names(a, "lobby")) << ", B lists "
      << ::testing::PrintToString(member_names(b, "lobby"));
  EXPECT_EQ(json_of(get(a, "/rooms"))["rooms"][0]["members"], 2);

  // B dies without a word: its members leave within the lease (1 s here, 20 s by default),
  // each leave said once although every other instance notices.
  ASSERT_FALSE(b.stop(SIGKILL).has_value());
  ASSERT_TRUE(wait_until([&] { return member_names(a, "lobby") == std::vector<std::string>{"alice"}; }, 10s))
      << ::testing::PrintToString(member_names(a, "lobby")) << "\n" << a.log() << "\ninstances: "
      << redis.command({"ZRANGE", "pollchat:instances", "0", "-1", "WITHSCORES"}) << "\nkeys: "
      << redis.command({"KEYS", "*"});
  const auto history = json_of(get(a, "/chat?since=0&timeout=0&format=json"));
  EXPECT_EQ(count_of(history, "join", "alice"), 1U);
  EXPECT_EQ(count_of(history, "join", "bob"), 1U);
  EXPECT_EQ(count_of(history, "leave", "bob"), 1U);
  EXPECT_EQ(count_of(history, "leave", "alice"), 0U);
}

TEST(Redis, RefusesBadSettingsAndWaitsForARedisThatIsNotThereYet) {
  {
    server_process bad({"--redis", "http://127.0.0.1:6379"});
    EXPECT_EQ(bad.wait_exit(), 2);
    EXPECT_NE(bad.log().find("--redis"), std::string::npos) << bad.log();
  }
  {
    char dir[] = "/tmp/pollchat-redis-dd-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    server_process both({"--redis", "redis://127.0.0.1:1", "--data-dir", dir});
    EXPECT_EQ(both.wait_exit(), 2);
    EXPECT_NE(both.log().find("exclude each other"), std::string::npos) << both.log();
    std::filesystem::remove_all(dir);
  }
  redis_process redis;
  ASSERT_TRUE(redis.running());
  redis.stop();
  server_process early(on(redis));
  ASSERT_TRUE(early.started());  // listens although Redis is not there
  EXPECT_FALSE(healthy(early));
  EXPECT_EQ(post(early, "/chat", form_body("too early"))->result_int(), 503);
  EXPECT_TRUE(early.wait_for_log("unreachable"));
  ASSERT_TRUE(redis.start());
  ASSERT_TRUE(wait_until([&] { return healthy(early); }, 15s));
  EXPECT_EQ(post(early, "/chat", form_body("now"))->result_int(), 200);
}

}  // namespace
}  // namespace pollchat::testing
