// One client is one member across instances on one real redis-server (SPEC §4, §9): a client
// whose polls land on A, then B, then A (a round-robin balancer) joins once, is listed once
// everywhere, and leaves once: at its presence grace after it stops polling everywhere, at once
// when it asks to leave on any instance, and never because one instance died while another
// still serves it.

#include <signal.h>

#include <algorithm>
#include <map>
#include <thread>

#include "integration.hpp"
#include "redis_process.hpp"

namespace pollchat::testing {
namespace {

// A short presence grace (2 s) and lease (1 s), so that leaves come within a test's patience.
std::vector<std::string> instance_args(const redis_process& redis) {
  return {"--redis", redis.url(), "--post-rate", "0", "--presence-grace", "2"};
}
const std::map<std::string, std::string> short_lease{{"CHAT_TEST_REDIS_LEASE_MS", "1000"}};

// One poll of `client` (named `name`) in `room` that answers at once: what a client does between
// its parked polls, and enough to make it a member where it lands.
bool poll_as(const server_process& s, const std::string& room, const std::string& client,
             const std::string& name) {
  const auto res =
      get(s, "/chat/" + room + "?format=json&timeout=0&since=0&client=" + client + "&name=" + name);
  return res && res->result_int() == 200;
}

// The names /rooms/<room> lists on `s` (a name twice if listed twice).
std::vector<std::string> listed(const server_process& s, const std::string& room) {
  std::vector<std::string> names;
  const auto doc = json_of(get(s, "/rooms/" + room));
  // A room the instance does not know yet answers 404 (an error object): nobody listed.
  if (doc.is_object() && doc.contains("members")) {
    for (const auto& m : doc["members"])
      names.push_back(m["name"]);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The member count /rooms gives for `room` on `s` (-1: not listed).
long long counted(const server_process& s, const std::string& room) {
  const auto doc = json_of(get(s, "/rooms"));
  if (doc.is_object() && doc.contains("rooms")) {
    for (const auto& r : doc["rooms"]) {
      if (r["room"] == room)
        return r["members"].get<long long>();
    }
  }
  return -1;
}

// How many joins and leaves of `name` the room's history holds, read on `s`.
struct said {
  std::size_t joins = 0;
  std::size_t leaves = 0;
  bool operator==(const said&) const = default;
};
void PrintTo(const said& s, std::ostream* out) {
  *out << s.joins << " join(s), " << s.leaves << " leave(s)";
}
said presence_of(const server_process& s, const std::string& room, const std::string& name) {
  said out;
  const auto doc = json_of(get(s, "/chat/" + room + "?since=0&timeout=0&format=json&limit=1000"));
  if (!doc.is_object() || !doc.contains("messages"))
    return {99, 99};  // an error: never what a test expects
  for (const auto& m : doc["messages"]) {
    if (m["from"] != name)
      continue;
    if (m["type"] == "join")
      ++out.joins;
    if (m["type"] == "leave")
      ++out.leaves;
  }
  return out;
}

// Polls as `client` on the instances in turn (a round-robin balancer) for `length`.
void hop(const std::vector<const server_process*>& on, const std::string& room,
         const std::string& client, const std::string& name, std::chrono::milliseconds length) {
  const auto until = std::chrono::steady_clock::now() + length;
  for (std::size_t i = 0; i < 200 && std::chrono::steady_clock::now() < until; ++i) {
    EXPECT_TRUE(poll_as(*on[i % on.size()], room, client, name));
    std::this_thread::sleep_for(150ms);
  }
}

class RedisPresence : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.running());
    a_ = std::make_unique<server_process>(instance_args(redis_), short_lease);
    b_ = std::make_unique<server_process>(instance_args(redis_), short_lease);
    ASSERT_TRUE(a_->started() && b_->started());
    ASSERT_TRUE(wait_until([&] { return healthy(*a_) && healthy(*b_); }, 10s));
  }

  std::string logs() const { return "A:\n" + a_->log() + "\nB:\n" + b_->log(); }

