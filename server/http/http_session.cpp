#include "http/http_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <spdlog/spdlog.h>
#include <algorithm>
#include <cassert>
#include <cstring>
#include <span>

#include "net/client_address.hpp"
#include <utility>

#include "http/header_fields.hpp"
#include "http/request_rules.hpp"

namespace pollchat {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using std::chrono::seconds;

constexpr std::size_t header_limit = 8 * 1024;
constexpr std::size_t read_chunk = 1024;
// The most one read takes of a large body (a request head is read read_chunk at a time).
constexpr std::size_t body_read_limit = 64 * 1024;
// What a parked session buffers of a pipelined next request before it stops reading.
constexpr std::size_t read_ahead_limit = 16 * 1024;
// Reads in one turn before yielding to other connections (a client that streams input).
constexpr int reads_per_turn = 16;
// Answers written at once in a row before the next one goes through the scheduler: a client
// that pipelines many requests must not grow the stack without bound.
constexpr unsigned max_inline_depth = 8;
constexpr auto linger_time = seconds(2);
// While draining the lingering close is shorter: the process is about to go, and --shutdown-grace
// must leave room for it.
constexpr auto drain_linger_time = std::chrono::milliseconds(500);

// While draining, an answer being written gets what the grace leaves after its lingering close
// and a sweep (a second), or a quarter of a short grace: a client that stops reading a large
// answer would otherwise hold it for --io-timeout, past the grace (SPEC §6: exit 0 within it).
std::chrono::milliseconds drain_write_time(unsigned grace_seconds) {
  const auto grace = std::chrono::milliseconds(seconds(grace_seconds));
  return std::max<std::chrono::milliseconds>(grace - seconds(1), grace / 4);
}
// The kernel's send buffer of an HTTP socket (it reserves twice this for its bookkeeping).
// Left to autotuning it grows to megabytes per connection (tcp_wmem), and a reader that stops
// reading a large answer would pin all of it; bounded, the rest of the answer waits in the
// session (shared message bytes) until --io-timeout closes the connection.
constexpr int send_buffer_size = 64 * 1024;

std::optional<asio::ip::address> peer_ip(const tcp::socket& socket) {
  beast::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  return ec ? std::nullopt : std::optional(endpoint.address());
}

std::string peer_address(const tcp::socket& socket) {
  beast::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  return ec ? std::string("unknown") : endpoint.address().to_string();
}

response body_too_large(std::size_t max_body) {
  return router::error({http::status::payload_too_large, "body_too_large",
                        fmt::format("the request body is limited to {} bytes (chat-server "
                                    "--max-body raises it)",
                                    max_body)});
}

// A client id lets its holder leave: it never reaches the access log.
std::string redact_client(std::string_view target) {
  const auto parsed = parse_target(target);
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
  return beast::iequals(field_value(header, http::field::expect), "100-continue");
}

}  // namespace

http_session::http_session(tcp::socket&& socket, server_state& state, session_registry& registry,
                           const trusted_proxies& trusted)
    : socket_(std::move(socket)),
      state_(state),
      registry_(registry),
      router_(state),
      peer_(peer_address(socket_)),
      peer_ip_(peer_ip(socket_)),
      trusted_(trusted),
      client_(peer_),
      poll_timer_(socket_.get_executor()) {
  state_.connections_open.fetch_add(1);
}

