#include "poster.hpp"

#include "clock.hpp"

namespace pollchat::bench {

boost::asio::awaitable<bool> poster::open() {
  auto ec = co_await conn_.connect(ctx_.post_endpoint, ctx_.io_timeout);
  if (ec) {
    ctx_.note_error("poster connect: " + ec.message());
    conn_.close();
  }
  co_return !ec;
}

boost::asio::awaitable<bool> poster::post_one(std::int64_t seq) {
  if (!conn_.is_open()) {
    if (reconnects_left_-- <= 0) {
      gave_up_ = true;
      ctx_.note_error("poster: out of reconnect attempts");
      co_return false;
    }
    auto ec = co_await conn_.connect(ctx_.post_endpoint, ctx_.io_timeout);
    if (ec) {
      ctx_.note_error("poster connect: " + ec.message());
      conn_.close();
      co_await sleep_for(std::chrono::milliseconds{50});
      co_return false;
    }
  }
  // The stamp is taken right before the write, so latency counts only the server's part.
  auto req = ctx_.proto.make_post(format_stamp({seq, now_ns()}));
  auto ec = co_await conn_.send(req, ctx_.io_timeout);
  if (!ec) {
    ec = co_await conn_.receive(res_, ctx_.io_timeout);
  }
  if (ec) {
    if (!ctx_.stopping) {
      ctx_.note_error("post: " + ec.message());
    }
    conn_.close();
    co_return false;
  }
  if (!res_.keep_alive()) {
    conn_.close();
  }
  if (!ctx_.proto.post_ok(res_)) {
    ctx_.note_error("post answered " + std::to_string(res_.result_int()));
    co_return false;
  }
  co_return true;
}

boost::asio::awaitable<void> poster::run_schedule(delivery_log& log, post_counters& counters,
                                                  std::int64_t first, std::int64_t step,
                                                  std::int64_t end, std::int64_t start_ns,
                                                  std::int64_t interval_ns) {
  for (std::int64_t seq = first; seq < end && !ctx_.stopping && !gave_up_; seq += step) {
    const std::int64_t due = start_ns + seq * interval_ns;
    if (now_ns() < due) {
      co_await sleep_until_ns(due);
    } else if (now_ns() - due > 10'000'000) {
      ++counters.late;
    }
    if (ctx_.stopping) {
      break;
    }
    if (co_await post_one(seq)) {
      log.mark_posted(seq);
      ++counters.ok;
    } else {
      ++counters.failed;
    }
  }
  conn_.close();
}

boost::asio::awaitable<void> poster::run_closed_loop(latency_recorder& latency,
                                                     post_counters& counters, std::int64_t stop_ns,
                                                     std::int64_t max_posts) {
  for (std::int64_t seq = 0; seq < max_posts && !ctx_.stopping && !gave_up_ && now_ns() < stop_ns;
       ++seq) {
    const auto start = now_ns();
    if (co_await post_one(seq)) {
      latency.add(now_ns() - start);
      ++counters.ok;
    } else {
      ++counters.failed;
    }
  }
  conn_.close();
}

}  // namespace pollchat::bench
