#pragma once
// Remembers, per room, which message each Idempotency-Key stored during the last ten minutes, so
// a retried post answers the first message instead of storing a second one. Not thread-safe:
// the room's mutex guards it.
//
// What it holds, and its bounds:
//  * per key, the key (twice: in the table and in the expiry order) and a shared pointer to the
//    message, which the room's history holds anyway while it is retained: no copy;
//  * at most `capacity` keys: past it the oldest is forgotten early;
//  * keys older than the ttl are dropped by expire(), which the server's sweep calls even when
//    the room gets no more keyed posts;
//  * every key is charged to the memory budget; under memory pressure the budget's relief first
//    forgets the keys whose messages the history no longer retains (forget_before()), since
//    those pin memory nothing else needs.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/memory_budget.hpp"
#include "core/message.hpp"

namespace pollchat {

class idempotency_cache {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr auto default_ttl = std::chrono::minutes(10);
  static constexpr std::size_t default_capacity = 10000;

  explicit idempotency_cache(std::size_t capacity = default_capacity,
                             clock::duration ttl = default_ttl, memory_budget* budget = nullptr)
      : capacity_(capacity), ttl_(ttl), budget_(budget) {}

  // The message stored under `key` within the ttl, or nullptr.
  message_ptr find(std::string_view key, clock::time_point now);
  void remember(std::string key, message_ptr m, clock::time_point now);

  // Drops the keys older than the ttl.
  void expire(clock::time_point now);
  // Drops the keys whose message has an id below `id`, oldest first; returns how many.
  std::size_t forget_before(std::uint64_t id);
  // Drops every key (the last resort of a memory relief); returns how many.
  std::size_t forget_all();

  std::size_t size() const { return by_key_.size(); }

 private:
  struct entry {
    message_ptr message;
    clock::time_point stored;
    memory_charge charge;  // the key's own bytes
  };
  // Pops the oldest key: its entry when the order and the table agree (always, as remember()
  // never re-inserts a live key).
  void pop_oldest();

  std::size_t capacity_;
  clock::duration ttl_;
  memory_budget* budget_;
  std::unordered_map<std::string, entry> by_key_;
  std::deque<std::string> order_;  // keys, oldest first, for expiry
};

}  // namespace pollchat