http_session::~http_session() {
  // The room holds this waiter by identity: leave it before the memory goes.
  if (poll_) {
    poll_->target->cancel_wait(*this);
    if (!poll_->client.empty()) {
      poll_->target->poll_ended(poll_->client, poll_membership_);
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
  // The socket was accepted on its own strand (or the one I/O thread); run everything there.
  asio::dispatch(socket_.get_executor(), [self = shared_from_this()] {
    beast::error_code ec;
    self->socket_.non_blocking(true, ec);
    // Every answer is one write: Nagle could only hold one back behind an unacknowledged
    // earlier one (a 100 Continue, a pipelined answer) for the client's delayed ACK.
    if (!ec) {
      self->socket_.set_option(tcp::no_delay(true), ec);
    }
    if (!ec) {
      self->socket_.set_option(asio::socket_base::send_buffer_size(send_buffer_size), ec);
    }
    if (ec) {
      self->close();
      return;
    }
    self->next_request();
  });
}

void http_session::notify() {
  asio::post(socket_.get_executor(),
             beast::bind_front_handler(&http_session::on_poll_event, shared_from_this()));
}

void http_session::on_appended(append_result result) {
  asio::post(socket_.get_executor(),
             [self = shared_from_this(), result = std::move(result)]() mutable {
               self->finish_append(std::move(result));
             });
}

void http_session::stop() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    // Idle: close now; in the middle of receiving a request: answer it 503. A parked poll is
    // answered by its closed room; an answer being written, or waited for from the store, finishes first (and a request
    // pipelined behind it is then answered 503), a write within drain_write_time; a lingering
    // close runs out.
    if (self->phase_ == phase::receiving) {
      self->refuse_for_drain();
    } else if (self->phase_ == phase::writing) {
      self->deadline_.shorten_to(drain_write_time(self->state_.settings.shutdown_grace));
    }
  });
}

void http_session::check_deadline(std::chrono::steady_clock::time_point now) {
  if (!deadline_.passed(now)) {
    return;
  }
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    // Checked again on the strand: the session may have moved on since the sweep looked.
    if (self->deadline_.passed(deadline::clock::now())) {
      self->close();
    }
  });
}

// --- input --------------------------------------------------------------------------------

// Makes sure the next bytes, or the client leaving, will be noticed. When the last read may have
// left bytes behind, a read turn is scheduled instead of a wait: a wait costs a system call
// (Asio re-arms the descriptor with epoll) and a trip through epoll for bytes already there.
//
// While a keep-alive connection awaits its next request, the wait is a read into the inbox:
// Asio registers the socket edge-triggered once and only re-arms it for a bare wait, so the
// next request then costs one recv and no epoll_ctl (nginx's two system calls per request: a
// read and a write). Elsewhere (a connection's first request, which may well be a poll that
// parks; a parked poll, an answer being written, a post being stored, a lingering close) the
// wait holds no buffer, so a parked poll costs no more memory than before.
void http_session::await_input() {
  if (reading_) {
    return;
  }
  reading_ = true;
  if (maybe_more_) {
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->on_readable({}); });
  } else if (awaits_request() && answered_) {
    // Asio's read always tries the socket once before it waits. Right after an answer the
    // client has rarely sent its next request yet; after the other ready connections had their
    // turn it often has (under load), and the try then reads it instead of finding nothing.
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->start_inbox_read(); });
  } else {
    socket_.async_wait(tcp::socket::wait_read,
                       beast::bind_front_handler(&http_session::on_readable, shared_from_this()));
  }
}

void http_session::start_inbox_read() {
  if (!socket_.is_open()) {
    reading_ = false;
    return;
  }
  if (!awaits_request()) {
    reading_ = false;  // the session moved on meanwhile (the drain answered it): a plain wait
    await_input();
    return;
  }
  if (!inbox_) {
    inbox_ = std::make_unique_for_overwrite<char[]>(read_chunk);
  }
  inbox_busy_ = true;
  socket_.async_read_some(asio::buffer(inbox_.get(), read_chunk),
                          beast::bind_front_handler(&http_session::on_received, shared_from_this()));
}

// Neither a poll, nor an answer, nor the store, nor a lingering close: the bytes that arrive
// are (the rest of) a request to parse.
bool http_session::awaits_request() const {
  return phase_ == phase::receiving;
}

void http_session::on_readable(beast::error_code ec) {
  reading_ = false;
  if (!ec && !socket_.is_open()) {
    return;  // a read turn scheduled before the session closed
  }
  if (ec) {
    input_failed();
    return;
  }
  maybe_more_ = true;
  take_input();
}

