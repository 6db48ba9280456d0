#include "poller-client/last_messages.hpp"

#include <algorithm>

namespace pollchat::client {

last_messages::last_messages(int n, std::int64_t newest, std::string epoch)
    : n_(static_cast<std::size_t>(std::max(n, 0))), epoch_(std::move(epoch)) {
  if (n_ == 0 || newest <= 0) {
    finish(std::max<std::int64_t>(newest, 0));
    return;
  }
  high_ = newest;
  low_ = std::max<std::int64_t>(0, high_ - window);
  cursor_ = low_;
}

poll_query last_messages::next_query() const {
  return poll_query{cursor_, epoch_, /*timeout=*/0, /*member=*/false, /*limit=*/window};
}

void last_messages::feed(const poll_answer& answer) {
  if (done_)
    return;
  if (answer.epoch != epoch_) {
    // The server restarted between two reads: its ids start again, and the answer is its new
    // history from the beginning; show that rather than search a history that is gone.
    epoch_ = answer.epoch;
    finish(0);
    return;
  }
  if (cursor_ == low_ && answer.missed > 0)
    older_gone_ = true;
  for (const auto& message : answer.messages) {
    if (message.id > high_)
      break;
    if (message.type == "message")
      window_ids_.push_back(message.id);
  }
  // The window is read once the answer reaches its end, or has nothing more to give.
  const bool window_read = answer.messages.empty() || answer.next >= high_ || answer.next <= cursor_;
  if (!window_read) {
    cursor_ = answer.next;
    return;
  }
  const std::size_t wanted = n_ - found_;
  if (window_ids_.size() >= wanted) {
    finish(window_ids_[window_ids_.size() - wanted] - 1);
    return;
  }
  if (low_ == 0 || older_gone_) {
    finish(low_);  // fewer than N messages in the whole history: all of it
    return;
  }
  found_ += window_ids_.size();
  window_ids_.clear();
  high_ = low_;
  low_ = std::max<std::int64_t>(0, high_ - window);
  cursor_ = low_;
}

void last_messages::finish(std::int64_t start) {
  done_ = true;
  start_ = start;
}

}  // namespace pollchat::client
