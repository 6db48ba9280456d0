#pragma once
// One keep-alive HTTP/1.1 connection to the server, one request at a time, on Boost.Beast: plain
// TCP for http://, TLS over it for https:// (SPEC §10). The client holds three: a parked GET must
// not wait behind a post, nor a post behind a parked GET, and the leave goes out while either
// may still be busy.
//
// Not thread-safe: used from the io_context's single thread only.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "poller-client/options.hpp"

namespace pollchat::client {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;

using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

// The outcome of one exchange: a transport error (refused, reset, timed out, closed, a TLS
// handshake that broke), or the server's answer, whatever its status.
struct http_reply {
  beast::error_code error;
  response answer;
  // Set, with `error`, when retrying cannot help: the server's certificate failed verification
  // ("certificate verify failed: hostname mismatch").
  std::string fatal;
};

class http_channel {
 public:
  // `tls`: the TLS context shared by the connections of an https:// server; nullptr for http://.
  http_channel(const asio::any_io_executor& executor, const server_url& server,
               std::shared_ptr<asio::ssl::context> tls = nullptr)
      : server_(server), tls_context_(std::move(tls)), resolver_(executor), plain_(executor) {}

  // Sends `req` and reads the answer, connecting first when needed. Connecting may take up to
  // `timeout` (at most 10 s, and never past connect_by()); writing and reading together,
  // `timeout`. A request sent on a kept-alive connection that the server closed meanwhile is
  // sent once more on a fresh one.
  asio::awaitable<http_reply> send(const request& req, std::chrono::steady_clock::duration timeout);

  // Connecting (TCP and TLS handshake) must be done by `deadline` (none by default): the client
  // gives up on a server it never reached at its --connect-timeout.
  void connect_by(std::chrono::steady_clock::time_point deadline) { connect_deadline_ = deadline; }

  // Cancels what is in flight (it completes with operation_aborted) and refuses what comes next.
  void shut_down();

 private:
  asio::awaitable<http_reply> connect(std::chrono::steady_clock::duration timeout);
  asio::awaitable<http_reply> exchange(const request& req,
                                       std::chrono::steady_clock::duration timeout);
  // The TCP connection: plain_ for http://, under the TLS layer for https://.
  beast::tcp_stream& tcp() {
    if (tls_)
      return tls_->next_layer();
    return plain_;
  }
  void close();

  const server_url server_;
  const std::shared_ptr<asio::ssl::context> tls_context_;
  asio::ip::tcp::resolver resolver_;
  beast::tcp_stream plain_;  // http:// only
  // https:// only: a fresh TLS stream per connection, since one that broke cannot be reused.
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;  // bytes read past the last answer stay here for the next one
  std::chrono::steady_clock::time_point connect_deadline_ =
      std::chrono::steady_clock::time_point::max();
  bool connected_ = false;
  bool shut_down_ = false;
};

}  // namespace pollchat::client
