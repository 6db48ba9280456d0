#pragma once
// A reader: one keep-alive connection that long-polls the room again and again from its cursor
// and records every stamped message it receives in the delivery log.

#include <boost/asio/awaitable.hpp>
#include <cstddef>

#include "delivery_log.hpp"
#include "http_connection.hpp"
#include "run_context.hpp"

namespace pollchat::bench {

class poller {
 public:
  // Ends after max_polls answers, after stop_after messages (0 = no such limit), or on stop().
  poller(run_context& ctx, delivery_log& log, std::size_t index, int max_polls,
         std::size_t stop_after);

  boost::asio::awaitable<void> run();
  void stop() { conn_.close(); }

  std::size_t received() const { return received_; }

 private:
  // Reconnects after a failure; false when the run is stopping or the attempts are spent.
  boost::asio::awaitable<bool> reconnect();

  run_context& ctx_;
  delivery_log& log_;
  http_connection conn_;
  cursor cursor_;
  std::size_t index_;
  int max_polls_;
  std::size_t stop_after_;
  std::size_t received_ = 0;
  int reconnects_left_ = 5;
};

}  // namespace pollchat::bench
