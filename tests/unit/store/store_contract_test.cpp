// The contract every message store keeps, run against each of them (memory, SQLite): ids 1, 2,
// 3, ... per room with no gap under concurrent appends, a message visible in its room once its
// append is answered and not before, a waiter woken by it, a repeated Idempotency-Key answered
// with the first message and nothing stored.

#include <atomic>
#include <functional>
#include <memory>
#include <set>
#include <thread>

#include "../core/test_waiter.hpp"
#include "store/memory/memory_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store_fixture.hpp"

namespace pollchat::testing {
namespace {

using namespace std::chrono_literals;

struct store_kind {
  const char* name;
  bool durable;
};

void PrintTo(const store_kind& kind, std::ostream* out) { *out << kind.name; }

class StoreContract : public ::testing::TestWithParam<store_kind> {
 protected:
  void SetUp() override {
    if (GetParam().durable) {
      std::string error;
      auto opened = sqlite_store::open(settings_for(dir_.path() + "/data"), error);
      ASSERT_TRUE(opened) << error;
      opened->take_loaded();
      opened->start();
      store_ = std::move(opened);
    } else {
      store_ = std::make_unique<memory_store>();
    }
  }
  void TearDown() override {
    if (store_) store_->close();
  }

  scratch_dir dir_;
  std::unique_ptr<message_store> store_;
};

TEST_P(StoreContract, NumbersMessagesOneTwoThreeAndPublishesThem) {
  auto r = std::make_shared<room>("lobby", 100);
  for (int k = 1; k <= 3; ++k) {
    const auto result = append_and_wait(*store_, r, text("m" + std::to_string(k)));
    ASSERT_FALSE(result.failed);
    EXPECT_EQ(result.message->id, static_cast<std::uint64_t>(k));
    // Answered means visible: the room holds it already.
    EXPECT_EQ(r->last_id(), static_cast<std::uint64_t>(k));
  }
  const auto all = r->read(0, 10);
  ASSERT_EQ(all.messages.size(), 3u);
  EXPECT_EQ(all.messages[2]->body, "m3");
  EXPECT_EQ(all.messages[2]->room, "lobby");
}

TEST_P(StoreContract, RepeatedKeyAnswersTheFirstMessageAndStoresNothing) {
  auto r = std::make_shared<room>("lobby", 100);
  const auto first = append_and_wait(*store_, r, text("once"), "key-1");
  const auto again = append_and_wait(*store_, r, text("twice"), "key-1");
  ASSERT_FALSE(first.failed);
  ASSERT_FALSE(again.failed);
  EXPECT_FALSE(first.repeated);
  EXPECT_TRUE(again.repeated);
  EXPECT_EQ(again.message->id, first.message->id);
  EXPECT_EQ(again.message->body, "once");
  EXPECT_EQ(r->last_id(), 1u);
}

TEST_P(StoreContract, RepeatedKeyInOneBatchStoresOnce) {
  auto r = std::make_shared<room>("lobby", 100);
  auto client = std::make_shared<recording_client>();
  std::vector<append_result> inline_results;
  for (int k = 0; k < 5; ++k) {
    if (auto done = store_->append(r, text("same"), "k", client)) inline_results.push_back(*done);
  }
  auto results = client->wait_for(5 - inline_results.size());
  results.insert(results.end(), inline_results.begin(), inline_results.end());
  ASSERT_EQ(results.size(), 5u);
  for (const auto& res : results) {
    ASSERT_FALSE(res.failed);
    EXPECT_EQ(res.message->id, 1u);
  }
  EXPECT_EQ(r->last_id(), 1u);
}

TEST_P(StoreContract, WakesAParkedWaiterWithTheMessageReadable) {
  auto r = std::make_shared<room>("lobby", 100);
  auto waiter = std::make_shared<test_waiter>(r);
  ASSERT_EQ(r->poll(0, 10, waiter).state, poll_state::parked);
  append_and_wait(*store_, r, text("wake"));
  ASSERT_TRUE(waiter->wait_for(5s));
  const auto out = r->poll(0, 10, waiter);
  ASSERT_EQ(out.state, poll_state::ready);
  EXPECT_EQ(out.messages.messages.at(0)->body, "wake");
}

TEST_P(StoreContract, ConcurrentAppendersGetEveryIdOnceWithNoGap) {
  auto r = std::make_shared<room>("lobby", 10000);
  constexpr int threads = 4;
  constexpr int per_thread = 50;
  std::vector<std::thread> posters;
  std::mutex mutex;
  std::multiset<std::uint64_t> ids;
  for (int t = 0; t < threads; ++t) {
    posters.emplace_back([&, t] {
      auto client = std::make_shared<recording_client>();
      std::vector<append_result> got;
      for (int k = 0; k < per_thread; ++k) {
        if (auto done = store_->append(r, text(std::to_string(t)), {}, client)) got.push_back(*done);
      }
      auto later = client->wait_for(per_thread - got.size());
      got.insert(got.end(), later.begin(), later.end());
      const std::lock_guard lock(mutex);
      for (const auto& res : got) {
        if (!res.failed) ids.insert(res.message->id);
      }
    });
  }
  for (auto& p : posters) p.join();
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(threads * per_thread));
  std::uint64_t expected = 1;
  for (const auto id : ids) EXPECT_EQ(id, expected++);  // each id once, none skipped
  EXPECT_EQ(r->last_id(), static_cast<std::uint64_t>(threads * per_thread));
}

TEST_P(StoreContract, RoomsNumberIndependently) {
  auto a = std::make_shared<room>("a", 100);
  auto b = std::make_shared<room>("b", 100);
  EXPECT_EQ(append_and_wait(*store_, a, text("a1")).message->id, 1u);
  EXPECT_EQ(append_and_wait(*store_, b, text("b1")).message->id, 1u);
  EXPECT_EQ(append_and_wait(*store_, a, text("a2")).message->id, 2u);
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreContract,
                         ::testing::Values(store_kind{"Memory", false}, store_kind{"Sqlite", true}),
                         [](const auto& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace pollchat::testing
