#pragma once
// Wires a server together: state, listener, I/O threads, signals, and the clean stop.
//
// Shutdown: a signal closes the acceptor, marks the server draining, closes every room (each
// parked poll is answered 503 at once) and stops idle keep-alive connections; busy ones close
// after their answer. run() then returns by itself when the last connection is gone. A
// watchdog is the backstop: past --shutdown-grace it stops the loop and run() reports failure.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "config.hpp"
#include "listener.hpp"
#include "server_state.hpp"
#include "session_registry.hpp"

namespace pollchat {

class server {
 public:
  explicit server(config settings);
  ~server();

  // Resolves and binds --listen; false (with the reason logged) when it cannot.
  bool open();

  // Serves until a signal has drained every connection. Returns the process exit code.
  int run();

  // What a signal does; callable from any thread (tests).
  void begin_shutdown();

  boost::asio::ip::tcp::endpoint local_endpoint() const { return listener_->local_endpoint(); }
  server_state& state() { return state_; }

 private:
  void watch_grace();

  boost::asio::io_context ioc_;
  server_state state_;
  session_registry sessions_;
  std::shared_ptr<listener> listener_;
  boost::asio::signal_set signals_;

  std::mutex grace_mutex_;
  std::condition_variable grace_cv_;
  bool finished_ = false;      // guarded by grace_mutex_
  bool grace_expired_ = false;  // guarded by grace_mutex_
  std::thread grace_watchdog_;
};

}  // namespace pollchat
