#include "poller-client/http_channel.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace pollchat::client {
namespace {

// Completion token that hands back (error_code, result) instead of throwing.
constexpr auto no_throw = asio::as_tuple(asio::use_awaitable);

constexpr auto max_connect_time = std::chrono::seconds(10);
// A poll answer: 100 messages (the server's default limit) of up to --max-body (64 KiB) each,
// JSON-escaped, with room to spare.
constexpr std::uint64_t max_answer_bytes = 64ull << 20;

// What a kept-alive connection that the server closed while it was idle looks like.
bool closed_while_idle(const beast::error_code& error) {
  return error == http::error::end_of_stream || error == asio::error::connection_reset ||
         error == asio::error::broken_pipe || error == asio::error::eof;
}

}  // namespace

asio::awaitable<http_reply> http_channel::send(const request& req,
                                               std::chrono::steady_clock::duration timeout) {
  const bool reused = connected_;
  if (!connected_) {
    if (auto error = co_await connect(timeout))
      co_return http_reply{error, {}};
  }
  http_reply reply = co_await exchange(req, timeout);
  if (reply.error && reused && closed_while_idle(reply.error) && !shut_down_) {
    // Not an outage: the server may drop an idle keep-alive connection just as we reuse it.
    // Safe to repeat: GETs change nothing and posts carry an Idempotency-Key.
    if (auto error = co_await connect(timeout))
      co_return http_reply{error, {}};
    reply = co_await exchange(req, timeout);
  }
  if (reply.error || !reply.answer.keep_alive()) {
    beast::error_code ignored;
    stream_.socket().close(ignored);
    connected_ = false;
  }
  co_return reply;
}

void http_channel::shut_down() {
  shut_down_ = true;
  resolver_.cancel();
  beast::error_code ignored;
  stream_.socket().close(ignored);
  connected_ = false;
}

asio::awaitable<beast::error_code> http_channel::connect(
    std::chrono::steady_clock::duration timeout) {
  if (shut_down_)
    co_return asio::error::operation_aborted;
  beast::error_code ignored;
  stream_.socket().close(ignored);
  connected_ = false;
  buffer_.clear();

  auto [resolve_error, endpoints] =
      co_await resolver_.async_resolve(server_.host, server_.port, no_throw);
  if (resolve_error)
    co_return resolve_error;
  if (shut_down_)
    co_return asio::error::operation_aborted;
  stream_.expires_after(std::min<std::chrono::steady_clock::duration>(timeout, max_connect_time));
  auto [connect_error, endpoint] = co_await stream_.async_connect(endpoints, no_throw);
  if (connect_error)
    co_return connect_error;
  stream_.socket().set_option(asio::ip::tcp::no_delay(true), ignored);
  connected_ = true;
  co_return beast::error_code{};
}

asio::awaitable<http_reply> http_channel::exchange(const request& req,
                                                   std::chrono::steady_clock::duration timeout) {
  if (shut_down_)
    co_return http_reply{asio::error::operation_aborted, {}};
  // One deadline for the whole exchange: for a poll it is the server's poll timeout plus a
  // margin, so a quiet room answers (empty) before we give up on it.
  stream_.expires_after(timeout);
  auto [write_error, written] = co_await http::async_write(stream_, req, no_throw);
  if (write_error)
    co_return http_reply{write_error, {}};

  http::response_parser<http::string_body> parser;
  parser.body_limit(max_answer_bytes);
  auto [read_error, read] = co_await http::async_read(stream_, buffer_, parser, no_throw);
  if (read_error)
    co_return http_reply{read_error, {}};
  stream_.expires_never();
  co_return http_reply{{}, parser.release()};
}

}  // namespace pollchat::client
