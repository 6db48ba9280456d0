#include "http_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <spdlog/spdlog.h>
#include <utility>

namespace pollchat {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using std::chrono::seconds;

constexpr std::size_t header_limit = 8 * 1024;
constexpr std::size_t read_chunk = 1024;
// What a parked session buffers of a pipelined next request before it stops reading.
constexpr std::size_t read_ahead_limit = 16 * 1024;
constexpr auto linger_time = seconds(2);

std::string peer_address(const tcp::socket& socket) {
  beast::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  return ec ? std::string("unknown") : endpoint.address().to_string();
}

// Errors of the HTTP parser (answered 400), as opposed to the socket's (nobody to answer).
bool is_parse_error(beast::error_code ec) {
  return ec.category() == beast::error_code(http::error::bad_target).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message;
}

response body_too_large(std::size_t max_body) {
  return router::error({http::status::payload_too_large, "body_too_large",
                        fmt::format("the request body is limited to {} bytes", max_body)});
}

// A client id lets its holder leave: it never reaches the access log.
std::string redact_client(std::string_view target) {
  const auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed || !parsed->has_query()) {
    return std::string(target);
  }
  boost::urls::url copy(*parsed);
  if (copy.params().contains("client")) {
    copy.params().set("client", "-");
  }
  return std::string(copy.buffer());
}

bool expects_continue(const request_header& header) {
  return beast::iequals(header[http::field::expect], "100-continue");
}

}  // namespace

http_session::http_session(tcp::socket&& socket, server_state& state, session_registry& registry)
    : stream_(std::move(socket)),
      state_(state),
      registry_(registry),
      router_(state),
      peer_(peer_address(stream_.socket())),
      poll_timer_(stream_.get_executor()) {
  state_.connections_open.fetch_add(1);
}

http_session::~http_session() {
  // The room holds this waiter by identity: leave it before the memory goes.
  if (poll_) {
    poll_->target->cancel_wait(*this);
    if (!poll_->client.empty()) {
      poll_->target->poll_ended(poll_->client);
    }
  }
  if (waiting_) {
    state_.counters.polls_parked.fetch_sub(1);
  }
  registry_.remove(registry_id_);
  state_.connections_open.fetch_sub(1);
}

void http_session::start() {
  registry_id_ = registry_.add(weak_from_this());
  // The socket was accepted on a strand of its own; run everything there.
  asio::dispatch(stream_.get_executor(),
                 beast::bind_front_handler(&http_session::read_request, shared_from_this()));
}

void http_session::notify() {
  asio::post(stream_.get_executor(),
             beast::bind_front_handler(&http_session::on_poll_event, shared_from_this()));
}

void http_session::stop() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    // Idle, or in the middle of receiving a request: the read ends and the session closes.
    // A parked poll is answered by its closed room; an answer being written finishes first.
    if (self->idle_ || (self->reading_ && !self->poll_ && !self->writing_)) {
      self->stream_.cancel();
    }
  });
}

// --- reading a request --------------------------------------------------------------------

void http_session::read_request() {
  if (state_.draining.load()) {
    close();
    return;
  }
  parser_.emplace();
  parser_->header_limit(header_limit);
  parser_->body_limit(boost::none);  // set once the header passed screen()
  if (buffer_.size() == 0) {
    // Nothing buffered: wait for the request to begin under the keep-alive idle timeout.
    idle_ = true;
    stream_.expires_after(seconds(state_.settings.idle_timeout));
    read_some();
  } else {
    read_header();
  }
}

void http_session::read_some() {
  reading_ = true;
  stream_.async_read_some(buffer_.prepare(read_chunk),
                          beast::bind_front_handler(&http_session::on_read_some, shared_from_this()));
}

