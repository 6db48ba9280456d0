#pragma once
// Accepts connections, each on a strand of its own, and hands them to HTTP sessions. Over
// --max-connections a connection is answered 503 and closed instead. Accept errors that mean
// "out of descriptors or memory" pause accepting briefly instead of spinning.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <memory>

#include "server_state.hpp"
#include "session_registry.hpp"

namespace pollchat {

class listener : public std::enable_shared_from_this<listener> {
 public:
  listener(boost::asio::io_context& ioc, server_state& state, session_registry& sessions);

  // Binds and listens; an error means the server cannot serve.
  boost::beast::error_code open(const boost::asio::ip::tcp::endpoint& endpoint);
  boost::asio::ip::tcp::endpoint local_endpoint() const;

  void run();
  void stop();  // closes the acceptor (any thread)

 private:
  void accept();
  void on_accept(boost::beast::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;  // used on its own strand only
  boost::asio::steady_timer pause_;
  server_state& state_;
  session_registry& sessions_;
};

}  // namespace pollchat
