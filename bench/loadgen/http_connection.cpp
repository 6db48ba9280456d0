#include "http_connection.hpp"

#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace pollchat::bench {
namespace {

// Completion token that hands back (error_code, result...) instead of throwing.
constexpr auto no_throw = asio::experimental::as_tuple(asio::use_awaitable);

}  // namespace

asio::awaitable<beast::error_code> http_connection::connect(tcp::endpoint ep,
                                                             std::chrono::milliseconds timeout) {
  buffer_.clear();
  stream_.expires_after(timeout);
  auto [ec] = co_await stream_.async_connect(ep, no_throw);
  if (!ec) {
    // Small requests and answers: do not let Nagle hold them back.
    stream_.socket().set_option(tcp::no_delay{true}, ec);
  }
  co_return ec;
}

asio::awaitable<beast::error_code> http_connection::send(request& req,
                                                          std::chrono::milliseconds timeout) {
  stream_.expires_after(timeout);
  auto [ec, n] = co_await http::async_write(stream_, req, no_throw);
  (void)n;
  co_return ec;
}

asio::awaitable<beast::error_code> http_connection::receive(response& res,
                                                             std::chrono::milliseconds timeout) {
  res = {};
  stream_.expires_after(timeout);
  auto [ec, n] = co_await http::async_read(stream_, buffer_, res, no_throw);
  (void)n;
  co_return ec;
}

void http_connection::close() {
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.close();
}

}  // namespace pollchat::bench