  redis_process redis_;
  std::unique_ptr<server_process> a_, b_;
};

TEST_F(RedisPresence, AClientWhosePollsHopInstancesJoinsOnceIsListedOnceAndLeavesOnce) {
  const std::vector<std::string> one{"hopper"};
  hop({a_.get(), b_.get()}, "hops", "c-hopper", "hopper", 1500ms);
  ASSERT_TRUE(
      wait_until([&] { return listed(*a_, "hops") == one && listed(*b_, "hops") == one; }, 5s))
      << ::testing::PrintToString(listed(*a_, "hops")) << " / "
      << ::testing::PrintToString(listed(*b_, "hops"));
  EXPECT_EQ(counted(*a_, "hops"), 1);
  EXPECT_EQ(counted(*b_, "hops"), 1);
  EXPECT_EQ(presence_of(*a_, "hops", "hopper"), (said{1, 0}));

  // It polls on B only, longer than A's presence grace: A lets go, B still serves it.
  hop({b_.get()}, "hops", "c-hopper", "hopper", 3500ms);
  EXPECT_EQ(presence_of(*a_, "hops", "hopper"), (said{1, 0}));
  EXPECT_EQ(listed(*a_, "hops"), one);
  EXPECT_EQ(listed(*b_, "hops"), one);

  // It stops: one leave, once the grace passed on the last instance that served it.
  ASSERT_TRUE(wait_until([&] { return presence_of(*a_, "hops", "hopper").leaves >= 1; }, 10s))
      << logs();
  std::this_thread::sleep_for(3s);  // past every instance's grace: no second leave comes
  EXPECT_EQ(presence_of(*a_, "hops", "hopper"), (said{1, 1}));
  EXPECT_EQ(presence_of(*b_, "hops", "hopper"), (said{1, 1}));
  EXPECT_TRUE(listed(*a_, "hops").empty());
  EXPECT_TRUE(listed(*b_, "hops").empty());
  EXPECT_EQ(redis_.command({"HLEN", "pollchat:room:hops:members"}), "0");
}

TEST_F(RedisPresence, AnExplicitLeaveOnAnotherInstanceIsSaidOnceEverywhere) {
  // "held" was served by both instances, last by A; "mirrored" only ever by A.
  ASSERT_TRUE(poll_as(*b_, "leaving", "c-held", "held"));
  ASSERT_TRUE(poll_as(*a_, "leaving", "c-held", "held"));
  ASSERT_TRUE(poll_as(*a_, "leaving", "c-mirrored", "mirrored"));
  const std::vector<std::string> both{"held", "mirrored"};
  ASSERT_TRUE(wait_until([&] { return listed(*b_, "leaving") == both; }, 5s))
      << ::testing::PrintToString(listed(*b_, "leaving"));

  for (const std::string client : {"c-held", "c-mirrored"}) {
    const auto res = post(*b_, "/rooms/leaving/leave?client=" + client, "");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->result_int(), 204);
  }
  ASSERT_TRUE(wait_until(
      [&] { return listed(*a_, "leaving").empty() && listed(*b_, "leaving").empty(); }, 5s))
      << ::testing::PrintToString(listed(*a_, "leaving"));
  std::this_thread::sleep_for(3500ms);  // past the grace on A and on B: nothing more is said
  for (const std::string name : {"held", "mirrored"}) {
    EXPECT_EQ(presence_of(*a_, "leaving", name), (said{1, 1})) << name << "\n" << logs();
    EXPECT_EQ(presence_of(*b_, "leaving", name), (said{1, 1})) << name;
  }
  EXPECT_TRUE(listed(*a_, "leaving").empty());
  EXPECT_EQ(redis_.command({"HLEN", "pollchat:room:leaving:members"}), "0");
}

TEST_F(RedisPresence, AnInstanceKilledWhileAnotherServesTheClientSaysNoLeave) {
  const std::vector<std::string> one{"survivor"};
  hop({a_.get(), b_.get()}, "killed", "c-survivor", "survivor", 1200ms);
  ASSERT_TRUE(wait_until([&] { return listed(*b_, "killed") == one; }, 5s));

  // A dies without a word while the client goes on polling on B: A's lease runs out (1 s) and
  // B sweeps it, but B serves the member still.
  ASSERT_FALSE(a_->stop(SIGKILL).has_value());
  hop({b_.get()}, "killed", "c-survivor", "survivor", 4s);
  EXPECT_EQ(presence_of(*b_, "killed", "survivor"), (said{1, 0})) << b_->log();
  EXPECT_EQ(listed(*b_, "killed"), one);
  EXPECT_EQ(counted(*b_, "killed"), 1);
  EXPECT_NE(b_->log().find("stopped renewing its lease"), std::string::npos) << b_->log();

  // Then it stops polling: its one leave.
  ASSERT_TRUE(wait_until([&] { return presence_of(*b_, "killed", "survivor").leaves >= 1; }, 10s));
  EXPECT_EQ(presence_of(*b_, "killed", "survivor"), (said{1, 1}));
}

// An instance stopped cleanly (SIGTERM, a rolling restart) lets go of its members: one that
// another instance still serves does not leave.
TEST_F(RedisPresence, AnInstanceStoppedCleanlyWhileAnotherServesTheClientSaysNoLeave) {
  const std::vector<std::string> one{"stayer"};
  hop({a_.get(), b_.get()}, "stopped", "c-stayer", "stayer", 1200ms);
  ASSERT_TRUE(wait_until([&] { return listed(*b_, "stopped") == one; }, 5s));
  ASSERT_EQ(a_->stop(SIGTERM), 0);
  hop({b_.get()}, "stopped", "c-stayer", "stayer", 1500ms);
  EXPECT_EQ(presence_of(*b_, "stopped", "stayer"), (said{1, 0})) << b_->log();
  EXPECT_EQ(listed(*b_, "stopped"), one);
}

