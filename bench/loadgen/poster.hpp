#pragma once
// A writer: one keep-alive connection that posts stamped messages, either on a fixed schedule
// (open loop, for fanout and park) or as fast as answers come back (closed loop, for post).

#include <boost/asio/awaitable.hpp>
#include <cstdint>

#include "delivery_log.hpp"
#include "http_connection.hpp"
#include "latency.hpp"
#include "run_context.hpp"

namespace pollchat::bench {

struct post_counters {
  std::uint64_t ok = 0;
  std::uint64_t failed = 0;
  std::uint64_t late = 0;  // scheduled posts sent more than 10 ms after their due time
};

class poster {
 public:
  explicit poster(run_context& ctx) : ctx_(ctx), conn_(ctx.ioc.get_executor()) {
    ctx.sweeper.watch(conn_);
  }

  // Posts seq = first, first + step, … < end, seq k due at start_ns + k * interval_ns.
  boost::asio::awaitable<void> run_schedule(delivery_log& log, post_counters& counters,
                                            std::int64_t first, std::int64_t step, std::int64_t end,
                                            std::int64_t start_ns, std::int64_t interval_ns);
  // Posts back to back until stop_ns or max_posts, recording each request's latency.
  boost::asio::awaitable<void> run_closed_loop(latency_recorder& latency, post_counters& counters,
                                               std::int64_t stop_ns, std::int64_t max_posts);
  // Connects ahead of the first post; false when that fails.
  boost::asio::awaitable<bool> open();
  void stop() { conn_.close(); }

 private:
  // One post on the connection, (re)connecting first when needed; true when stored.
  boost::asio::awaitable<bool> post_one(std::int64_t seq);

  run_context& ctx_;
  http_connection conn_;
  response res_;
  int reconnects_left_ = 5;
  bool gave_up_ = false;  // reconnect attempts spent: the loops end instead of spinning
};

}  // namespace pollchat::bench
