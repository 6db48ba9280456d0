#include "server.hpp"

#include <boost/asio/post.hpp>
#include <csignal>
#include <spdlog/spdlog.h>
#include <vector>

#include "http_session.hpp"

namespace pollchat {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

server::server(config settings)
    : ioc_(static_cast<int>(settings.threads)),
      state_(std::move(settings)),
      listener_(std::make_shared<listener>(ioc_, state_, sessions_)),
      signals_(ioc_, SIGINT, SIGTERM) {}

server::~server() {
  if (grace_watchdog_.joinable()) {
    {
      const std::lock_guard lock(grace_mutex_);
      finished_ = true;
    }
    grace_cv_.notify_all();
    grace_watchdog_.join();
  }
}

bool server::open() {
  const auto where = parse_host_port(state_.settings.listen);  // validated by the config
  boost::system::error_code ec;
  tcp::resolver resolver(ioc_);
  const auto results = resolver.resolve(where->host, std::to_string(where->port),
                                        tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    spdlog::error("cannot resolve --listen host '{}': {}", where->host, ec ? ec.message() : "no address");
    return false;
  }
  const tcp::endpoint endpoint = results.begin()->endpoint();
  if (ec = listener_->open(endpoint); ec) {
    spdlog::error("cannot listen on {}: {}", state_.settings.listen, ec.message());
    return false;
  }
  const auto bound = listener_->local_endpoint();
  const std::string host = bound.address().is_v6() ? "[" + bound.address().to_string() + "]"
                                                   : bound.address().to_string();
  spdlog::info("listening on http://{}:{} (epoch {}, {} thread{})", host, bound.port(),
               state_.epoch, state_.settings.threads, state_.settings.threads == 1 ? "" : "s");
  return true;
}

int server::run() {
  signals_.async_wait([this](boost::system::error_code ec, int signo) {
    if (!ec) {
      spdlog::info("signal {}: draining (grace {} s)", signo, state_.settings.shutdown_grace);
      begin_shutdown();
    }
  });
  listener_->run();

  std::vector<std::thread> extra;
  for (unsigned k = 1; k < state_.settings.threads; ++k) {
    extra.emplace_back([this] { ioc_.run(); });
  }
  ioc_.run();
  for (auto& t : extra) {
    t.join();
  }

  bool expired = false;
  {
    const std::lock_guard lock(grace_mutex_);
    finished_ = true;
    expired = grace_expired_;
  }
  grace_cv_.notify_all();
  if (expired) {
    spdlog::error("shutdown grace of {} s exceeded; stopped with work still open",
                  state_.settings.shutdown_grace);
    return 1;
  }
  spdlog::info("stopped cleanly");
  return 0;
}

void server::begin_shutdown() {
  if (state_.draining.exchange(true)) {
    return;  // already draining
  }
  listener_->stop();
  asio::post(ioc_, [this] {
    boost::system::error_code ignored;
    signals_.cancel(ignored);
  });
  state_.rooms.close_all();  // answers every parked poll now, and every later one at once
  for (const auto& session : sessions_.snapshot()) {
    session->stop();
  }
  grace_watchdog_ = std::thread([this] { watch_grace(); });
}

void server::watch_grace() {
  std::unique_lock lock(grace_mutex_);
  const auto grace = std::chrono::seconds(state_.settings.shutdown_grace);
  if (!grace_cv_.wait_for(lock, grace, [this] { return finished_; })) {
    grace_expired_ = true;
    ioc_.stop();
  }
}

}  // namespace pollchat