// An instance that stands still past its lease (stopped by a signal here; a starved VM in life)
// is swept by the others, which let go of its holds; when it runs again it says them again, so
// that a client it still serves does not leave when the other instance's grace runs out.
TEST(RedisPresenceStall, AnInstanceSweptWhileItStoodStillHoldsItsMembersAgain) {
  redis_process redis;
  ASSERT_TRUE(redis.running());
  // A grace (4 s) longer than B's stall (2.5 s), which is longer than the lease (1 s): B keeps
  // the client as its member throughout, while A sweeps B's holds.
  std::vector<std::string> args{"--redis", redis.url(), "--post-rate", "0", "--presence-grace", "4"};
  server_process a(args, short_lease), b(args, short_lease);
  ASSERT_TRUE(wait_until([&] { return healthy(a) && healthy(b); }, 10s));
  const std::vector<std::string> one{"sleeper"};
  hop({&a, &b}, "stall", "c-sleeper", "sleeper", 1200ms);
  ASSERT_TRUE(poll_as(b, "stall", "c-sleeper", "sleeper"));
  ASSERT_TRUE(wait_until([&] { return listed(a, "stall") == one && listed(b, "stall") == one; }, 5s));

  ASSERT_EQ(::kill(b.pid(), SIGSTOP), 0);
  hop({&a}, "stall", "c-sleeper", "sleeper", 2500ms);
  ASSERT_EQ(::kill(b.pid(), SIGCONT), 0);
  ASSERT_NE(a.log().find("stopped renewing its lease"), std::string::npos) << a.log();

  // The client now polls only B, past A's grace: A lets go, and B must still hold it.
  hop({&b}, "stall", "c-sleeper", "sleeper", 6s);
  EXPECT_EQ(presence_of(a, "stall", "sleeper"), (said{1, 0})) << "A:\n" << a.log() << "\nB:\n" << b.log();
  EXPECT_EQ(listed(a, "stall"), one);
  EXPECT_EQ(listed(b, "stall"), one);
}

// An instance lets go of a member while Redis is away (its lapse is refused): once Redis is
// back, the instance says it, and nobody lists the member any longer.
TEST(RedisPresenceOutage, ALeaveRefusedWhileRedisWasAwayIsSaidWhenItIsBack) {
  redis_process redis({"--appendonly", "yes", "--appendfsync", "always"});
  ASSERT_TRUE(redis.running());
  // The default lease (20 s): nobody sweeps A during the outage, so only A can say the leave.
  server_process a(instance_args(redis)), b(instance_args(redis));
  ASSERT_TRUE(wait_until([&] { return healthy(a) && healthy(b); }, 10s));
  ASSERT_TRUE(poll_as(a, "away", "c-away", "away"));
  const std::vector<std::string> one{"away"};
  ASSERT_TRUE(wait_until([&] { return listed(b, "away") == one; }, 5s));

  redis.stop();  // SIGTERM: Redis keeps its AOF
  ASSERT_TRUE(wait_until([&] { return !healthy(a); }, 10s));
  std::this_thread::sleep_for(3500ms);  // past A's presence grace: its lapse is refused
  ASSERT_TRUE(redis.start());
  ASSERT_TRUE(wait_until([&] { return healthy(a) && healthy(b); }, 15s));
  ASSERT_TRUE(
      wait_until([&] { return listed(a, "away").empty() && listed(b, "away").empty(); }, 10s))
      << ::testing::PrintToString(listed(b, "away")) << "\n"
      << a.log();
  EXPECT_EQ(presence_of(b, "away", "away"), (said{1, 1}));
}

// A client that becomes a member while Redis is away (its join is refused, its later polls are
// answered from the instance's own copy) is joined once Redis is back: every instance lists it.
TEST(RedisPresenceOutage, AJoinRefusedWhileRedisWasAwayIsSaidWhenItIsBack) {
  redis_process redis({"--appendonly", "yes", "--appendfsync", "always"});
  ASSERT_TRUE(redis.running());
  server_process a(instance_args(redis)), b(instance_args(redis));
  ASSERT_TRUE(wait_until([&] { return healthy(a) && healthy(b); }, 10s));
  ASSERT_EQ(post(a, "/chat/late", "body=before")->result_int(), 200);  // the room exists

  redis.stop();
  ASSERT_TRUE(wait_until([&] { return !healthy(a); }, 10s));
  const auto refused = get(a, "/chat/late?format=json&timeout=0&since=0&client=c-late&name=late");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->result_int(), 503);
  for (int i = 0; i < 5; ++i) {  // it goes on polling: answered from A's own copy
    poll_as(a, "late", "c-late", "late");
    std::this_thread::sleep_for(300ms);
  }
  ASSERT_TRUE(redis.start());
  const std::vector<std::string> one{"late"};
  const bool listed_by_b = wait_until(
      [&] {
        poll_as(a, "late", "c-late", "late");
        return listed(b, "late") == one;
      },
      10s);
  ASSERT_TRUE(listed_by_b) << ::testing::PrintToString(listed(b, "late")) << "\n" << a.log();
  EXPECT_EQ(listed(a, "late"), one);
  EXPECT_EQ(presence_of(b, "late", "late"), (said{1, 0}));
}

}  // namespace
}  // namespace pollchat::testing
