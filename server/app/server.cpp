#include "app/server.hpp"

#include <boost/asio/post.hpp>
#include <unistd.h>
#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <malloc.h>
#include <spdlog/spdlog.h>
#include <vector>

#include "http/http_session.hpp"
#include "net/overload_reply.hpp"
#include "store/redis/redis_store.hpp"
#include "net/refusal_log.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "tcp/tcp_session.hpp"

namespace pollchat {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
constexpr auto sweep_interval = std::chrono::milliseconds(250);
constexpr auto drain_tick = std::chrono::milliseconds(10);
// Rooms and Idempotency-Keys past their time are looked for this often, or as often as
// --room-expiry when it is shorter (each look visits every room, without sorting or copying).
constexpr auto max_expiry_interval = std::chrono::seconds(10);
// Freed memory past this is handed back to the system (glibc keeps it otherwise).
constexpr std::size_t trim_threshold = std::size_t{32} << 20;
constexpr auto min_trim_interval = std::chrono::seconds(5);
// ... and so it is after this many connections closed (a wave of readers gone).
constexpr std::size_t connection_wave = 1000;

// The resident memory of this process in MiB, for the startup log (0 when unknown).
long resident_mib() {
  long pages = 0;
  long resident = 0;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) {
      resident = 0;
    }
    std::fclose(f);
  }
  return resident * sysconf(_SC_PAGESIZE) / (1024 * 1024);
}
// Descriptors the server needs besides its connections: listeners, epoll, the log, the files of
// a store (64), and the over-cap connections being answered (at most 64, net/overload_reply).
constexpr rlim_t descriptor_margin = 128;

// Each connection is a descriptor. Distributions start processes with a soft limit of 1024
// whatever the hard limit: raise it as far as allowed, and say so when that is still too low
// for --max-connections (clients beyond it would wait in the accept backlog).
void raise_open_files_limit(std::size_t max_connections) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return;
  }
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      limit = raised;
    }
  }
  const rlim_t wanted = static_cast<rlim_t>(max_connections) + descriptor_margin;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < wanted) {
    spdlog::warn("open files limit is {}, below --max-connections {} + {}; raise it (ulimit -n, "
                 "LimitNOFILE=, docker --ulimit nofile=) or lower --max-connections",
                 limit.rlim_cur, max_connections, descriptor_margin);
  }
}
}  // namespace

std::unique_ptr<message_store> open_store(const config& settings, std::string& error) {
  if (!settings.redis.empty()) {
    return redis::redis_store::open(settings, error);
  }
  if (settings.data_dir.empty()) {
    return nullptr;
  }
  return sqlite_store::open(settings, error);
}

server::server(config settings, trusted_proxies trusted, std::unique_ptr<message_store> store)
    : store_(std::move(store)),
      loaded_(store_ ? store_->take_loaded() : loaded_state{}),
      state_(std::move(settings), loaded_.epoch),
      trusted_(std::move(trusted)),
      ioc_(static_cast<int>(state_.settings.threads)),
      http_(std::make_shared<listener>(ioc_, state_.settings.threads == 1,
                                       [this](tcp::socket s) { accept_http(std::move(s)); })),
      signals_(ioc_, SIGINT, SIGTERM),
      housekeeping_(asio::make_strand(ioc_)),
      presence_timer_(housekeeping_),
      deadline_timer_(housekeeping_) {
  if (!state_.settings.tcp_listen.empty()) {
    tcp_ = std::make_shared<listener>(ioc_, state_.settings.threads == 1,
                                      [this](tcp::socket s) { accept_tcp(std::move(s)); });
  }
  if (store_) {
    restore();
  }
}

