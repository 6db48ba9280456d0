#pragma once
// Remembers, per room, which message each Idempotency-Key stored during the last ten minutes, so
// a retried post answers the first message instead of storing a second one. Bounded: past
// `capacity` keys the oldest is forgotten early. Not thread-safe: the room's mutex guards it.

#include <chrono>
#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/message.hpp"

namespace pollchat {

class idempotency_cache {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr auto default_ttl = std::chrono::minutes(10);

  explicit idempotency_cache(std::size_t capacity = 10000,
                             clock::duration ttl = default_ttl)
      : capacity_(capacity), ttl_(ttl) {}

  // The message stored under `key` within the ttl, or nullptr.
  message_ptr find(std::string_view key, clock::time_point now);
  void remember(std::string key, message_ptr m, clock::time_point now);
  std::size_t size() const { return by_key_.size(); }

 private:
  struct entry {
    message_ptr message;
    clock::time_point stored;
  };
  void expire(clock::time_point now);

  std::size_t capacity_;
  clock::duration ttl_;
  std::unordered_map<std::string, entry> by_key_;
  std::deque<std::string> order_;  // keys, oldest first, for expiry
};

}  // namespace pollchat
