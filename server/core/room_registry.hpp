#pragma once
// Every room of the server by name, bounded by --max-rooms. Rooms live as long as the server.

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/room.hpp"

namespace pollchat {

class room_registry {
 public:
  static constexpr std::string_view lobby = "lobby";

  room_registry(std::size_t max_rooms, std::size_t history_capacity);

  // The room, or nullptr when it does not exist. Thread-safe.
  std::shared_ptr<room> find(std::string_view name) const;

  // The room, created when missing; nullptr when --max-rooms rooms exist already. Thread-safe.
  std::shared_ptr<room> find_or_create(std::string_view name);

  // Every room, sorted by name. Thread-safe.
  std::vector<std::shared_ptr<room>> list() const;

  // Closes every room, now and any created later (shutdown). Thread-safe.
  void close_all();

  std::size_t size() const;

  // Called, outside the lock, for every room find_or_create() makes (a durable store records
  // it). Set once before the server serves.
  void on_create(std::function<void(const std::shared_ptr<room>&)> hook) { on_create_ = std::move(hook); }

 private:
  std::function<void(const std::shared_ptr<room>&)> on_create_;  // set before serving
  const std::size_t max_rooms_;
  const std::size_t history_capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<room>> rooms_;  // guarded by mutex_
  bool closed_ = false;                                           // guarded by mutex_
};

}  // namespace pollchat
