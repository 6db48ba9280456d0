#include "run_context.hpp"

#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace pollchat::bench {

namespace asio = boost::asio;

asio::awaitable<void> sleep_for(std::chrono::nanoseconds d) {
  asio::steady_timer timer{co_await asio::this_coro::executor};
  timer.expires_after(d);
  auto [ec] = co_await timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  (void)ec;
}

asio::awaitable<void> sleep_until_ns(std::int64_t t_ns) {
  asio::steady_timer timer{co_await asio::this_coro::executor};
  timer.expires_at(std::chrono::steady_clock::time_point{std::chrono::nanoseconds{t_ns}});
  auto [ec] = co_await timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  (void)ec;
}

}  // namespace pollchat::bench
