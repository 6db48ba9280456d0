#pragma once
// What every connection of one server shares. Each member is thread-safe on its own.

#include <atomic>
#include <cstddef>
#include <string>

#include "core/config.hpp"
#include "core/epoch.hpp"
#include "core/memory_budget.hpp"
#include "core/metrics.hpp"
#include "core/rate_limiter.hpp"
#include "core/room_registry.hpp"

namespace pollchat {

class message_store;  // store/message_store.hpp: core only holds the pointer

struct server_state {
  // `epoch`: the store's, when it keeps one from an earlier run; empty: a new one.
  explicit server_state(config c, std::string epoch = {});

  const config settings;
  current_epoch epoch;  // names the id sequence; changes only behind Redis (§9). Thread-safe.
  // Where messages become durable; null: in memory (store_of() resolves it). Set once by the
  // server before it serves; the store it points to is thread-safe.
  message_store* store = nullptr;
  memory_budget memory;  // every message and Idempotency-Key; before the rooms that charge it
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
