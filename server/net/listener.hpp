#pragma once
// Accepts connections, each on a strand of its own (with one I/O thread, on that thread: every
// handler already runs alone, and a strand would only cost time), and hands each socket to its handler (which
// starts an HTTP or a TCP session, or refuses the connection over --max-connections). Accept
// errors that mean "out of descriptors or memory" pause accepting briefly instead of spinning.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <functional>
#include <memory>

namespace pollchat {

class listener : public std::enable_shared_from_this<listener> {
 public:
  using accept_handler = std::function<void(boost::asio::ip::tcp::socket)>;

  listener(boost::asio::io_context& ioc, bool one_thread, accept_handler on_socket);

  // Binds and listens; an error means the server cannot serve.
  boost::beast::error_code open(const boost::asio::ip::tcp::endpoint& endpoint);
  boost::asio::ip::tcp::endpoint local_endpoint() const;

  void run();
  void stop();  // closes the acceptor (any thread)

 private:
  void accept();
  void on_accept(boost::beast::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& ioc_;
  const bool one_thread_;
  boost::asio::ip::tcp::acceptor acceptor_;  // used on its own strand only
  boost::asio::steady_timer pause_;
  accept_handler on_socket_;
};

}  // namespace pollchat
