#include "clock.hpp"
#include "poster.hpp"
#include "process_stats.hpp"
#include "scenarios.hpp"

namespace pollchat::bench {

nlohmann::json run_park(const options& o, const server_address& addr) {
  run_setup run{o, addr};
  auto& ctx = run.ctx;
  const auto n = static_cast<std::size_t>(o.pollers);
  delivery_log log{n, 1};
  std::vector<std::unique_ptr<poller>> pollers;
  for (std::size_t i = 0; i < n; ++i) {
    // One answer is all a parked reader waits for; a timeout answer lets it park again.
    pollers.push_back(std::make_unique<poller>(ctx, log, i, 100, 1));
  }
  poster post{ctx};
  post_counters posted;
  cpu_meter cpu{o.server_pids};
  std::optional<std::int64_t> rss_before;
  std::optional<std::int64_t> rss_parked;
  bool all_parked = false;
  bool all_woken = false;

  auto stop_all = [&] {
    ctx.stopping = true;
    for (auto& p : pollers) {
      p->stop();
    }
    post.stop();
  };

  spawn(run.ioc, [&]() -> boost::asio::awaitable<void> {
    const auto deadline = now_ns() + static_cast<std::int64_t>(o.max_seconds * 1e9);
    rss_before = o.server_pids.empty() ? std::nullopt : rss_kib(o.server_pids);
    all_parked = co_await start_pollers(run, pollers, deadline);
    // The last request is written; give the server time to read and park every one.
    co_await sleep_for(std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::duration<double>{o.settle_s}));
    rss_parked = o.server_pids.empty() ? std::nullopt : rss_kib(o.server_pids);
    if (all_parked && !ctx.stopping) {
      cpu.start();
      co_await post.run_schedule(log, posted, 0, 1, 1, now_ns(), 0);
      all_woken = co_await wait_until([&] { return log.unique() >= n; },
                                      now_ns() + std::int64_t{o.io_timeout_s} * 1'000'000'000);
      cpu.stop();
    }
    stop_all();
  });
  const bool finished = run_bounded(run, stop_all);

  log.latency().finish();
  auto j = common_report(run);
  j["finished"] = finished;
  j["pollers"] = o.pollers;
  j["parked"] = ctx.polls_sent;
  j["all_parked"] = all_parked;
  j["posted"] = posted.ok;
  j["received"] = log.unique();
  j["all_received"] = all_woken;
  j["missed"] = posted.ok == 0 ? n : n - std::min<std::size_t>(n, log.unique());
  j["duplicates"] = log.duplicates();
  j["foreign"] = log.foreign();
  j["wake_all_ms"] = log.latency().max_ms();
  j["wake_p50_ms"] = log.latency().quantile_ms(0.5);
  j["cpu"] = cpu.report();
  if (rss_before && rss_parked) {
    j["rss_before_kib"] = *rss_before;
    j["rss_parked_kib"] = *rss_parked;
    j["rss_per_poll_bytes"] =
        static_cast<double>(*rss_parked - *rss_before) * 1024.0 / static_cast<double>(n);
  }
  return j;
}

}  // namespace pollchat::bench
