#include "net/refusal_log.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <string>

namespace pollchat {

std::uint64_t log_gate::admit(clock::time_point now) {
  const std::lock_guard lock(mutex_);
  ++held_;
  if (logged_once_ && now < next_) {
    return 0;
  }
  logged_once_ = true;
  next_ = now + interval_;
  const std::uint64_t count = held_;
  held_ = 0;
  return count;
}

namespace {

constexpr auto refusal_log_interval = std::chrono::minutes(1);

// One gate per kind for the whole process: a server is one process.
log_gate& gate(refusal kind) {
  static log_gate rooms(refusal_log_interval);
  static log_gate connections(refusal_log_interval);
  return kind == refusal::rooms_full ? rooms : connections;
}

}  // namespace

void log_refusal(refusal kind, std::size_t limit) {
  const std::uint64_t count = gate(kind).admit(log_gate::clock::now());
  if (count == 0) {
    return;
  }
  // Later lines also count the refusals held back since the previous one.
  const char* what = kind == refusal::rooms_full ? "new rooms" : "connections";
  const char* flag = kind == refusal::rooms_full ? "--max-rooms" : "--max-connections";
  const std::string held =
      count > 1 ? fmt::format("; {} refused since the last such line", count) : std::string();
  spdlog::warn("refusing {}: all {} allowed by {} are in use{} (logged at most once a minute)",
               what, limit, flag, held);
}

}  // namespace pollchat