// The inbox read finished: its bytes join the buffer (after what is there, in arrival order:
// no other read runs while it is pending), then go where on_readable would send them.
void http_session::on_received(beast::error_code ec, std::size_t n) {
  reading_ = false;
  inbox_busy_ = false;
  if (n != 0) {
    const auto space = buffer_.prepare(n);
    std::memcpy(space.data(), inbox_.get(), n);
    buffer_.commit(n);
  }
  if (ec == asio::error::operation_aborted && socket_.is_open()) {
    // Cancelled by refuse_for_drain(), which can now read the socket itself.
    refuse_for_drain();
    return;
  }
  if (ec && n == 0) {
    on_readable(ec);  // closed, reset, or the session closed the socket
    return;
  }
  // A short read emptied the socket's queue: what comes next is waited for.
  maybe_more_ = n == read_chunk;
  if (!socket_.is_open()) {
    return;
  }
  take_input();
}

void http_session::take_input() {
  if (awaits_request()) {
    receive();
  } else {
    watch_input();
  }
}

// Reads while no request is being received: a parked poll or an answer being written keeps what
// arrives (up to read_ahead_limit: then it stops reading until the answer is sent), a lingering
// close discards it.
void http_session::watch_input() {
  for (int k = 0; k < reads_per_turn; ++k) {
    if (phase_ != phase::lingering && buffer_.size() >= read_ahead_limit) {
      if (waiting_) {
        answer_poll_and_close();
      }
      return;
    }
    const read_status status = read_once(read_chunk);
    if (status == read_status::failed) {
      return;
    }
    if (phase_ == phase::lingering) {
      buffer_.consume(buffer_.size());
    }
    if (status == read_status::drained) {
      await_input();
      return;
    }
  }
  await_input();  // more may be there: another turn, after the other connections had theirs
}

// One non-blocking read of up to `want` bytes into the buffer.
http_session::read_status http_session::read_once(std::size_t want) {
  // A pending inbox read may hold bytes that came first: they are taken when it completes.
  if (!maybe_more_ || inbox_busy_) {
    return read_status::drained;
  }
  beast::error_code ec;
  const auto space = buffer_.prepare(want);
  const std::size_t n = socket_.read_some(space, ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) {
    maybe_more_ = false;
    return read_status::drained;
  }
  if (ec) {
    input_failed();
    return read_status::failed;
  }
  buffer_.commit(n);
  // A short read emptied the socket's queue: what comes next is waited for.
  maybe_more_ = n == space.size();
  return read_status::data;
}

// The client closed or reset the connection (or the session closed the socket itself).
void http_session::input_failed() {
  maybe_more_ = false;
  if (phase_ == phase::lingering) {
    close();
    return;
  }
  client_gone_ = true;
  if (phase_ == phase::polling) {
    on_poll_event();  // drops the poll from its room now, not at its timeout
  } else if (phase_ == phase::receiving) {
    close();  // (a post being stored is finished, then the connection closes)
  }
}

// --- receiving a request ------------------------------------------------------------------

void http_session::next_request() {
  if (state_.draining.load()) {
    close();
    return;
  }
  parser_.emplace();
  target_.reset();
  parser_->header_limit(header_limit);
  parser_->body_limit(boost::none);  // set once the header passed screen()
  screened_ = false;
  head_request_ = false;
  request_line_ = "-";  // until a request line is parsed: the log must not name the last one
  client_ = peer_;  // until a header names another (an early failure is logged as the peer's)
  phase_ = phase::receiving;
  idle_ = true;
  // Waiting for a request to begin: the keep-alive idle timeout. The buffer is kept for the
  // next request unless a large one grew it.
  deadline_.expires_after(seconds(state_.settings.idle_timeout));
  if (buffer_.size() == 0 && !maybe_more_) {
    if (buffer_.capacity() > read_chunk) {
      buffer_.shrink_to_fit();
    }
    await_input();
    return;
  }
  receive();
}

