#include "poller.hpp"

#include "clock.hpp"

namespace pollchat::bench {

poller::poller(run_context& ctx, delivery_log& log, std::size_t index, int max_polls,
               std::size_t stop_after)
    : ctx_(ctx),
      log_(log),
      conn_(ctx.ioc.get_executor()),
      index_(index),
      max_polls_(max_polls),
      stop_after_(stop_after) {
  ctx.sweeper.watch(conn_);
}

boost::asio::awaitable<bool> poller::reconnect() {
  conn_.close();
  while (!ctx_.stopping && reconnects_left_-- > 0) {
    co_await sleep_for(std::chrono::milliseconds{50});
    if (ctx_.stopping) {
      break;
    }
    auto ec = co_await conn_.connect(ctx_.endpoint, ctx_.io_timeout);
    if (!ec) {
      co_return true;
    }
    ctx_.note_error("poller reconnect: " + ec.message());
  }
  co_return false;
}

boost::asio::awaitable<void> poller::run() {
  auto ec = co_await conn_.connect(ctx_.endpoint, ctx_.io_timeout);
  ++ctx_.connected;
  if (ec) {
    ctx_.note_error("poller connect: " + ec.message());
    if (!co_await reconnect()) {
      ++ctx_.gave_up;
      co_return;
    }
  }
  bool first = true;
  response res;
  for (int i = 0; i < max_polls_ && !ctx_.stopping; ++i) {
    auto req = ctx_.proto.make_poll(cursor_);
    ec = co_await conn_.send(req, ctx_.io_timeout);
    if (!ec) {
      if (first) {
        first = false;
        ++ctx_.polls_sent;
      }
      ec = co_await conn_.receive(res, ctx_.io_timeout);
    }
    if (ec) {
      if (ctx_.stopping) {
        break;
      }
      ctx_.note_error("poll: " + ec.message());
      if (!co_await reconnect()) {
        break;
      }
      continue;
    }
    const auto now = now_ns();
    ++ctx_.polls;
    auto out = ctx_.proto.read_poll(res, cursor_);
    if (out.what == poll_outcome::kind::bad) {
      ctx_.note_error(out.error);
      // A server that keeps answering nonsense would make this loop spin: back off a little.
      co_await sleep_for(std::chrono::milliseconds{10});
    }
    for (const auto& s : out.stamps) {
      log_.record(index_, s, now);
    }
    for (std::uint64_t f = 0; f < out.foreign; ++f) {
      log_.record_foreign();
    }
    received_ += out.stamps.size();
    ctx_.server_missed += out.server_missed;
    if (stop_after_ != 0 && received_ >= stop_after_) {
      // Done, but the connection stays open until the scenario stops everyone: closing 10,000
      // connections while the rest are still being woken would load both sides mid-measurement.
      co_return;
    }
    if (!res.keep_alive() && !co_await reconnect()) {
      break;
    }
  }
  if (first) {
    ++ctx_.gave_up;
  }
  conn_.close();
}

}  // namespace pollchat::bench
