#include "http_connection.hpp"

#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/read.hpp>

#include "clock.hpp"
#include "run_context.hpp"

namespace pollchat::bench {
namespace {

// Completion token that hands back (error_code, result...) instead of throwing.
constexpr auto no_throw = asio::experimental::as_tuple(asio::use_awaitable);

}  // namespace

void http_connection::arm(std::chrono::milliseconds timeout) {
  deadline_ns_ = now_ns() + std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
}

beast::error_code http_connection::finish(beast::error_code ec) {
  deadline_ns_ = 0;
  if (timed_out_) {
    timed_out_ = false;
    return beast::error::timeout;
  }
  return ec;
}

asio::awaitable<beast::error_code> http_connection::connect(tcp::endpoint ep,
                                                            std::chrono::milliseconds timeout) {
  buffer_.clear();
  beast::error_code ec;
  if (!socket_.is_open()) {
    socket_.open(ep.protocol(), ec);
    if (ec) {
      co_return ec;
    }
  }
  arm(timeout);
  std::tie(ec) = co_await socket_.async_connect(ep, no_throw);
  ec = finish(ec);
  if (!ec) {
    // Small requests and answers: do not let Nagle hold them back.
    socket_.set_option(tcp::no_delay{true}, ec);
  }
  co_return ec;
}

asio::awaitable<beast::error_code> http_connection::send(const std::string& request_bytes,
                                                         std::chrono::milliseconds timeout) {
  arm(timeout);
  auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(request_bytes), no_throw);
  (void)n;
  co_return finish(ec);
}

asio::awaitable<beast::error_code> http_connection::receive(response& res,
                                                            std::chrono::milliseconds timeout) {
  res = {};
  arm(timeout);
  auto [ec, n] = co_await http::async_read(socket_, buffer_, res, no_throw);
  (void)n;
  co_return finish(ec);
}

void http_connection::close() {
  beast::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

void http_connection::expire_if_overdue(std::int64_t now) {
  if (deadline_ns_ != 0 && now > deadline_ns_ && socket_.is_open()) {
    timed_out_ = true;
    close();
  }
}

asio::awaitable<void> deadline_sweeper::run(std::chrono::milliseconds period, std::int64_t until_ns,
                                            const bool& stopping) {
  while (!stopping && now_ns() < until_ns) {
    co_await sleep_for(period);
    const auto now = now_ns();
    for (auto* c : connections_) {
      c->expire_if_overdue(now);
    }
  }
}

}  // namespace pollchat::bench
