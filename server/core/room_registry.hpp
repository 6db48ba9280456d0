#pragma once
// Every room of the server by name, bounded by --max-rooms, and the memory they hold together.
//
//  * Rooms are kept in name order, so GET /rooms reads a page after a name without sorting.
//  * A room that never had a message, with nobody in it and nothing parked, is removed after
//    --room-expiry seconds without a request naming it (expire_rooms()); the lobby never is.
//    Rooms with messages stay: their ids must never be reused within an epoch.
//  * The memory budget (memory_budget.hpp) calls relieve() when the messages and keys of every
//    room together pass --max-history-bytes: the largest histories lose their oldest messages
//    first.
//  * Rooms whose HTTP members must be expired are tracked apart (watch_members()), so the
//    once-a-second presence sweep visits those, not every room.

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/memory_budget.hpp"
#include "core/room.hpp"

namespace pollchat {

class room_registry {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr std::string_view lobby = "lobby";

  // `limits.budget`, when set, must outlive the registry.
  room_registry(std::size_t max_rooms, const room_limits& limits,
                clock::duration room_expiry = std::chrono::minutes(10));
  room_registry(std::size_t max_rooms, std::size_t history_capacity);
  ~room_registry();

  // The room, or nullptr when it does not exist. Thread-safe.
  std::shared_ptr<room> find(std::string_view name) const;

  // The room, created when missing; nullptr when --max-rooms rooms exist already. Thread-safe.
  std::shared_ptr<room> find_or_create(std::string_view name);

  // Every room, sorted by name. Thread-safe.
  std::vector<std::shared_ptr<room>> list() const;

  // Up to `limit` rooms whose names sort after `after` (all when empty), in name order; `more`
  // tells whether rooms follow the page. Thread-safe.
  std::vector<std::shared_ptr<room>> page(std::string_view after, std::size_t limit,
                                          bool& more) const;

  // Closes every room, now and any created later (shutdown). Thread-safe.
  void close_all();

  std::size_t size() const;

  // Called, outside the lock, for every room find_or_create() makes (a durable store records
  // it). Set once before the server serves.
  void on_create(std::function<void(const std::shared_ptr<room>&)> hook) { on_create_ = std::move(hook); }

  // Removes the rooms that expired (see above); returns how many. Thread-safe.
  std::size_t expire_rooms(clock::time_point now);

  // Presence: `r` has HTTP members to expire; expire_members() visits it until it has none.
  void watch_members(std::shared_ptr<room> r);
  // Each HTTP member idle past `grace` leaves: `emit_leave` hands its leave to the store.
  void expire_members(std::chrono::steady_clock::duration grace,
                      const std::function<void(const std::shared_ptr<room>&, message_draft)>& emit_leave);

  // Drops Idempotency-Keys past their ten minutes in every room. Thread-safe.
  void expire_keys(clock::time_point now);

  // The memory budget's relief: sheds the oldest messages of the rooms holding the most until
  // the budget is under its low-water mark, then, if it must, forgets keys. Thread-safe.
  void relieve();

 private:
  struct entry {
    std::shared_ptr<room> r;
    clock::time_point last_named;  // the last request that looked it up
  };
  std::vector<std::shared_ptr<room>> snapshot() const;

  std::function<void(const std::shared_ptr<room>&)> on_create_;  // set before serving
  const std::size_t max_rooms_;
  const room_limits limits_;
  const clock::duration room_expiry_;
  mutable std::mutex mutex_;
  // guarded by mutex_; `last_named` is written by lookups, which are logically const
  mutable std::map<std::string, entry, std::less<>> rooms_;
  bool closed_ = false;  // guarded by mutex_

  std::mutex watched_mutex_;
  std::map<std::string, std::shared_ptr<room>, std::less<>> watched_;  // guarded by watched_mutex_
};

}  // namespace pollchat
