#pragma once
// Pieces the three scenarios share: the run's I/O objects, spawning clients with a bounded
// number of connects in flight, waiting for a condition with a deadline, and the CPU meter
// that says whether the client or the server was the limit.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "options.hpp"
#include "poller.hpp"
#include "protocol.hpp"
#include "run_context.hpp"

namespace pollchat::bench {

// Where the server is, resolved once from --url.
struct server_address {
  boost::asio::ip::tcp::endpoint endpoint;
  std::string host;  // for the Host header
  // Where posters connect (--post-url); the same as endpoint unless the run spans two instances.
  // Their requests keep `host`: both instances serve the same rooms under one name.
  boost::asio::ip::tcp::endpoint post_endpoint;
};

// The objects of one run; scenarios build their clients on top of it.
struct run_setup {
  run_setup(const options& o, const server_address& addr);

  const options& opts;
  std::string room;
  // One thread and nothing else touches it: no locking in the scheduler or the reactor.
  boost::asio::io_context ioc{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE};
  std::unique_ptr<protocol> proto;
  run_context ctx;
};

// Starts make_task() as a coroutine on the run's thread; an exception escaping it ends
// ioc.run() with it. make_task is the callable itself, never an already-called lambda
// coroutine: co_spawn keeps the callable (and so a lambda's captures) alive for the whole
// coroutine, while a temporary lambda would be gone after its first suspension.
template <class F>
void spawn(boost::asio::io_context& ioc, F&& make_task) {
  boost::asio::co_spawn(ioc, std::forward<F>(make_task), [](const std::exception_ptr& e) {
    if (e) {
      std::rethrow_exception(e);
    }
  });
}

// Runs ioc for at most opts.max_seconds; past that stops every client via stop_all and lets
// them finish for a few seconds. Returns false when the hard limit struck.
bool run_bounded(run_setup& run, const std::function<void()>& stop_all);

// Polls pred every millisecond until it holds or the steady clock passes deadline_ns.
boost::asio::awaitable<bool> wait_until(const std::function<bool()>& pred,
                                        std::int64_t deadline_ns);

// Starts every poller, keeping at most opts.connect_concurrency connects in flight, and
// returns when each has sent its first poll (or failed), or at deadline_ns.
boost::asio::awaitable<bool> start_pollers(run_setup& run,
                                           std::vector<std::unique_ptr<poller>>& pollers,
                                           std::int64_t deadline_ns);

// CPU used by this process and the server between start() and stop().
class cpu_meter {
 public:
  explicit cpu_meter(std::vector<int> server_pids) : server_pids_(std::move(server_pids)) {}
  void start();
  void stop();
  // {"wall_s", "client_cpu_s", "client_cpu_pct", "server_cpu_pct"?, "client_bound"}
  nlohmann::json report() const;
  bool client_bound() const;

 private:
  std::vector<int> server_pids_;
  std::int64_t wall_start_ = 0;
  std::int64_t wall_stop_ = 0;
  double self_start_ = 0;
  double self_stop_ = 0;
  std::optional<double> server_start_;
  std::optional<double> server_stop_;
};

// Fields every scenario reports about its run.
nlohmann::json common_report(const run_setup& run);

}  // namespace pollchat::bench
