#pragma once
// One HTTP connection: read a request -> screen its header -> read its body -> route -> answer
// now, or park the poll -> wake -> answer; then the next request, in order (pipelining).
//
// Everything a session does runs on its own strand (with --threads 1, on the one I/O thread), so
// its members need no lock. The socket is non-blocking and read by hand: the session waits for
// it to become readable, reads what is there, and feeds the parser itself; answers are written
// at once when the socket takes them. A woken poll therefore
// costs one handler and one send, and a parked one little memory. While a poll is parked the
// session keeps waiting on the socket: it notices a client that leaves (the poll is dropped from
// its room at once, not at its timeout) and buffers a pipelined next request. Its poll timer and
// that wait keep it alive; the room only holds it weakly. Timeouts other than the poll's are a
// `deadline` that the server's sweep enforces.
//
// Behind a durable store (--data-dir) a post, and a poll's join, wait for the store: the
// session hands the message over and waits ("storing"), buffering what the client pipelines
// meanwhile exactly as while a poll is parked; the store calls on_appended() from its writer
// thread once the message is committed and visible, and the answer is written on the strand.
// While it waits the session holds outstanding work on its executor, so a clean stop lets
// every such answer go out before run() returns.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/connection.hpp"
#include "net/deadline.hpp"
#include "http/router.hpp"
#include "core/server_state.hpp"
#include "net/session_registry.hpp"
#include "net/trusted_proxies.hpp"

namespace pollchat {

class http_session : public room_waiter,
                     public append_client,
                     public connection,
                     public std::enable_shared_from_this<http_session> {
 public:
  http_session(boost::asio::ip::tcp::socket&& socket, server_state& state,
               session_registry& registry, const trusted_proxies& trusted);
  ~http_session() override;

  void start();

  // The room has news (any thread): re-check on the strand.
  void notify() override;

  // The store is done with this session's post or join (the store's thread).
  void on_appended(append_result result) override;

  // Shutdown (any thread): an idle keep-alive connection closes now; a busy one closes after
  // its answer.
  void stop() override;

  // The deadline sweep (any thread): past its deadline, the connection closes.
  void check_deadline(std::chrono::steady_clock::time_point now) override;

 private:
  // Input. At most one wait or read turn is pending (`reading_`); what arrives is parsed when a
  // request is being received, buffered while a poll is parked or an answer is being written,
  // and discarded while lingering.
  void await_input();
  void on_readable(boost::beast::error_code ec);
  void start_inbox_read();
  void on_received(boost::beast::error_code ec, std::size_t n);
  bool awaits_request() const;
  void take_input();
  void watch_input();
  enum class read_status { data, drained, failed };
  read_status read_once(std::size_t want);
  std::size_t body_read_size() const;
  void input_failed();

  // Receiving a request.
  void next_request();
  void receive();
  bool on_header();  // false: the request was answered (refused) or waits for 100 Continue
  bool screen_message(const request_header& header);
  bool unparsed_beyond_limit() const;
  void refuse_unbounded_framing();
  void parse_failed(boost::beast::error_code ec);
  void send_continue();
  void handle_request();
  void find_client();

  // Waiting for the store.
  void begin_post(post_plan plan);
  void begin_join(poll_plan plan);
  void finish_append(append_result result);

  void begin_poll(poll_plan plan);
  void on_poll_event();  // every way a poll can end converges here
  void wait_for_wake();
  void answer_poll_and_close();  // too much pipelined behind a parked poll
  void end_poll();

  void send(response&& res, bool close);
  void write_rest(response& res, bool close);
  void skip_written(std::size_t n);
  void on_written(bool close, boost::beast::error_code ec);
  void linger();
  void close();

  // Shutdown: a request being received, or pipelined behind the last answer, gets a 503.
  void refuse_for_drain();
  void answer_pipelined_for_drain();
  bool starts_head_request() const;

  boost::asio::ip::tcp::socket socket_;
  deadline deadline_;
  boost::beast::flat_buffer buffer_;  // bytes read but not yet parsed
  // What an asynchronous read writes into while a request is awaited (read_chunk bytes, kept
  // across keep-alive requests, dropped while a poll is parked). The read owns it while
  // `inbox_busy_`; buffer_ is never handed to an asynchronous read, so it may change meanwhile.
  std::unique_ptr<char[]> inbox_;
  bool inbox_busy_ = false;
  bool answered_ = false;  // an answer was written: the connection is kept alive for more
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  // The request's target as on_header() parsed it for screen(), kept for route(): it views the
  // bytes the parser holds, which the released request takes over (route() checks). On the
  // heap, as only a request being received has one.
  std::unique_ptr<parsed_target> target_;
  server_state& state_;
  session_registry& registry_;
  std::uint64_t registry_id_ = 0;
  router router_;
  const std::string peer_;  // the TCP peer's address
  const std::optional<boost::asio::ip::address> peer_ip_;  // nullopt: unknown (never trusted)
  const trusted_proxies& trusted_;
  // The request's client: the peer, or whom a trusted proxy names. Post rate limit, access log.
  std::string client_;

  // The request being answered.
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool screened_ = false;     // its header has passed screen()
  bool head_request_ = false;  // HEAD: the answer is sent without its body
  std::string request_line_;  // for --access-log only
  std::chrono::steady_clock::time_point request_start_;

  // The poll being waited on.
  std::optional<poll_plan> poll_;
  std::chrono::steady_clock::time_point poll_deadline_;
  boost::asio::steady_timer poll_timer_;
  bool waiting_ = false;  // parked: timer armed, counted in polls_parked
  presence::membership poll_membership_ = 0;  // the room membership the poll holds

  // The post or the poll whose join the store is committing.
  std::optional<post_plan> posting_;
  std::optional<poll_plan> joining_;
  boost::asio::any_io_executor store_work_;  // keeps run() going while the store works

  std::unique_ptr<response> out_;  // an answer being written asynchronously
  std::string wire_head_;                    // its status line and fields, as sent
  std::vector<boost::asio::const_buffer> wire_;  // what is left of it to write
  bool drain_closes_ = false;  // the answer closes the connection only because of the drain
  unsigned inline_depth_ = 0;  // answers written at once in a row (pipelining), to bound the stack

  bool reading_ = false;      // a wait for input (or a read turn) is pending
  bool maybe_more_ = false;   // the last read filled its buffer: the socket may hold more
  // What the connection is doing; what arrives on the socket meanwhile is parsed only while
  // receiving, kept (up to read_ahead_limit) while storing, polling or writing, and discarded
  // while lingering.
  enum class phase {
    receiving,  // waiting for a request (`idle_` until its first byte), or reading it
    storing,    // a post, or a poll's join, is with the store; on_appended() ends it
    polling,    // `poll_` is being decided or is parked (`waiting_`) until a wake or timeout
    writing,    // an answer (or a 100 Continue) is being written
    lingering,  // the last answer is sent: discard input until the client closes or time is up
  };
  phase phase_ = phase::receiving;
  bool idle_ = false;         // receiving, and no byte of the next request yet
  bool client_gone_ = false;
};

}  // namespace pollchat
