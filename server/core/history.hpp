#pragma once
// The newest messages of one room, in id order, within a count and a byte bound. Not
// thread-safe: the room's mutex guards it. It is the piece a persistent store would sit behind
// (append, then read after a cursor).
//
// The newest message is always kept, whatever the bounds: a room that has messages retains at
// least one, so `oldest_id()` tells readers how much they missed.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <vector>

#include "core/message.hpp"

namespace pollchat {

class history {
 public:
  static constexpr std::size_t unlimited = std::numeric_limits<std::size_t>::max();

  explicit history(std::size_t capacity, std::size_t max_bytes = unlimited)
      : capacity_(capacity), max_bytes_(max_bytes) {}

  // Appends a message whose id is one past the newest; drops the oldest beyond the count or the
  // byte bound.
  void append(message_ptr m);

  // Drops the oldest messages (never the newest) until `bytes` were dropped or one is left;
  // returns the bytes dropped.
  std::size_t shed(std::size_t bytes);

  // Up to `limit` messages with id > cursor, oldest first.
  std::vector<message_ptr> after(std::uint64_t cursor, std::size_t limit) const;

  // The id of the oldest retained message, 0 when none is retained.
  std::uint64_t oldest_id() const { return messages_.empty() ? 0 : messages_.front()->id; }
  std::uint64_t newest_id() const { return messages_.empty() ? 0 : messages_.back()->id; }
  std::size_t size() const { return messages_.size(); }
  // What the retained messages hold, as charged to the memory budget.
  std::size_t bytes() const { return bytes_; }

  // Forgets every message (a new epoch, or a gap too old to fill).
  void clear() { messages_.clear(); }

 private:
  void drop_oldest();

  std::size_t capacity_;
  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  std::deque<message_ptr> messages_;  // contiguous ids: messages_[k]->id == oldest_id() + k
};

}  // namespace pollchat