// Completes the plain reads: waiting for a request to begin, and watching a parked poll's
// connection (disconnect, or a pipelined request arriving early).
void http_session::on_read_some(beast::error_code ec, std::size_t bytes) {
  reading_ = false;
  idle_ = false;
  if (std::exchange(restart_read_, false) && (!ec || ec == asio::error::operation_aborted)) {
    // The read kept while parked was cancelled on purpose (its deadline could not be changed):
    // keep what it got and start over with the right deadline.
    if (!ec) {
      buffer_.commit(bytes);
    }
    if (lingering_) {
      linger();
    } else {
      read_request();
    }
    return;
  }
  if (lingering_) {
    if (ec) {
      close();
    } else {
      buffer_.commit(bytes);
      buffer_.consume(buffer_.size());
      read_some();
    }
    return;
  }
  if (ec) {
    client_gone_ = true;
    if (poll_) {
      on_poll_event();  // drops the poll from its room now, not at its timeout
    } else if (!writing_) {
      close();
    }
    return;
  }
  buffer_.commit(bytes);
  if (poll_) {
    if (buffer_.size() < read_ahead_limit) {
      read_some();
    }
    return;
  }
  if (!writing_) {
    read_header();
  }
}

void http_session::read_header() {
  if (!parser_) {
    read_request();
    return;
  }
  request_start_ = std::chrono::steady_clock::now();
  stream_.expires_after(seconds(state_.settings.io_timeout));
  reading_ = true;
  http::async_read_header(stream_, buffer_, *parser_,
                          [self = shared_from_this()](beast::error_code ec, std::size_t) {
                            self->reading_ = false;
                            self->on_header(ec);
                          });
}

void http_session::on_header(beast::error_code ec) {
  if (ec == http::error::header_limit) {
    send(router::error({http::status::request_header_fields_too_large, "headers_too_large",
                        "the request line and headers must fit in 8 KiB"}),
         true);
    return;
  }
  if (read_failed(ec)) {
    return;
  }

  const auto& header = parser_->get();
  version_ = header.version();
  keep_alive_ = header.keep_alive();
  if (state_.settings.access_log) {
    request_line_ = fmt::format("{} {}", std::string_view(header.method_string()),
                                redact_client(header.target()));
  }
  if (auto refusal = router_.screen(header, peer_)) {
    // The body was not read, so where the next request starts is unknown: close after this.
    send(std::move(*refusal), !parser_->is_done() || !keep_alive_);
    return;
  }
  // Checked here rather than by the parser so that a missing token is reported first.
  const std::size_t max_body = state_.settings.max_body;
  if (const auto length = parser_->content_length(); length && *length > max_body) {
    send(body_too_large(max_body), true);
    return;
  }
  parser_->body_limit(max_body);  // for chunked bodies
  if (version_ >= 11 && expects_continue(header) && !parser_->is_done()) {
    send_continue();
    return;
  }
  read_body();
}

// After a failed read of a request: a malformed one is answered 400; otherwise the client left,
// stalled, or the socket failed, and there is nobody to answer. Both close. False: no error.
bool http_session::read_failed(beast::error_code ec) {
  if (!ec) {
    return false;
  }
  if (is_parse_error(ec)) {
    send(router::error({http::status::bad_request, "bad_request",
                        fmt::format("malformed HTTP request: {}", ec.message())}),
         true);
  } else {
    close();
  }
  return true;
}

void http_session::send_continue() {
  static constexpr std::string_view interim = "HTTP/1.1 100 Continue\r\n\r\n";
  stream_.expires_after(seconds(state_.settings.io_timeout));
  writing_ = true;
  asio::async_write(stream_, asio::buffer(interim.data(), interim.size()),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                      self->writing_ = false;
                      if (ec) {
                        self->close();
                        return;
                      }
                      self->state_.counters.count_response(100);
                      self->read_body();
                    });
}

void http_session::read_body() {
  stream_.expires_after(seconds(state_.settings.io_timeout));
  reading_ = true;
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code ec, std::size_t) {
                     self->reading_ = false;
                     self->on_body(ec);
                   });
}

void http_session::on_body(beast::error_code ec) {
  if (ec == http::error::body_limit) {
    send(body_too_large(state_.settings.max_body), true);
    return;
  }
  if (read_failed(ec)) {
    return;
  }
  handle_request();
}

void http_session::handle_request() {
  const request req = parser_->release();
  parser_.reset();
  route_result routed = router_.route(req, peer_);
  if (routed.poll) {
    begin_poll(std::move(*routed.poll));
  } else {
    send(std::move(*routed.reply), !keep_alive_);
  }
}

// --- the long-poll ------------------------------------------------------------------------

void http_session::begin_poll(poll_plan plan) {
  poll_deadline_ = std::chrono::steady_clock::now() + plan.timeout;
  poll_ = std::move(plan);
  if (!poll_->client.empty()) {
    poll_->target->poll_began(poll_->client);  // a member while this poll is parked
  }
  on_poll_event();
}

