#include "core/history.hpp"

#include <algorithm>

namespace pollchat {

void history::append(message_ptr m) {
  bytes_ += m->charge.bytes();
  messages_.push_back(std::move(m));
  while (messages_.size() > capacity_ || (bytes_ > max_bytes_ && messages_.size() > 1)) {
    drop_oldest();
  }
}

std::size_t history::shed(std::size_t bytes) {
  std::size_t dropped = 0;
  while (dropped < bytes && messages_.size() > 1) {
    dropped += messages_.front()->charge.bytes();
    drop_oldest();
  }
  return dropped;
}

void history::drop_oldest() {
  bytes_ -= messages_.front()->charge.bytes();
  messages_.pop_front();
}

std::vector<message_ptr> history::after(std::uint64_t cursor, std::size_t limit) const {
  std::vector<message_ptr> out;
  if (messages_.empty() || cursor >= newest_id()) {
    return out;
  }
  // Ids are contiguous, so the first message after the cursor is found by arithmetic.
  const std::uint64_t first = std::max(cursor + 1, oldest_id());
  const auto begin = static_cast<std::size_t>(first - oldest_id());
  const std::size_t count = std::min(limit, messages_.size() - begin);
  out.reserve(count);
  for (std::size_t k = begin; k < begin + count; ++k) {
    out.push_back(messages_[k]);
  }
  return out;
}

}  // namespace pollchat
