#pragma once
// Wires a server together: state, listeners (HTTP, and the TCP line room when asked), I/O
// threads, the presence sweeper, signals, and the clean stop.
//
// Shutdown: a signal closes the acceptors, marks the server draining, closes every room (each
// parked poll is answered 503 at once, each TCP client is told goodbye) and stops idle
// keep-alive connections; busy ones close after their answer. run() then returns by itself when the last connection is gone. A
// watchdog is the backstop: past --shutdown-grace it stops the loop and run() reports failure.
// Sessions waiting for the store hold work on the loop, so their answers go out before run()
// returns. Then, with a durable store: every member still in a room leaves (presence is not
// kept across a restart, so the history never keeps a join without its leave), and the store
// commits everything queued and stops.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "core/config.hpp"
#include "net/listener.hpp"
#include "core/server_state.hpp"
#include "net/session_registry.hpp"
#include "store/message_store.hpp"
#include "net/trusted_proxies.hpp"

namespace pollchat {

// The store --data-dir asks for (created, checked, locked and loaded), or nullptr for the
// in-memory one. On failure nullptr and `error` says why; the caller exits 2 before listening.
std::unique_ptr<message_store> open_store(const config& settings, std::string& error);

class server {
 public:
  // `trusted` is settings.trusted_proxies, parsed (main() refuses a bad list before this).
  explicit server(config settings, trusted_proxies trusted = {},
                  std::unique_ptr<message_store> store = nullptr);
  ~server();

  // Resolves and binds --listen (and --tcp-listen); false, with the reason logged, when it
  // cannot.
  bool open();

  // Serves until a signal has drained every connection. Returns the process exit code.
  int run();

  // What a signal does; callable from any thread (tests).
  void begin_shutdown();

  boost::asio::ip::tcp::endpoint local_endpoint() const { return http_->local_endpoint(); }
  server_state& state() { return state_; }

 private:
  void watch_grace();
  void accept_http(boost::asio::ip::tcp::socket socket);
  void accept_tcp(boost::asio::ip::tcp::socket socket);
  bool open_listener(listener& l, const std::string& address, const char* scheme);
  void sweep_presence();
  void release_memory();
  void sweep_deadlines();
  void restore();
  void close_store();

  // Declared first: sessions and rooms hand it messages until the very end.
  std::unique_ptr<message_store> store_;
  loaded_state loaded_;  // what the store held at start; emptied once the rooms have it
  // Declared before the io_context: if the grace runs out, handlers still holding sessions are
  // destroyed with the io_context, and those sessions still use the state and the registry.
  server_state state_;
  session_registry sessions_;
  const trusted_proxies trusted_;  // read-only: every HTTP session reads it, on any thread
  boost::asio::io_context ioc_;
  std::shared_ptr<listener> http_;
  std::shared_ptr<listener> tcp_;  // null unless --tcp-listen
  boost::asio::signal_set signals_;
  // The two timers below run their handlers there, and shutdown cancels them there.
  boost::asio::strand<boost::asio::io_context::executor_type> housekeeping_;
  boost::asio::steady_timer presence_timer_;  // expires idle HTTP members
  boost::asio::steady_timer deadline_timer_;  // closes connections past their deadline
  std::chrono::steady_clock::time_point last_sweep_;  // used by the deadline timer's handler only
  std::chrono::steady_clock::time_point last_expiry_;  // used by the presence timer's handler only
  std::size_t released_since_trim_ = 0;                // used by the presence timer's handler only
  std::chrono::steady_clock::time_point last_trim_;    // used by the presence timer's handler only
  std::size_t peak_connections_ = 0;                   // used by the presence timer's handler only

  std::mutex grace_mutex_;
  std::condition_variable grace_cv_;
  bool finished_ = false;      // guarded by grace_mutex_
  bool grace_expired_ = false;  // guarded by grace_mutex_
  std::thread grace_watchdog_;
};

}  // namespace pollchat
