#pragma once
// One keep-alive HTTP/1.1 client connection driven by C++20 coroutines. Errors come back as
// error codes, never exceptions. Every operation has a deadline, enforced by a sweeper that
// checks all connections a few times a second rather than by a timer per operation: with
// 10,000 connections and 100k+ requests a second, arming and cancelling a timer around every
// read and write cost the client a fifth of its CPU.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "protocol.hpp"

namespace pollchat::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

class http_connection {
 public:
  explicit http_connection(asio::any_io_executor ex) : socket_(std::move(ex)) {}

  asio::awaitable<beast::error_code> connect(tcp::endpoint ep, std::chrono::milliseconds timeout);
  // Writes a whole request (its bytes must stay alive until the write completes).
  asio::awaitable<beast::error_code> send(const std::string& request_bytes,
                                          std::chrono::milliseconds timeout);
  // Reads one whole response into res (cleared first).
  asio::awaitable<beast::error_code> receive(response& res, std::chrono::milliseconds timeout);

  bool is_open() const { return socket_.is_open(); }
  // Ends every pending operation on this connection (they complete with an error).
  void close();
  // Closes the connection if an operation has been pending past its deadline; the operation
  // then completes with beast::error::timeout.
  void expire_if_overdue(std::int64_t now_ns);

 private:
  void arm(std::chrono::milliseconds timeout);
  // The operation's own error, or timeout when the sweeper ended it.
  beast::error_code finish(beast::error_code ec);

  tcp::socket socket_;
  beast::flat_buffer buffer_;
  std::int64_t deadline_ns_ = 0;  // 0: no operation pending
  bool timed_out_ = false;
};

// Enforces the deadlines of a run's connections; single-threaded like the run.
class deadline_sweeper {
 public:
  void watch(http_connection& c) { connections_.push_back(&c); }
  // Checks every connection each `period` until `stopping` is set or until_ns.
  asio::awaitable<void> run(std::chrono::milliseconds period, std::int64_t until_ns,
                            const bool& stopping);

 private:
  std::vector<http_connection*> connections_;
};

}  // namespace pollchat::bench
