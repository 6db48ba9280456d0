#pragma once
// One keep-alive HTTP/1.1 connection to the server, one request at a time, on Boost.Beast.
// The client holds three: a parked GET must not wait behind a post, nor a post behind a parked
// GET, and the leave goes out while either may still be busy.
//
// Not thread-safe: used from the io_context's single thread only.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>

#include "poller-client/options.hpp"

namespace pollchat::client {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;

using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

// The outcome of one exchange: a transport error (refused, reset, timed out, closed), or the
// server's answer, whatever its status.
struct http_reply {
  beast::error_code error;
  response answer;
};

class http_channel {
 public:
  http_channel(const asio::any_io_executor& executor, const server_url& server)
      : server_(server), resolver_(executor), stream_(executor) {}

  // Sends `req` and reads the answer, connecting first when needed. Connecting may take up to
  // `timeout` (at most 10 s); writing and reading together, `timeout`. A request sent on a
  // kept-alive connection that the server closed meanwhile is sent once more on a fresh one.
  asio::awaitable<http_reply> send(const request& req, std::chrono::steady_clock::duration timeout);

  // Cancels what is in flight (it completes with operation_aborted) and refuses what comes next.
  void shut_down();

 private:
  asio::awaitable<beast::error_code> connect(std::chrono::steady_clock::duration timeout);
  asio::awaitable<http_reply> exchange(const request& req,
                                       std::chrono::steady_clock::duration timeout);

  const server_url server_;
  asio::ip::tcp::resolver resolver_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;  // bytes read past the last answer stay here for the next one
  bool connected_ = false;
  bool shut_down_ = false;
};

}  // namespace pollchat::client
