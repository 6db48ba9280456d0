#pragma once
// The newest N messages of one room, in id order. Not thread-safe: the room's mutex guards it.
// It is the piece a persistent store would sit behind (append, then read after a cursor).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "core/message.hpp"

namespace pollchat {

class history {
 public:
  explicit history(std::size_t capacity) : capacity_(capacity) {}

  // Appends a message whose id is one past the newest; drops the oldest beyond capacity.
  void append(message_ptr m);

  // Up to `limit` messages with id > cursor, oldest first.
  std::vector<message_ptr> after(std::uint64_t cursor, std::size_t limit) const;

  // The id of the oldest retained message, 0 when none is retained.
  std::uint64_t oldest_id() const { return messages_.empty() ? 0 : messages_.front()->id; }
  std::uint64_t newest_id() const { return messages_.empty() ? 0 : messages_.back()->id; }
  std::size_t size() const { return messages_.size(); }

  // Forgets every message (a new epoch, or a gap too old to fill).
  void clear() { messages_.clear(); }

 private:
  std::size_t capacity_;
  std::deque<message_ptr> messages_;  // contiguous ids: messages_[k]->id == oldest_id() + k
};

}  // namespace pollchat