// Parses what is buffered, reading more while the socket has it, until the request is
// complete (then handles it), or the socket is drained (then waits), or the request is bad.
void http_session::receive() {
  for (int reads = 0;;) {
    if (idle_ && buffer_.size() != 0) {
      idle_ = false;
      if (state_.settings.access_log) {
        request_start_ = std::chrono::steady_clock::now();  // a clock read only when logged
      }
      deadline_.expires_after(seconds(state_.settings.io_timeout));
    }
    std::size_t used = 0;
    beast::error_code ec;
    if (buffer_.size() != 0) {
      used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
    }
    if (ec && ec != http::error::need_more) {
      parse_failed(ec);
      return;
    }
    if (ec == http::error::need_more && unparsed_beyond_limit()) {
      refuse_unbounded_framing();
      return;
    }
    if (!screened_ && parser_->is_header_done()) {
      screened_ = true;
      if (!on_header()) {
        return;
      }
    }
    if (parser_->is_done()) {
      handle_request();
      return;
    }
    if (used != 0 && buffer_.size() != 0) {
      continue;  // the parser stopped at a boundary (end of header, of a chunk): go on
    }
    if (reads++ == reads_per_turn) {
      maybe_more_ = true;  // a large body: let the other connections have a turn
      await_input();
      return;
    }
    switch (read_once(body_read_size())) {
      case read_status::data:
        break;
      case read_status::drained:
        await_input();
        return;
      case read_status::failed:
        return;
    }
  }
}

// After the header, what the parser leaves unconsumed while it asks for more is never body: it
// is a chunk-size line with its extensions, or the trailer, which Beast waits for whole and
// limits neither. Past the header limit the request is refused, whatever Beast would do, so a
// client cannot make the session buffer without bound (`1;a=` then megabytes with no CRLF).
bool http_session::unparsed_beyond_limit() const {
  return parser_->is_header_done() && buffer_.size() > header_limit;
}

void http_session::refuse_unbounded_framing() {
  send(router::error({http::status::bad_request, "bad_chunk",
                      "a chunk-size line or the trailer must fit in 8 KiB"}),
       true);
}

// A large body is read in large pieces; a head, or a small body, a read_chunk at a time.
std::size_t http_session::body_read_size() const {
  if (!parser_->is_header_done()) {
    return read_chunk;
  }
  const auto remaining = parser_->content_length_remaining();
  const std::uint64_t want = remaining ? *remaining : body_read_limit;  // chunked: no length
  return static_cast<std::size_t>(std::clamp<std::uint64_t>(want, read_chunk, body_read_limit));
}

// The header is complete: decide what the header alone can decide before reading the body.
bool http_session::on_header() {
  const auto& header = parser_->get();
  version_ = header.version();
  keep_alive_ = header.keep_alive();
  head_request_ = header.method() == http::verb::head;
  find_client();
  if (state_.settings.access_log) {
    request_line_ = fmt::format("{} {}", std::string_view(header.method_string()),
                                redact_client(header.target()));
  }
  if (!screen_message(header)) {
    return false;
  }
  target_ = std::make_unique<parsed_target>(parse_request_target(header.target()));
  if (auto refusal = router_.screen(header, *target_, client_)) {
    // The body was not read, so where the next request starts is unknown: close after this.
    send(std::move(*refusal), !parser_->is_done() || !keep_alive_);
    return false;
  }
  // Checked here rather than by the parser so that a missing token is reported first.
  const std::size_t max_body = state_.settings.max_body;
  if (const auto length = parser_->content_length(); length && *length > max_body) {
    send(body_too_large(max_body), true);
    return false;
  }
  parser_->body_limit(max_body);  // for chunked bodies
  deadline_.expires_after(seconds(state_.settings.io_timeout));  // the body's own time
  if (version_ >= 11 && !parser_->is_done() && expects_continue(header)) {
    send_continue();
    return false;
  }
  return true;
}

// The rules of the message itself, before the API's: framing (a refusal closes, since where
// this request ends is unknown) and Host. False: refused.
bool http_session::screen_message(const request_header& header) {
  if (auto bad = check_framing(header)) {
    send(router::error(*bad), true);
    return false;
  }
  if (auto bad = check_host(header)) {
    send(router::error(*bad), !parser_->is_done() || !keep_alive_);
    return false;
  }
  return true;
}

// Behind a trusted proxy the client is whom its forwarding headers name (net/client_address);
// connection accounting stays with the peer.
void http_session::find_client() {
  if (trusted_.empty() || !peer_ip_) {
    return;  // the common case costs nothing
  }
  if (const auto forwarded = forwarded_client(*peer_ip_, trusted_, parser_->get())) {
    client_ = forwarded->to_string();
  }
}

