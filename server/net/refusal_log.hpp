#pragma once
// Refusals an operator should know about (SPEC §6): a new room refused because --max-rooms are
// in use, a connection refused because --max-connections are open. A client sees its own 429 or
// 503; without a log line the operator would see nothing. Each kind is logged at most once a
// minute, and the line says how many were refused since the last one, so a flood of refusals
// cannot flood the log.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string_view>

namespace pollchat {

// Lets through one event per interval and counts the ones it held back. Thread-safe.
class log_gate {
 public:
  using clock = std::chrono::steady_clock;

  explicit log_gate(clock::duration interval) : interval_(interval) {}

  // When a line is due: how many events it stands for (this one and those held back since the
  // last line). Otherwise 0, and the event is counted for the next line.
  std::uint64_t admit(clock::time_point now);

 private:
  const clock::duration interval_;
  std::mutex mutex_;
  bool logged_once_ = false;   // guarded by mutex_
  clock::time_point next_;     // guarded by mutex_: the earliest time of the next line
  std::uint64_t held_ = 0;     // guarded by mutex_: events since the last line
};

enum class refusal { rooms_full, connections_full };

// Logs a warning for `kind` when its gate lets it through. `limit` is the bound that was hit.
void log_refusal(refusal kind, std::size_t limit);

}  // namespace pollchat
