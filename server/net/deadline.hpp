#pragma once
// When a connection has waited too long (idle, a slow request, a slow reader, lingering).
//
// A connection only writes its deadline; the server's sweep reads every connection's a few times
// a second and closes those past it. A timer armed and cancelled around every read and write
// (Beast's tcp_stream) cost a woken poll or a post several scheduler round trips; this costs a
// clock read and a store.
// (The sweep's `now` is steady_clock, i.e. CLOCK_MONOTONIC, which the coarse clock follows.) Written on the connection's strand, read by the sweep: hence atomic.

#include <atomic>
#include <chrono>
#include <ctime>
#include <limits>
#include <type_traits>

namespace pollchat {

class deadline {
 public:
  using clock = std::chrono::steady_clock;

  void expires_after(clock::duration d) {
    at_.store(coarse_now() + d.count(), std::memory_order_relaxed);
  }
  void clear() { at_.store(never, std::memory_order_relaxed); }
  // Brings the deadline forward to `d` from now; one already sooner stays. (Written only on the
  // connection's strand, like the others: a load and a store suffice.)
  void shorten_to(clock::duration d) {
    const clock::rep at = coarse_now() + d.count();
    if (at < at_.load(std::memory_order_relaxed)) {
      at_.store(at, std::memory_order_relaxed);
    }
  }
  bool passed(clock::time_point now) const {
    return at_.load(std::memory_order_relaxed) <= now.time_since_epoch().count();
  }

 private:
  // A request moves its deadline several times; deadlines are whole seconds and the sweep
  // looks four times a second. So the deadline is set from the kernel's coarse monotonic clock
  // (the same clock as steady_clock, read at its last tick, at most a few milliseconds behind)
  // at a fifth of the cost of a precise read.
  static clock::rep coarse_now() {
    static_assert(std::is_same_v<clock::duration, std::chrono::nanoseconds>);
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return static_cast<clock::rep>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
  }

  static constexpr clock::rep never = std::numeric_limits<clock::rep>::max();
  std::atomic<clock::rep> at_{never};
};

}  // namespace pollchat
