#pragma once
// One budget for the memory that clients can make the server hold: every message alive
// (retained in a history, remembered under an Idempotency-Key, or in an answer being written)
// and every remembered key. A message is charged when it is made and released when its last
// holder lets go, so the figure is what is really held, wherever it is held.
//
// Past the limit, whoever pushed it over calls relieve() once its own locks are released; the
// handler (the room registry) sheds the oldest messages of the largest rooms until the budget is
// back under its low-water mark. Thread-safe throughout.

#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <utility>

namespace pollchat {

class memory_budget {
 public:
  explicit memory_budget(std::size_t limit) : limit_(limit) {}
  memory_budget(const memory_budget&) = delete;
  memory_budget& operator=(const memory_budget&) = delete;

  void charge(std::size_t bytes) { used_.fetch_add(bytes, std::memory_order_relaxed); }
  void release(std::size_t bytes) {
    used_.fetch_sub(bytes, std::memory_order_relaxed);
    released_.fetch_add(bytes, std::memory_order_relaxed);
  }

  std::size_t used() const { return used_.load(std::memory_order_relaxed); }
  std::size_t limit() const { return limit_; }
  // What a relief aims for: 90 % of the limit, so that it runs once per tenth of the budget
  // posted rather than once per post.
  std::size_t low_water() const { return limit_ / 10 * 9; }
  bool over() const { return used() > limit_; }

  // Set once, before any message is charged (the registry, at construction).
  void on_over(std::function<void()> handler) { handler_ = std::move(handler); }

  // Calls the handler when the budget is over its limit. Must be called with no room locked.
  // One relief at a time: a caller that finds one running leaves it to finish the job.
  void relieve() {
    if (!over() || !handler_) {
      return;
    }
    const std::unique_lock running(relief_, std::try_to_lock);
    if (running.owns_lock()) {
      handler_();
    }
  }

  // Bytes released since the last call (the sweep returns memory to the system past a
  // threshold).
  std::size_t take_released() { return released_.exchange(0, std::memory_order_relaxed); }

 private:
  const std::size_t limit_;
  std::atomic<std::size_t> used_{0};
  std::atomic<std::size_t> released_{0};
  std::function<void()> handler_;  // set before use, then only read
  std::mutex relief_;
};

// One holder's share of a budget, given back when the holder goes (a message, a remembered key).
// Movable, not copyable; an empty charge (no budget) costs nothing.
class memory_charge {
 public:
  memory_charge() = default;
  memory_charge(memory_budget* budget, std::size_t bytes) : budget_(budget), bytes_(bytes) {
    if (budget_) budget_->charge(bytes_);
  }
  memory_charge(memory_charge&& other) noexcept
      : budget_(std::exchange(other.budget_, nullptr)), bytes_(other.bytes_) {}
  memory_charge& operator=(memory_charge&& other) noexcept {
    if (this != &other) {
      reset();
      budget_ = std::exchange(other.budget_, nullptr);
      bytes_ = other.bytes_;
    }
    return *this;
  }
  memory_charge(const memory_charge&) = delete;
  memory_charge& operator=(const memory_charge&) = delete;
  ~memory_charge() { reset(); }

  std::size_t bytes() const { return bytes_; }

 private:
  void reset() {
    if (budget_) budget_->release(bytes_);
    budget_ = nullptr;
  }
  memory_budget* budget_ = nullptr;
  std::size_t bytes_ = 0;
};

}  // namespace pollchat
