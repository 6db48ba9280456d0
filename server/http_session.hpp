#pragma once
// One HTTP connection: read a request -> screen its header -> read its body -> route -> answer
// now, or park the poll -> wake -> answer; then the next request, in order (pipelining).
//
// Everything a session does runs on its own strand, so its members need no lock. While a poll
// is parked the session keeps one read pending on the socket: it notices a client that leaves
// (the poll is dropped from its room at once, not at its timeout) and buffers a pipelined next
// request. Its poll timer and that read are what keep it alive; the room only holds it weakly.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connection.hpp"
#include "router.hpp"
#include "server_state.hpp"
#include "session_registry.hpp"

namespace pollchat {

class http_session : public room_waiter,
                     public connection,
                     public std::enable_shared_from_this<http_session> {
 public:
  http_session(boost::asio::ip::tcp::socket&& socket, server_state& state,
               session_registry& registry);
  ~http_session() override;

  void start();

  // The room has news (any thread): re-check on the strand.
  void notify() override;

  // Shutdown (any thread): an idle keep-alive connection closes now; a busy one closes after
  // its answer.
  void stop() override;

 private:
  void read_request();
  void read_some();
  void on_read_some(boost::beast::error_code ec, std::size_t bytes);
  void read_header();
  void on_header(boost::beast::error_code ec);
  bool read_failed(boost::beast::error_code ec);
  void send_continue();
  void read_body();
  void on_body(boost::beast::error_code ec);
  void handle_request();

  void begin_poll(poll_plan plan);
  void on_poll_event();  // every way a poll can end converges here
  void wait_for_wake();
  void end_poll();

  void send(response res, bool close);
  void on_write(bool close, boost::beast::error_code ec);
  void linger();
  void close();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;  // bytes read but not yet parsed
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  server_state& state_;
  session_registry& registry_;
  std::uint64_t registry_id_ = 0;
  router router_;
  const std::string peer_;  // client address, for the post rate limit and logs

  // The request being answered.
  unsigned version_ = 11;
  bool keep_alive_ = true;
  std::string request_line_;  // for --access-log only
  std::chrono::steady_clock::time_point request_start_;

  // The poll being waited on.
  std::optional<poll_plan> poll_;
  std::chrono::steady_clock::time_point poll_deadline_;
  boost::asio::steady_timer poll_timer_;
  bool waiting_ = false;  // parked: timer armed, counted in polls_parked

  std::optional<response> out_;  // the response being written
  std::string wire_head_;                    // its status line and fields, as sent
  std::vector<boost::asio::const_buffer> wire_;  // the gather list of the write in flight
  bool reading_ = false;         // a read on the socket is pending
  bool writing_ = false;
  bool idle_ = false;            // waiting for a request to begin
  bool client_gone_ = false;
  bool lingering_ = false;
  bool restart_read_ = false;  // the pending read was cancelled on purpose: start it over     // the last answer is sent: discard input, then close
};

}  // namespace pollchat