// Rooms, messages and keys from the store, before anyone can read; then the store takes over.
void server::restore() {
  std::size_t rooms = 0;
  for (auto& loaded : loaded_.rooms) {
    const auto r = state_.rooms.find_or_create(loaded.name);
    if (!r) {
      spdlog::warn("store: room '{}' not loaded: over --max-rooms ({})", loaded.name,
                   state_.settings.max_rooms);
      continue;
    }
    ++rooms;
    r->restore(loaded.recent);
    for (auto& key : loaded.keys) {
      r->restore_key(std::move(key.value), std::move(key.message), key.stored);
    }
  }
  const auto took = std::chrono::steady_clock::now() - loaded_.began;
  if (!state_.settings.data_dir.empty()) {  // (Redis is read once it is reached, later)
    spdlog::info("store: {} loaded: {} rooms, {} messages in {} ms (--sync {}, RSS {} MiB)",
                 state_.settings.data_dir, rooms, loaded_.messages,
                 std::chrono::duration_cast<std::chrono::milliseconds>(took).count(),
                 state_.settings.sync, resident_mib());
  }
  loaded_ = {};
  state_.store = store_.get();
  state_.rooms.on_create([store = store_.get()](const std::shared_ptr<room>& r) {
    store->room_created(r);
  });
  store_->bind(state_);
  store_->start();
}

// Every member leaves, then everything queued is committed.
void server::close_store() {
  if (!store_) {
    return;
  }
  std::size_t leaves = 0;
  for (const auto& r : state_.rooms.list()) {
    for (auto& leave : r->dismiss_all()) {
      emit(*store_, r, std::move(leave));
      ++leaves;
    }
  }
  store_->close();
  spdlog::info("store: closed ({} members left)", leaves);
}

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
  raise_open_files_limit(state_.settings.max_connections);
  if (trusted_.trusts_everyone()) {
    spdlog::warn("--trusted-proxies trusts every address: any client can choose its own "
                 "address with X-Forwarded-For, and so escape its rate limit");
  }
  // HTTP last: its "listening on" line tells whoever waits for it that everything is bound.
  return (!tcp_ || open_listener(*tcp_, state_.settings.tcp_listen, "tcp")) &&
         open_listener(*http_, state_.settings.listen, "http");
}

bool server::open_listener(listener& l, const std::string& address, const char* scheme) {
  const auto where = parse_host_port(address);  // validated by the config
  boost::system::error_code ec;
  tcp::resolver resolver(ioc_);
  const auto results = resolver.resolve(where->host, std::to_string(where->port),
                                        tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    spdlog::error("cannot resolve '{}': {}", where->host, ec ? ec.message() : "no address");
    return false;
  }
  if (ec = l.open(results.begin()->endpoint()); ec) {
    spdlog::error("cannot listen on {}: {}", address, ec.message());
    return false;
  }
  const auto bound = l.local_endpoint();
  const std::string host = bound.address().is_v6() ? "[" + bound.address().to_string() + "]"
                                                   : bound.address().to_string();
  spdlog::info("listening on {}://{}:{} (epoch {}, {} thread{})", scheme, host, bound.port(),
               *state_.epoch.get(), state_.settings.threads, state_.settings.threads == 1 ? "" : "s");
  return true;
}

void server::accept_http(tcp::socket socket) {
  if (state_.connections_open.load() >= state_.settings.max_connections) {
    log_refusal(refusal::connections_full, state_.settings.max_connections);
    reply_overloaded_http(std::move(socket), state_.counters);
    return;
  }
  std::make_shared<http_session>(std::move(socket), state_, sessions_, trusted_)->start();
}

void server::accept_tcp(tcp::socket socket) {
  if (state_.draining.load()) {
    return;  // closing the socket is the answer: the server is going away
  }
  if (state_.connections_open.load() >= state_.settings.max_connections) {
    log_refusal(refusal::connections_full, state_.settings.max_connections);
    reply_overloaded_tcp(std::move(socket));
    return;
  }
  std::make_shared<tcp_session>(std::move(socket), state_, sessions_)->start();
}

