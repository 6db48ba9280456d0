#pragma once
// When a connection has waited too long (idle, a slow request, a slow reader, lingering).
//
// A connection only writes its deadline; the server's sweep reads every connection's a few times
// a second and closes those past it. A timer armed and cancelled around every read and write
// (Beast's tcp_stream) cost a woken poll or a post several scheduler round trips; this costs a
// clock read and a store. Written on the connection's strand, read by the sweep: hence atomic.

#include <atomic>
#include <chrono>
#include <limits>

namespace pollchat {

class deadline {
 public:
  using clock = std::chrono::steady_clock;

  void expires_after(clock::duration d) {
    at_.store((clock::now() + d).time_since_epoch().count(), std::memory_order_relaxed);
  }
  void clear() { at_.store(never, std::memory_order_relaxed); }
  // Brings the deadline forward to `d` from now; one already sooner stays. (Written only on the
  // connection's strand, like the others: a load and a store suffice.)
  void shorten_to(clock::duration d) {
    const clock::rep at = (clock::now() + d).time_since_epoch().count();
    if (at < at_.load(std::memory_order_relaxed)) {
      at_.store(at, std::memory_order_relaxed);
    }
  }
  bool passed(clock::time_point now) const {
    return at_.load(std::memory_order_relaxed) <= now.time_since_epoch().count();
  }

 private:
  static constexpr clock::rep never = std::numeric_limits<clock::rep>::max();
  std::atomic<clock::rep> at_{never};
};

}  // namespace pollchat
