#pragma once
// Counters for GET /metrics (Prometheus text exposition). Every member is thread-safe (atomic).

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace pollchat {

struct gauges {
  std::size_t rooms = 0;
  std::size_t connections_open = 0;
  std::size_t tcp_clients = 0;
};

class metrics {
 public:
  std::atomic<std::uint64_t> posts_total{0};
  std::atomic<std::uint64_t> polls_total{0};
  std::atomic<std::uint64_t> deliveries_total{0};  // messages handed to readers
  std::atomic<std::int64_t> polls_parked{0};

  void count_response(unsigned status);
  std::string render(const gauges& now) const;

 private:
  std::array<std::atomic<std::uint64_t>, 600> responses_{};  // by status code
};

}  // namespace pollchat
