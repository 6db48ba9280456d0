#pragma once
// What every client of one run shares. The load generator runs on one thread, so nothing here
// needs a lock.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <string>

#include "http_connection.hpp"
#include "protocol.hpp"

namespace pollchat::bench {

struct run_context {
  run_context(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint ep,
              boost::asio::ip::tcp::endpoint post_ep, const protocol& p,
              std::chrono::milliseconds timeout)
      : ioc(io), endpoint(std::move(ep)), post_endpoint(std::move(post_ep)), proto(p),
        io_timeout(timeout) {}

  boost::asio::io_context& ioc;
  boost::asio::ip::tcp::endpoint endpoint;       // where pollers connect
  boost::asio::ip::tcp::endpoint post_endpoint;  // where posters connect (--post-url)
  const protocol& proto;
  std::chrono::milliseconds io_timeout;  // deadline of one connect, write or read

  bool stopping = false;         // set once: every loop ends at its next step
  std::uint64_t errors = 0;      // failed connects, reads, writes, bad answers
  std::string first_error;       // the first of them, for the report
  std::uint64_t connected = 0;   // clients whose first connect has completed (ok or not)
  std::uint64_t polls_sent = 0;  // pollers whose first poll request is written
  std::uint64_t gave_up = 0;     // pollers that ended before their first poll was written
  std::uint64_t polls = 0;       // poll answers received
  std::uint64_t server_missed = 0;
  deadline_sweeper sweeper;  // every client's connection registers here

  void note_error(const std::string& what) {
    if (errors++ == 0) {
      first_error = what;
    }
  }
};

// Suspends the calling coroutine for d.
boost::asio::awaitable<void> sleep_for(std::chrono::nanoseconds d);
// Suspends until the steady clock reads t_ns (the clock of now_ns()).
boost::asio::awaitable<void> sleep_until_ns(std::int64_t t_ns);

}  // namespace pollchat::bench
