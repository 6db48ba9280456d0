// The barrier under real concurrency (run under ThreadSanitizer by scripts/test): readers on
// several threads park and re-poll while posters on others post; no reader may miss a
// message that was there, see one twice, or sleep through a post.

#include <gtest/gtest.h>

#include <thread>

#include "core/room.hpp"
#include "test_waiter.hpp"

namespace pollchat {
namespace {

using testing::test_waiter;
using namespace std::chrono_literals;

struct reader_result {
  std::uint64_t received = 0;
  std::string failure;
};

reader_result read_everything(const std::shared_ptr<room>& r, std::uint64_t total) {
  reader_result result;
  auto waiter = std::make_shared<test_waiter>(r);
  std::uint64_t cursor = 0;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (cursor < total && std::chrono::steady_clock::now() < deadline) {
    const poll_outcome out = r->poll(cursor, 7, waiter);
    if (out.state == poll_state::ready) {
      for (const auto& m : out.messages.messages) {
        if (m->id != cursor + 1) {
          result.failure = "expected id " + std::to_string(cursor + 1) + ", got " + std::to_string(m->id);
          return result;
        }
        cursor = m->id;
        ++result.received;
      }
      continue;
    }
    if (!waiter->wait_for(5s) && r->last_id() > cursor) {
      result.failure = "lost wake-up: parked at " + std::to_string(cursor) + " while the room has " +
                       std::to_string(r->last_id());
      return result;
    }
  }
  return result;
}

}  // namespace

TEST(RoomThreads, NoReaderMissesOrRepeatsAMessageUnderConcurrentPosts) {
  constexpr int posters = 4;
  constexpr int per_poster = 500;
  constexpr int readers = 8;
  constexpr std::uint64_t total = posters * per_poster;
  auto r = std::make_shared<room>("lobby", total);

  std::vector<reader_result> results(readers);
  std::vector<std::thread> threads;
  for (int k = 0; k < readers; ++k) {
    threads.emplace_back([&, k] { results[static_cast<std::size_t>(k)] = read_everything(r, total); });
  }
  for (int p = 0; p < posters; ++p) {
    threads.emplace_back([&] {
      for (int k = 0; k < per_poster; ++k) {
        r->post({message_type::message, "poster", "m"});
        if (k % 50 == 0) std::this_thread::yield();
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  for (const auto& result : results) {
    EXPECT_EQ(result.failure, "");
    EXPECT_EQ(result.received, total);
  }
  EXPECT_EQ(r->parked(), 0u);
}

TEST(RoomThreads, CancelRacingWithPostNeverLeavesAStaleEntry) {
  auto r = std::make_shared<room>("lobby", 100);
  std::atomic<bool> stop{false};
  std::thread poster([&] {
    for (int k = 0; k < 2000 && !stop; ++k) {
      r->post({message_type::message, "p", "m"});
    }
  });
  std::vector<std::thread> parkers;
  for (int t = 0; t < 4; ++t) {
    parkers.emplace_back([&] {
      for (int k = 0; k < 2000; ++k) {
        auto w = std::make_shared<test_waiter>(r);
        r->poll(r->last_id(), 10, w);
        if (k % 2 == 0) r->cancel_wait(*w);
      }  // each waiter's destructor leaves the room
    });
  }
  for (auto& t : parkers) t.join();
  stop = true;
  poster.join();
  EXPECT_EQ(r->parked(), 0u);
}

}  // namespace pollchat
