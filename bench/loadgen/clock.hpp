#pragma once
// One steady clock for the whole load generator: posters stamp messages with it and pollers
// read it on receipt; they share a process, so the difference is a true delivery latency.

#include <chrono>
#include <cstdint>

namespace pollchat::bench {

inline std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace pollchat::bench
