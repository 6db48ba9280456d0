#pragma once
// One keep-alive HTTP/1.1 client connection driven by C++20 coroutines. Every operation has a
// deadline (beast::tcp_stream), so no poller or poster can hang past it; errors come back as
// error codes, never exceptions.

#include <chrono>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "protocol.hpp"

namespace pollchat::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

class http_connection {
 public:
  explicit http_connection(asio::any_io_executor ex) : stream_(std::move(ex)) {}

  asio::awaitable<beast::error_code> connect(tcp::endpoint ep, std::chrono::milliseconds timeout);
  asio::awaitable<beast::error_code> send(request& req, std::chrono::milliseconds timeout);
  // Reads one whole response into res (cleared first).
  asio::awaitable<beast::error_code> receive(response& res, std::chrono::milliseconds timeout);

  bool is_open() const { return stream_.socket().is_open(); }
  // Ends every pending operation on this connection (they complete with an error).
  void close();

 private:
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

}  // namespace pollchat::bench
