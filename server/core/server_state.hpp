#pragma once
// What every connection of one server shares. Each member is thread-safe on its own.

#include <atomic>
#include <cstddef>
#include <string>

#include "core/config.hpp"
#include "core/memory_budget.hpp"
#include "core/metrics.hpp"
#include "core/rate_limiter.hpp"
#include "core/room_registry.hpp"

namespace pollchat {

struct server_state {
  explicit server_state(config c);

  const config settings;
  const std::string epoch;  // names this run's id sequence
  memory_budget memory;     // every message and Idempotency-Key; before the rooms that charge it
  room_registry rooms;
  rate_limiter post_limiter;
  metrics counters;
  std::atomic<bool> draining{false};  // set once on SIGTERM/SIGINT
  std::atomic<std::size_t> connections_open{0};  // HTTP and TCP
  std::atomic<std::size_t> tcp_clients{0};
};

// 16 random hex digits.
std::string make_epoch();

}  // namespace pollchat