// HTTP members leave --presence-grace seconds after their last poll; checked once a second in
// the rooms that have HTTP members. Every ten seconds, rooms and keys past their time go too.
void server::sweep_presence() {
  presence_timer_.expires_after(std::chrono::seconds(1));
  presence_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || state_.draining.load()) {
      return;
    }
    // Leaves go through the store like every message (durable, numbered there).
    message_store& store = store_of(state_);
    state_.rooms.expire_members(std::chrono::seconds(state_.settings.presence_grace),
                                [&store](const std::shared_ptr<room>& r, message_draft leave) {
                                  emit(store, r, std::move(leave));
                                });
    const auto now = std::chrono::steady_clock::now();
    const auto expiry_interval =
        std::min<std::chrono::steady_clock::duration>(max_expiry_interval,
                                                      std::chrono::seconds(state_.settings.room_expiry));
    if (now - last_expiry_ >= expiry_interval) {
      last_expiry_ = now;
      const std::size_t gone = state_.rooms.expire_rooms(now);
      if (gone != 0) {
        spdlog::info("{} empty room{} expired", gone, gone == 1 ? "" : "s");
      }
      state_.rooms.expire_keys(now);
    }
    release_memory();
    sweep_presence();
  });
}

// After a spike (a relief, expired rooms, a wave of readers gone), glibc keeps the freed pages
// for later; past a threshold (bytes of messages freed, or connections closed since the peak)
// they are handed back so that RSS falls with the load.
void server::release_memory() {
  released_since_trim_ += state_.memory.take_released();
  const std::size_t open = state_.connections_open.load();
  peak_connections_ = std::max(peak_connections_, open);
  const bool wave_gone = peak_connections_ >= open + connection_wave;
  const auto now = std::chrono::steady_clock::now();
  // A trim walks the heap on this I/O thread: at most one every few seconds under churn.
  if ((released_since_trim_ >= trim_threshold || wave_gone) &&
      now - last_trim_ >= min_trim_interval) {
    released_since_trim_ = 0;
    peak_connections_ = open;
    last_trim_ = now;
    malloc_trim(0);
  }
}

// Connection deadlines (idle, slow request, slow reader, lingering close), four times a second.
// While draining it looks every 10 ms for the last connection to go, so that the io_context,
// which this timer keeps busy, finishes at once; it sweeps every 250 ms still.
void server::sweep_deadlines() {
  deadline_timer_.expires_after(state_.draining.load() ? drain_tick : sweep_interval);
  // Cancelled only by begin_shutdown, to switch to the draining tick at once: carry on.
  deadline_timer_.async_wait([this](boost::system::error_code) {
    const bool draining = state_.draining.load();
    if (draining && sessions_.size() == 0) {
      return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (!draining || now - last_sweep_ >= sweep_interval) {
      last_sweep_ = now;
      for (const auto& session : sessions_.snapshot()) {
        session->check_deadline(now);
      }
    }
    sweep_deadlines();
  });
}

int server::run() {
  signals_.async_wait([this](boost::system::error_code ec, int signo) {
    if (!ec) {
      spdlog::info("signal {}: draining (grace {} s)", signo, state_.settings.shutdown_grace);
      begin_shutdown();
    }
  });
  http_->run();
  if (tcp_) {
    tcp_->run();
  }
  sweep_presence();
  sweep_deadlines();

  std::vector<std::thread> extra;
  for (unsigned k = 1; k < state_.settings.threads; ++k) {
    extra.emplace_back([this] { ioc_.run(); });
  }
  ioc_.run();
  for (auto& t : extra) {
    t.join();
  }
  close_store();

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
  http_->stop();
  if (tcp_) {
    tcp_->stop();
  }
  asio::post(housekeeping_, [this] {
    boost::system::error_code ignored;
    signals_.cancel(ignored);
    presence_timer_.cancel();
    deadline_timer_.cancel();  // its handler goes on with the draining tick
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
