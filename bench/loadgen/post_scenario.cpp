#include "clock.hpp"
#include "poster.hpp"
#include "scenarios.hpp"

namespace pollchat::bench {

nlohmann::json run_post(const options& o, const server_address& addr) {
  run_setup run{o, addr};
  auto& ctx = run.ctx;
  std::vector<std::unique_ptr<poster>> posters;
  for (int i = 0; i < o.posters; ++i) {
    posters.push_back(std::make_unique<poster>(ctx));
  }
  latency_recorder latency{1'000'000};
  post_counters posted;
  cpu_meter cpu{o.server_pids};
  int opened = 0;
  int done = 0;
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;

  auto stop_all = [&] {
    ctx.stopping = true;
    for (auto& p : posters) {
      p->stop();
    }
  };

  spawn(run.ioc, [&]() -> boost::asio::awaitable<void> {
    const auto deadline = now_ns() + static_cast<std::int64_t>(o.max_seconds * 1e9);
    // Connect everyone first, so connects do not count as post latency.
    for (auto& p : posters) {
      spawn(run.ioc, [&, raw = p.get()]() -> boost::asio::awaitable<void> {
        co_await raw->open();
        ++opened;
      });
    }
    co_await wait_until([&] { return opened == o.posters; }, deadline);
    cpu.start();
    start_ns = now_ns();
    const auto stop_ns = start_ns + static_cast<std::int64_t>(o.duration_s * 1e9);
    for (auto& p : posters) {
      spawn(run.ioc, [&, raw = p.get()]() -> boost::asio::awaitable<void> {
        co_await raw->run_closed_loop(latency, posted, stop_ns, 100'000'000);
        ++done;
      });
    }
    co_await wait_until([&] { return done == o.posters; }, deadline);
    end_ns = now_ns();
    cpu.stop();
    stop_all();
  });
  const bool finished = run_bounded(run, stop_all);

  latency.finish();
  auto j = common_report(run);
  j["finished"] = finished;
  const double secs = static_cast<double>(end_ns - start_ns) / 1e9;
  j["posters"] = o.posters;
  j["posted"] = posted.ok;
  j["post_failures"] = posted.failed;
  j["measured_s"] = secs;
  j["posts_per_s"] = secs > 0 ? static_cast<double>(posted.ok) / secs : 0.0;
  j["latency_ms"] = latency.summary();
  j["cpu"] = cpu.report();
  return j;
}

}  // namespace pollchat::bench