// A malformed request is answered and the connection closed: where the next one would start is
// unknown.
void http_session::parse_failed(beast::error_code ec) {
  // The answer to HEAD has no body, errors included. Beast sets the method once it has parsed
  // the request line (and consumes it); an error in the line itself leaves it buffered.
  head_request_ = parser_->get().method() == http::verb::head || starts_head_request();
  if (state_.settings.access_log && !parser_->get().method_string().empty()) {
    request_line_ = fmt::format("{} {}", std::string_view(parser_->get().method_string()),
                                redact_client(parser_->get().target()));
  }
  if (ec == http::error::header_limit) {
    send(router::error({http::status::request_header_fields_too_large, "headers_too_large",
                        "the request line and headers must fit in 8 KiB"}),
         true);
  } else if (ec == http::error::body_limit) {
    send(body_too_large(state_.settings.max_body), true);
  } else {
    send(router::error({http::status::bad_request, "bad_request",
                        fmt::format("malformed HTTP request: {}", ec.message())}),
         true);
  }
}

void http_session::send_continue() {
  static constexpr std::string_view interim = "HTTP/1.1 100 Continue\r\n\r\n";
  phase_ = phase::writing;
  asio::async_write(socket_, asio::buffer(interim.data(), interim.size()),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                      self->phase_ = phase::receiving;  // the rest of the same request
                      if (ec || self->client_gone_) {
                        self->close();
                        return;
                      }
                      self->state_.counters.count_response(100);
                      self->receive();
                    });
}

void http_session::handle_request() {
  const request req = parser_->release();  // its target's bytes move along, unchanged
  parser_.reset();
  route_result routed =
      target_ ? router_.route(req, *target_, client_) : router_.route(req, client_);
  target_.reset();
  if (routed.post) {
    begin_post(std::move(*routed.post));
  } else if (routed.poll && routed.poll->join) {
    begin_join(std::move(*routed.poll));
  } else if (routed.poll) {
    begin_poll(std::move(*routed.poll));
  } else {
    send(std::move(*routed.reply), !keep_alive_);
  }
}

// --- waiting for the store ----------------------------------------------------------------

void http_session::begin_post(post_plan plan) {
  phase_ = phase::storing;
  posting_ = std::move(plan);
  store_work_ = asio::prefer(socket_.get_executor(), asio::execution::outstanding_work.tracked);
  message_draft draft = std::move(posting_->draft);
  // A repeated Idempotency-Key is answered inline, without a trip to the writer.
  if (auto done = store_of(state_).append(posting_->target, std::move(draft), posting_->key,
                                          shared_from_this())) {
    finish_append(std::move(*done));
  }
}

// A poll that makes its client a member stores the join first, so that a reader waiting for
// the next message is not woken by its own join.
void http_session::begin_join(poll_plan plan) {
  phase_ = phase::storing;
  joining_ = std::move(plan);
  store_work_ = asio::prefer(socket_.get_executor(), asio::execution::outstanding_work.tracked);
  message_draft join = std::move(*joining_->join);
  joining_->join.reset();
  if (auto done = store_of(state_).append(joining_->target, std::move(join), {}, shared_from_this())) {
    finish_append(std::move(*done));
  }
}

void http_session::finish_append(append_result result) {
  store_work_ = {};
  phase_ = phase::receiving;  // until the poll or the answer begins
  if (joining_) {
    poll_plan plan = std::move(*joining_);
    joining_.reset();
    if (result.failed) {
      send(router_.refused_append(result), !keep_alive_);
      return;
    }
    if (plan.since_arrival) {
      plan.cursor = std::max(plan.cursor, result.message->id);  // past its own join
    }
    begin_poll(std::move(plan));
    return;
  }
  const post_plan plan = std::move(*posting_);
  posting_.reset();
  if (client_gone_) {
    close();  // stored (or not) all the same: nobody is left to tell
    return;
  }
  send(router_.answer_post(plan, result), !keep_alive_);
}

// --- the long-poll ------------------------------------------------------------------------

