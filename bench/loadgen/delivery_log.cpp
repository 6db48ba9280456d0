#include "delivery_log.hpp"

#include <algorithm>

namespace pollchat::bench {

delivery_log::delivery_log(std::size_t pollers, std::size_t messages)
    : pollers_(pollers),
      messages_(messages),
      seen_(pollers * messages, 0),
      posted_(messages, 0),
      latency_(pollers * messages) {
  receipt_times_.reserve(pollers * messages);
}

void delivery_log::record(std::size_t poller, const stamp& s, std::int64_t received_ns) {
  if (poller >= pollers_ || s.seq < 0 || static_cast<std::size_t>(s.seq) >= messages_) {
    ++foreign_;
    return;
  }
  auto& cell = seen_[poller * messages_ + static_cast<std::size_t>(s.seq)];
  if (cell != 0) {
    ++duplicates_;
    return;
  }
  cell = 1;
  ++unique_;
  latency_.add(received_ns - s.sent_ns);
  receipt_times_.push_back(received_ns);
  last_received_ns_ = std::max(last_received_ns_, received_ns);
}

void delivery_log::mark_posted(std::int64_t seq) {
  if (seq < 0 || static_cast<std::size_t>(seq) >= messages_ ||
      posted_[static_cast<std::size_t>(seq)]) {
    return;
  }
  posted_[static_cast<std::size_t>(seq)] = 1;
  ++posted_count_;
}

std::uint64_t delivery_log::unique_before(std::int64_t t_ns) const {
  return static_cast<std::uint64_t>(std::count_if(receipt_times_.begin(), receipt_times_.end(),
                                                  [t_ns](std::int64_t t) { return t <= t_ns; }));
}

std::uint64_t delivery_log::missed() const {
  std::uint64_t missed = 0;
  for (std::size_t p = 0; p < pollers_; ++p) {
    for (std::size_t m = 0; m < messages_; ++m) {
      if (posted_[m] != 0 && seen_[p * messages_ + m] == 0) {
        ++missed;
      }
    }
  }
  return missed;
}

}  // namespace pollchat::bench
