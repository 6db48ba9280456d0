#include "scenario_support.hpp"

#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>

#include "clock.hpp"
#include "process_stats.hpp"

namespace pollchat::bench {
namespace {

std::string fresh_room_name() {
  // Unique per process and per run in it, so no run sees an earlier run's history.
  static std::atomic<int> counter{0};
  return "bench-" + std::to_string(getpid()) + "-" + std::to_string(now_ns() % 1'000'000'000) +
         "-" + std::to_string(counter++);
}

std::unique_ptr<protocol> make_protocol(const options& o, const server_address& addr,
                                        const std::string& room) {
  protocol_params p{addr.host, room, o.poll_timeout_s, 1000};
  if (o.target == "nchan") {
    return make_nchan_protocol(p);
  }
  return make_pollchat_protocol(p);
}

}  // namespace

run_setup::run_setup(const options& o, const server_address& addr)
    : opts(o),
      room(o.room.empty() ? fresh_room_name() : o.room),
      proto(make_protocol(o, addr, room)),
      ctx{ioc, addr.endpoint, addr.post_endpoint, *proto, std::chrono::seconds{o.io_timeout_s}} {}

bool run_bounded(run_setup& run, const std::function<void()>& stop_all) {
  const auto limit_ns = now_ns() + static_cast<std::int64_t>(run.opts.max_seconds * 1e9);
  spawn(run.ioc, [&run, limit_ns] {
    return run.ctx.sweeper.run(std::chrono::milliseconds{100}, limit_ns, run.ctx.stopping);
  });
  run.ioc.run_for(
      std::chrono::milliseconds{static_cast<std::int64_t>(run.opts.max_seconds * 1000)});
  if (run.ioc.stopped()) {
    return true;
  }
  run.ctx.stopping = true;
  run.ctx.note_error("hard time limit (--max-seconds) reached");
  stop_all();
  run.ioc.run_for(std::chrono::seconds{5});
  return false;
}

boost::asio::awaitable<bool> wait_until(const std::function<bool()>& pred,
                                        std::int64_t deadline_ns) {
  while (!pred()) {
    if (now_ns() >= deadline_ns) {
      co_return false;
    }
    co_await sleep_for(std::chrono::milliseconds{1});
  }
  co_return true;
}

boost::asio::awaitable<bool> start_pollers(run_setup& run,
                                           std::vector<std::unique_ptr<poller>>& pollers,
                                           std::int64_t deadline_ns) {
  auto& ctx = run.ctx;
  const auto limit = static_cast<std::uint64_t>(run.opts.connect_concurrency);
  std::uint64_t started = 0;
  for (auto& p : pollers) {
    // Too many SYNs at once overflow the listen backlog and cost a 1 s retransmit.
    const bool ok =
        co_await wait_until([&] { return started - ctx.connected < limit; }, deadline_ns);
    if (!ok || ctx.stopping) {
      co_return false;
    }
    spawn(run.ioc, [raw = p.get()] { return raw->run(); });
    ++started;
  }
  const auto total = static_cast<std::uint64_t>(pollers.size());
  co_return co_await wait_until([&] { return ctx.polls_sent + ctx.gave_up >= total; }, deadline_ns);
}

void cpu_meter::start() {
  wall_start_ = now_ns();
  self_start_ = self_cpu_seconds();
  server_start_ = server_pids_.empty() ? std::nullopt : process_cpu_seconds(server_pids_);
}

void cpu_meter::stop() {
  wall_stop_ = now_ns();
  self_stop_ = self_cpu_seconds();
  server_stop_ = server_pids_.empty() ? std::nullopt : process_cpu_seconds(server_pids_);
}

bool cpu_meter::client_bound() const {
  const double wall = static_cast<double>(wall_stop_ - wall_start_) / 1e9;
  // One client core busy 90 % of the time is as good as saturated.
  return wall > 0 && (self_stop_ - self_start_) / wall >= 0.9;
}

nlohmann::json cpu_meter::report() const {
  const double wall = static_cast<double>(wall_stop_ - wall_start_) / 1e9;
  nlohmann::json j{{"wall_s", wall},
                   {"client_cpu_s", self_stop_ - self_start_},
                   {"client_cpu_pct", wall > 0 ? 100 * (self_stop_ - self_start_) / wall : 0.0},
                   {"client_bound", client_bound()}};
  if (server_start_ && server_stop_) {
    j["server_cpu_s"] = *server_stop_ - *server_start_;
    j["server_cpu_pct"] = wall > 0 ? 100 * (*server_stop_ - *server_start_) / wall : 0.0;
  }
  return j;
}

nlohmann::json common_report(const run_setup& run) {
  const auto& o = run.opts;
  nlohmann::json j{
      {"scenario", o.scenario}, {"target", o.target},       {"url", o.url},
      {"room", run.room},       {"errors", run.ctx.errors}, {"first_error", run.ctx.first_error}};
  if (!o.post_url.empty()) {
    j["post_url"] = o.post_url;
  }
  return j;
}

}  // namespace pollchat::bench