// Wake-up, timeout, disconnect and shutdown all arrive here, and none is trusted to say why:
// the room is asked again what is after the cursor. A stale or duplicate call is harmless.
void http_session::on_poll_event() {
  if (!poll_) {
    return;  // that poll has been answered already
  }
  if (client_gone_) {
    end_poll();
    close();
    return;
  }
  room& target = *poll_->target;
  poll_outcome outcome = target.poll(poll_->cursor, poll_->limit, shared_from_this());
  if (outcome.state == poll_state::parked) {
    if (std::chrono::steady_clock::now() < poll_deadline_) {
      wait_for_wake();
      return;
    }
    target.cancel_wait(*this);
    outcome.messages = target.read(poll_->cursor, poll_->limit);  // timed out: nothing new
  }
  response res = outcome.state == poll_state::closed ? router::shutting_down()
                                                     : router_.answer_poll(*poll_, outcome.messages);
  end_poll();
  send(std::move(res), !keep_alive_);
}

void http_session::wait_for_wake() {
  if (waiting_) {
    return;
  }
  waiting_ = true;
  state_.counters.polls_parked.fetch_add(1);
  if (buffer_.size() == 0) {
    buffer_.shrink_to_fit();  // a parked poll should cost little memory
  }
  // The poll timer owns the deadline now; the socket read only watches for the client.
  stream_.expires_never();
  poll_timer_.expires_at(poll_deadline_);
  poll_timer_.async_wait([self = shared_from_this()](beast::error_code) { self->on_poll_event(); });
  if (!reading_) {
    read_some();
  }
}

void http_session::end_poll() {
  if (waiting_) {
    waiting_ = false;
    state_.counters.polls_parked.fetch_sub(1);
    poll_->target->cancel_wait(*this);
    poll_timer_.cancel();
  }
  if (!poll_->client.empty()) {
    poll_->target->poll_ended(poll_->client);
  }
  poll_.reset();
}

// --- writing ------------------------------------------------------------------------------

void http_session::send(response res, bool close_after) {
  close_after = close_after || state_.draining.load();
  res.version(version_);
  res.keep_alive(!close_after);
  res.set(http::field::server, "pollchat");
  res.prepare_payload();
  const unsigned status = res.result_int();
  state_.counters.count_response(status);
  if (state_.settings.access_log) {
    const auto elapsed = std::chrono::steady_clock::now() - request_start_;
    spdlog::info("access {} \"{}\" {} {:.1f}ms", peer_, request_line_, status,
                 std::chrono::duration<double, std::milli>(elapsed).count());
  }
  out_ = std::move(res);
  // Reset the deadline: after a long park the previous one is long spent.
  stream_.expires_after(seconds(state_.settings.io_timeout));
  writing_ = true;
  gather_response(*out_, wire_head_, wire_);
  asio::async_write(stream_, wire_,
                    [self = shared_from_this(), close_after](beast::error_code ec, std::size_t) {
                      self->on_write(close_after, ec);
                    });
}

void http_session::on_write(bool close_after, beast::error_code ec) {
  writing_ = false;
  out_.reset();
  wire_.clear();
  if (ec || client_gone_) {
    close();
    return;
  }
  if (close_after || state_.draining.load()) {
    linger();
    return;
  }
  if (reading_) {
    // The read kept while parked runs without a deadline, and a pending read's deadline cannot
    // be changed: cancel it; on_read_some keeps its bytes and reads the next request.
    restart_read_ = true;
    stream_.cancel();
    return;
  }
  read_request();
}

// Half-close, then drain what the client still sends for a moment: closing with unread bytes
// would reset the connection and could destroy the answer before the client reads it.
void http_session::linger() {
  if (!lingering_) {
    lingering_ = true;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) {
      close();
      return;
    }
  }
  if (reading_) {
    restart_read_ = true;  // a pending read has no linger deadline: restart it with one
    stream_.cancel();
    return;
  }
  buffer_.consume(buffer_.size());
  stream_.expires_after(linger_time);
  read_some();  // on_read_some discards until the client closes or the linger time ends
}

void http_session::close() {
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream_.close();
}

}  // namespace pollchat
