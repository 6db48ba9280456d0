#include "net/listener.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <cerrno>
#include <spdlog/spdlog.h>


namespace pollchat {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

// Errors that say the process or the machine is out of something: retrying at once would spin.
bool is_resource_exhaustion(beast::error_code ec) {
  return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
         ec == asio::error::no_memory || ec.value() == ENFILE;
}

}  // namespace

listener::listener(asio::io_context& ioc, bool one_thread, accept_handler on_socket)
    : ioc_(ioc),
      one_thread_(one_thread),
      acceptor_(asio::make_strand(ioc)),
      pause_(acceptor_.get_executor()),
      on_socket_(std::move(on_socket)) {}

beast::error_code listener::open(const tcp::endpoint& endpoint) {
  beast::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  return ec;
}

tcp::endpoint listener::local_endpoint() const {
  beast::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void listener::run() {
  asio::dispatch(acceptor_.get_executor(), beast::bind_front_handler(&listener::accept, shared_from_this()));
}

void listener::stop() {
  asio::dispatch(acceptor_.get_executor(), [self = shared_from_this()] {
    beast::error_code ignored;
    self->acceptor_.close(ignored);
    self->pause_.cancel();
  });
}

void listener::accept() {
  if (!acceptor_.is_open()) {
    return;
  }
  // Each connection gets a strand of its own, so its handlers never run concurrently; with one
  // I/O thread they cannot anyway, and the plain executor spares every handler the strand.
  auto on_accept = beast::bind_front_handler(&listener::on_accept, shared_from_this());
  if (one_thread_) {
    acceptor_.async_accept(ioc_.get_executor(), std::move(on_accept));
  } else {
    acceptor_.async_accept(asio::make_strand(ioc_), std::move(on_accept));
  }
}

void listener::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) {
    return;  // stopped
  }
  if (ec) {
    if (is_resource_exhaustion(ec)) {
      spdlog::warn("accept: {}; pausing accepts for 100 ms", ec.message());
      pause_.expires_after(std::chrono::milliseconds(100));
      pause_.async_wait([self = shared_from_this()](beast::error_code) { self->accept(); });
      return;
    }
    spdlog::debug("accept: {}", ec.message());  // e.g. the client reset before we got to it
    accept();
    return;
  }
  on_socket_(std::move(socket));
  accept();
}

}  // namespace pollchat
