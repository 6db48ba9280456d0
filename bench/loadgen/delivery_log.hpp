#pragma once
// Which poller saw which message: the load generator's own account of losses and duplicates,
// independent of what the server claims.

#include <cstdint>
#include <vector>

#include "latency.hpp"
#include "stamp.hpp"

namespace pollchat::bench {

class delivery_log {
 public:
  // messages: how many sequence numbers (0 … messages-1) this run can post.
  delivery_log(std::size_t pollers, std::size_t messages);

  // A poller received a stamped message at received_ns.
  void record(std::size_t poller, const stamp& s, std::int64_t received_ns);
  // A body that is no stamp of this run (another client's message, or a corrupt one).
  void record_foreign() { ++foreign_; }
  // The poster got a success answer for seq: only such messages count as missed when absent.
  void mark_posted(std::int64_t seq);

  std::uint64_t unique() const { return unique_; }
  std::uint64_t duplicates() const { return duplicates_; }
  std::uint64_t foreign() const { return foreign_; }
  std::uint64_t posted() const { return posted_count_; }
  std::int64_t last_received_ns() const { return last_received_ns_; }
  // unique deliveries received no later than t_ns.
  std::uint64_t unique_before(std::int64_t t_ns) const;
  // Sum over pollers of posted messages that poller never received.
  std::uint64_t missed() const;
  // Every poller holds every posted message.
  bool complete() const { return unique_ == posted_count_ * pollers_; }
  latency_recorder& latency() { return latency_; }

 private:
  std::size_t pollers_;
  std::size_t messages_;
  std::vector<std::uint8_t> seen_;    // pollers_ x messages_, 1 = received
  std::vector<std::uint8_t> posted_;  // messages_, 1 = acknowledged by the server
  std::vector<std::int64_t> receipt_times_;
  std::uint64_t posted_count_ = 0;
  std::uint64_t unique_ = 0;
  std::uint64_t duplicates_ = 0;
  std::uint64_t foreign_ = 0;
  std::int64_t last_received_ns_ = 0;
  latency_recorder latency_;
};

}  // namespace pollchat::bench
