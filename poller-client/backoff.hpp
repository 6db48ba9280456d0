#pragma once
// Reconnect delays (SPEC §7): 100 ms doubling up to 5 s, with jitter so that every client of a
// restarted server does not come back in the same millisecond.

#include <chrono>
#include <cstdint>
#include <random>

namespace pollchat::client {

class backoff {
 public:
  using duration = std::chrono::milliseconds;

  explicit backoff(duration first = duration(100), duration cap = duration(5000),
                   std::uint64_t seed = std::random_device{}());

  // The wait before the next attempt: a random point in the upper half of the current step
  // ([step/2, step]); the step then doubles, up to the cap.
  duration next();

  // Back to the first step after a success.
  void reset() { step_ = first_; }

 private:
  duration first_;
  duration cap_;
  duration step_;
  std::mt19937_64 random_;
};

}  // namespace pollchat::client
