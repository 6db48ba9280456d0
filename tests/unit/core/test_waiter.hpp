#pragma once
// A room waiter for tests: counts notifications and lets a thread block until one arrives.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "core/room.hpp"

namespace pollchat::testing {

class test_waiter : public room_waiter {
 public:
  explicit test_waiter(std::shared_ptr<room> parked_in = nullptr) : room_(std::move(parked_in)) {}
  ~test_waiter() override {
    if (room_) room_->cancel_wait(*this);  // the contract every waiter keeps
  }

  void notify() override {
    {
      const std::lock_guard lock(mutex_);
      pending_ = true;
    }
    notifications.fetch_add(1);
    cv_.notify_all();
  }

  // True when a notification arrived (or was pending) within the timeout; consumes it.
  bool wait_for(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    const bool got = cv_.wait_for(lock, timeout, [&] { return pending_; });
    pending_ = false;
    return got;
  }

  std::atomic<int> notifications{0};

 private:
  std::shared_ptr<room> room_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool pending_ = false;
};

}  // namespace pollchat::testing
