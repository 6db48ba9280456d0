#include "poller-client/http_channel.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "poller-client/tls_context.hpp"

namespace pollchat::client {
namespace {

// Completion token that hands back (error_code, result) instead of throwing.
constexpr auto no_throw = asio::as_tuple(asio::use_awaitable);

constexpr auto max_connect_time = std::chrono::seconds(10);
constexpr auto min_connect_time = std::chrono::milliseconds(500);
// A poll answer: 100 messages (the server's default limit) of up to --max-body (64 KiB) each,
// JSON-escaped, with room to spare.
constexpr std::uint64_t max_answer_bytes = 64ull << 20;

// What a kept-alive connection that the server closed while it was idle looks like (over TLS
// also a close without close_notify).
bool closed_while_idle(const beast::error_code& error) {
  return error == http::error::end_of_stream || error == asio::error::connection_reset ||
         error == asio::error::broken_pipe || error == asio::error::eof ||
         error == asio::ssl::error::stream_truncated;
}

// One request and its answer on `stream` (a tcp_stream or a TLS stream over `tcp`): the same
// code for both, so plain http pays nothing for https.
template <class Stream>
asio::awaitable<http_reply> exchange_on(Stream& stream, beast::tcp_stream& tcp,
                                        beast::flat_buffer& buffer, const request& req,
                                        std::chrono::steady_clock::duration timeout) {
  // One deadline for the whole exchange: for a poll it is the server's poll timeout plus a
  // margin, so a quiet room answers (empty) before we give up on it.
  tcp.expires_after(timeout);
  auto [write_error, written] = co_await http::async_write(stream, req, no_throw);
  if (write_error)
    co_return http_reply{write_error, {}, {}};

  http::response_parser<http::string_body> parser;
  parser.body_limit(max_answer_bytes);
  auto [read_error, read] = co_await http::async_read(stream, buffer, parser, no_throw);
  if (read_error)
    co_return http_reply{read_error, {}, {}};
  tcp.expires_never();
  co_return http_reply{{}, parser.release(), {}};
}

}  // namespace

asio::awaitable<http_reply> http_channel::send(const request& req,
                                               std::chrono::steady_clock::duration timeout) {
  const bool reused = connected_;
  if (!connected_) {
    if (auto failed = co_await connect(timeout); failed.error)
      co_return failed;
  }
  http_reply reply = co_await exchange(req, timeout);
  if (reply.error && reused && closed_while_idle(reply.error) && !shut_down_) {
    // Not an outage: the server may drop an idle keep-alive connection just as we reuse it.
    // Safe to repeat: GETs change nothing and posts carry an Idempotency-Key.
    if (auto failed = co_await connect(timeout); failed.error)
      co_return failed;
    reply = co_await exchange(req, timeout);
  }
  if (reply.error || !reply.answer.keep_alive())
    close();
  co_return reply;
}

void http_channel::shut_down() {
  shut_down_ = true;
  resolver_.cancel();
  close();
}

void http_channel::close() {
  // No TLS close_notify: the answer's length is known, so nothing can be truncated unnoticed,
  // and a shutdown exchange would only delay a reconnect or an exit.
  beast::error_code ignored;
  tcp().socket().close(ignored);
  connected_ = false;
}

asio::awaitable<http_reply> http_channel::connect(std::chrono::steady_clock::duration timeout) {
  if (shut_down_)
    co_return http_reply{asio::error::operation_aborted, {}, {}};
  close();
  buffer_.clear();

  auto [resolve_error, endpoints] =
      co_await resolver_.async_resolve(server_.host, server_.port, no_throw);
  if (resolve_error)
    co_return http_reply{resolve_error, {}, {}};
  if (shut_down_)
    co_return http_reply{asio::error::operation_aborted, {}, {}};
  if (tls_context_)
    tls_.emplace(resolver_.get_executor(), *tls_context_);
  // Connecting and the TLS handshake share one deadline: the connect deadline when one is set,
  // but never so short that a last attempt just before it could not succeed.
  std::chrono::steady_clock::duration limit = std::min<std::chrono::steady_clock::duration>(timeout, max_connect_time);
  if (connect_deadline_ != std::chrono::steady_clock::time_point::max()) {
    const auto left = connect_deadline_ - std::chrono::steady_clock::now();
    limit = std::min(limit, std::max<std::chrono::steady_clock::duration>(left, min_connect_time));
  }
  tcp().expires_after(limit);
  auto [connect_error, endpoint] = co_await tcp().async_connect(endpoints, no_throw);
  if (connect_error)
    co_return http_reply{connect_error, {}, {}};
  beast::error_code ignored;
  tcp().socket().set_option(asio::ip::tcp::no_delay(true), ignored);
  if (tls_) {
    if (!expect_host(tls_->native_handle(), server_.host))
      co_return http_reply{asio::error::invalid_argument, {}, "cannot set up TLS for this host"};
    auto [handshake_error] = co_await tls_->async_handshake(asio::ssl::stream_base::client, no_throw);
    if (handshake_error) {
      close();
      co_return http_reply{handshake_error, {},
                           certificate_failure(handshake_error, tls_->native_handle())};
    }
  }
  connected_ = true;
  co_return http_reply{};
}

asio::awaitable<http_reply> http_channel::exchange(const request& req,
                                                   std::chrono::steady_clock::duration timeout) {
  if (shut_down_)
    co_return http_reply{asio::error::operation_aborted, {}, {}};
  if (tls_)
    co_return co_await exchange_on(*tls_, tcp(), buffer_, req, timeout);
  co_return co_await exchange_on(plain_, plain_, buffer_, req, timeout);
}

}  // namespace pollchat::client
