#include <cmath>

#include "clock.hpp"
#include "poster.hpp"
#include "scenarios.hpp"

namespace pollchat::bench {

nlohmann::json run_fanout(const options& o, const server_address& addr) {
  run_setup run{o, addr};
  auto& ctx = run.ctx;
  const auto n = static_cast<std::size_t>(o.pollers);
  const auto messages =
      static_cast<std::int64_t>(o.messages > 0 ? o.messages : std::llround(o.rate * o.duration_s));
  const auto interval_ns = static_cast<std::int64_t>(1e9 / o.rate);
  delivery_log log{n, static_cast<std::size_t>(messages)};
  std::vector<std::unique_ptr<poller>> pollers;
  for (std::size_t i = 0; i < n; ++i) {
    // Pollers run until the scenario stops them; the poll cap only bounds a runaway loop.
    pollers.push_back(std::make_unique<poller>(ctx, log, i, 10'000'000, 0));
  }
  std::vector<std::unique_ptr<poster>> posters;
  for (int i = 0; i < o.post_connections; ++i) {
    posters.push_back(std::make_unique<poster>(ctx));
  }
  post_counters posted;
  cpu_meter cpu{o.server_pids};
  bool all_started = false;
  bool complete = false;
  std::int64_t post_start_ns = 0;
  std::int64_t post_end_ns = 0;
  std::int64_t end_ns = 0;
  std::uint64_t polls_at_start = 0;
  std::uint64_t polls_at_end = 0;
  int posters_done = 0;

  auto stop_all = [&] {
    ctx.stopping = true;
    for (auto& p : pollers) {
      p->stop();
    }
    for (auto& p : posters) {
      p->stop();
    }
  };

  spawn(run.ioc, [&]() -> boost::asio::awaitable<void> {
    const auto deadline = now_ns() + static_cast<std::int64_t>(o.max_seconds * 1e9);
    all_started = co_await start_pollers(run, pollers, deadline);
    co_await sleep_for(std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::duration<double>{o.settle_s}));
    // Posting to readers that never started would only measure the failure.
    if (all_started && !ctx.stopping) {
      cpu.start();
      polls_at_start = ctx.polls;
      post_start_ns = now_ns() + 1'000'000;
      const auto lanes = static_cast<std::int64_t>(posters.size());
      for (std::int64_t lane = 0; lane < lanes; ++lane) {
        spawn(run.ioc, [&, lane]() -> boost::asio::awaitable<void> {
          co_await posters[static_cast<std::size_t>(lane)]->run_schedule(
              log, posted, lane, lanes, messages, post_start_ns, interval_ns);
          ++posters_done;
        });
      }
      co_await wait_until([&] { return posters_done == static_cast<int>(lanes); }, deadline);
      post_end_ns = now_ns();
      complete = co_await wait_until(
          [&] { return log.complete(); },
          std::min(deadline, post_end_ns + static_cast<std::int64_t>(o.drain_s * 1e9)));
      end_ns = now_ns();
      polls_at_end = ctx.polls;
      cpu.stop();
    }
    stop_all();
  });
  const bool finished = run_bounded(run, stop_all);

  log.latency().finish();
  auto j = common_report(run);
  j["finished"] = finished;
  const double post_s = static_cast<double>(post_end_ns - post_start_ns) / 1e9;
  // Deliveries per second over the span from the first post to the last delivery: equal to
  // the offered rate when the server keeps up, its capacity when it falls behind.
  const double deliver_s = static_cast<double>(log.last_received_ns() - post_start_ns) / 1e9;
  const double run_s = static_cast<double>(end_ns - post_start_ns) / 1e9;
  j["pollers"] = o.pollers;
  j["all_started"] = all_started;
  j["rate"] = o.rate;
  j["messages"] = messages;
  j["posted"] = posted.ok;
  j["post_failures"] = posted.failed;
  j["posts_late"] = posted.late;
  j["posting_s"] = post_s;
  j["deliveries"] = log.unique();
  j["expected_deliveries"] = log.posted() * n;
  j["deliveries_per_s"] = deliver_s > 0 ? static_cast<double>(log.unique()) / deliver_s : 0.0;
  j["offered_per_s"] = post_s > 0 ? static_cast<double>(log.posted() * n) / post_s : 0.0;
  j["polls_per_s"] = run_s > 0 ? static_cast<double>(polls_at_end - polls_at_start) / run_s : 0.0;
  j["complete"] = complete;
  j["missed"] = log.missed();
  j["duplicates"] = log.duplicates();
  j["foreign"] = log.foreign();
  j["server_missed"] = ctx.server_missed;
  j["latency_ms"] = log.latency().summary();
  j["cdf_ms"] = log.latency().cdf(o.cdf_points);
  j["cpu"] = cpu.report();
  return j;
}

}  // namespace pollchat::bench