void http_session::begin_poll(poll_plan plan) {
  phase_ = phase::polling;
  poll_deadline_ = std::chrono::steady_clock::now() + plan.timeout;
  poll_ = std::move(plan);
  if (!poll_->client.empty()) {
    poll_membership_ = poll_->target->poll_began(poll_->client);  // a member while it is parked
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
  if (poll_->epoch) {
    // Redis was emptied while this poll waited: its cursor names ids of an epoch that is gone.
    auto now = state_.epoch.get();
    if (*now != *poll_->epoch) {
      poll_->cursor = 0;
      poll_->epoch = std::move(now);
    }
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

// A parked poll with read_ahead_limit bytes pipelined behind it: the session would have to stop
// reading, and then could not notice the client leave (SPEC §2). The poll is answered now, as
// its timeout would answer it, and the connection closes after it (the pipelined requests
// unanswered, as a client must expect of a closing connection).
void http_session::answer_poll_and_close() {
  room& target = *poll_->target;
  target.cancel_wait(*this);
  const batch messages = target.read(poll_->cursor, poll_->limit);
  response res = router_.answer_poll(*poll_, messages);
  end_poll();
  send(std::move(res), true);
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
  if (!inbox_busy_) {
    inbox_.reset();  // back at the next request (the wait while parked needs no buffer)
  }
  // The poll timer owns the deadline now; the wait on the socket only watches for the client.
  deadline_.clear();
  poll_timer_.expires_at(poll_deadline_);
  poll_timer_.async_wait([self = shared_from_this()](beast::error_code) { self->on_poll_event(); });
  await_input();
}

void http_session::end_poll() {
  if (waiting_) {
    waiting_ = false;
    state_.counters.polls_parked.fetch_sub(1);
    poll_->target->cancel_wait(*this);
    poll_timer_.cancel();
  }
  if (!poll_->client.empty()) {
    poll_->target->poll_ended(poll_->client, poll_membership_);
  }
  poll_.reset();
  phase_ = phase::receiving;  // until the answer begins
}

// --- writing ------------------------------------------------------------------------------

void http_session::send(response&& res, bool close_after) {
  // Closing only because the server drains: a request pipelined behind this one is then
  // answered 503 too (on_written), rather than cut off.
  drain_closes_ = !close_after && state_.draining.load();
  close_after = close_after || drain_closes_;
  res.version(version_);
  res.keep_alive(!close_after);
  // Server and Content-Length are written by gather_response, without a field each.
  const unsigned status = res.result_int();
  state_.counters.count_response(status);
  if (state_.settings.access_log) {
    const auto elapsed = std::chrono::steady_clock::now() - request_start_;
    spdlog::info("access {} \"{}\" {} {:.1f}ms", client_, request_line_, status,
                 std::chrono::duration<double, std::milli>(elapsed).count());
  }
  // After a long park the previous deadline is long spent. An answer begun while draining (a
  // post or a join the store finished) must end within the grace too.
  deadline_.expires_after(seconds(state_.settings.io_timeout));
  if (state_.draining.load()) {
    deadline_.shorten_to(drain_write_time(state_.settings.shutdown_grace));
  }
  phase_ = phase::writing;
  gather_response(res, head_request_, wire_head_, wire_);
  write_rest(res, close_after);
}

// Writes what the socket takes now; the rest, if any, as an asynchronous write. An answer that
// fits in the socket's buffer (nearly all of them) is done without a trip through the scheduler,
// and the session never holds it: only an asynchronous write moves it to the heap (`out_`), so
// a parked poll carries no room for an answer.
void http_session::write_rest(response& res, bool close_after) {
  beast::error_code ec;
  std::size_t written = 0;
  std::size_t first = 0;  // wire_[first] is the first buffer not completely written
  while (first != wire_.size()) {
    // write_some takes a bounded number of buffers per call; loop until all are sent.
    const auto rest = std::span<const asio::const_buffer>(wire_).subspan(first);
    std::size_t sent = socket_.write_some(rest, ec);
    if (!ec && sent == 0) {
      ec = asio::error::would_block;  // nothing taken (cannot happen with non-empty buffers)
    }
    if (ec) {
      break;
    }
    written += sent;
    while (sent != 0 && first != wire_.size()) {
      auto& b = wire_[first];
      const std::size_t take = std::min(sent, b.size());
      b += take;
      sent -= take;
      if (b.size() == 0) {
        ++first;
      }
    }
  }
  if (first == wire_.size()) {
    if (inline_depth_ < max_inline_depth) {
      ++inline_depth_;
      on_written(close_after, {});
      --inline_depth_;
    } else {
      asio::post(socket_.get_executor(), [self = shared_from_this(), close_after] {
        self->on_written(close_after, {});
      });
    }
    return;
  }
  if (ec != asio::error::would_block && ec != asio::error::try_again) {
    on_written(close_after, ec);
    return;
  }
  out_ = std::make_unique<response>(std::move(res));
  gather_buffers(*out_, head_request_, wire_head_, wire_);  // the moved answer's own bytes
  skip_written(written);
  asio::async_write(socket_, wire_,
                    [self = shared_from_this(), close_after](beast::error_code failure,
                                                             std::size_t) {
                      self->on_written(close_after, failure);
                    });
}

// Drops the first `n` bytes of the gather list (what the socket already took).
void http_session::skip_written(std::size_t n) {
  auto b = wire_.begin();
  for (; b != wire_.end() && n >= b->size(); ++b) {
    n -= b->size();
  }
  wire_.erase(wire_.begin(), b);
  if (n != 0) {
    assert(!wire_.empty());  // n is less than the whole answer: called only when some is left
    wire_.front() += n;
  }
}

void http_session::on_written(bool close_after, beast::error_code ec) {
  phase_ = phase::receiving;  // until linger() or next_request() says which
  answered_ = true;
  out_.reset();
  wire_.clear();
  if (ec || client_gone_) {
    close();
    return;
  }
  // The drain may have begun while this answer was on its way.
  const bool drain_only = drain_closes_ || (!close_after && state_.draining.load());
  if (drain_only && buffer_.size() != 0) {
    answer_pipelined_for_drain();
    return;
  }
  if (close_after || state_.draining.load()) {
    linger();
    return;
  }
  next_request();
}

// --- draining -----------------------------------------------------------------------------

// Shutdown reached a session that is not writing, parked or lingering: an idle one closes; one
// in the middle of receiving a request (or whose request just arrived) answers it 503.
void http_session::refuse_for_drain() {
  if (!socket_.is_open()) {
    return;
  }
  if (idle_ && buffer_.size() == 0) {
    if (inbox_busy_) {
      // The inbox read may already hold a request: cancelled, it hands over what it has and
      // comes back here (on_received).
      beast::error_code ec;
      socket_.cancel(ec);
      if (ec) {
        close();
      }
      return;
    }
    // A request may have arrived that nobody has read yet: look once, without waiting.
    maybe_more_ = true;
    if (read_once(read_chunk) != read_status::data) {
      close();
      return;
    }
  }
  head_request_ = !screened_ ? starts_head_request() : head_request_;
  send(router::shutting_down(), true);
}

// The answer that closed for the drain is sent and the next request has (partly) arrived.
void http_session::answer_pipelined_for_drain() {
  parser_.reset();
  head_request_ = starts_head_request();
  send(router::shutting_down(), true);
}

// Whether the buffered bytes begin a HEAD request, for a request answered before its header was
// parsed: the answer to HEAD must have no body.
bool http_session::starts_head_request() const {
  const auto bytes = buffer_.data();
  const std::string_view start(static_cast<const char*>(bytes.data()), std::min<std::size_t>(bytes.size(), 5));
  return start == "HEAD ";
}

// Half-close, then drain what the client still sends for a moment: closing with unread bytes
// would reset the connection and could destroy the answer before the client reads it.
void http_session::linger() {
  phase_ = phase::lingering;
  beast::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_send, ec);
  if (ec) {
    close();
    return;
  }
  buffer_.consume(buffer_.size());
  if (state_.draining.load()) {
    deadline_.expires_after(drain_linger_time);
  } else {
    deadline_.expires_after(linger_time);
  }
  await_input();  // on_readable discards until the client closes or the deadline passes
}

void http_session::close() {
  deadline_.clear();
  if (!socket_.is_open()) {
    return;
  }
  beast::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

}  // namespace pollchat
