#include "tcp/tcp_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <optional>
#include <utility>
#include <vector>

#include "common/names.hpp"
#include "common/utf8.hpp"
#include "net/refusal_log.hpp"
#include "net/same_secret.hpp"

namespace pollchat {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

constexpr std::size_t batch_limit = 256;  // messages pulled from the room at once
constexpr std::size_t gather_limit = 64;  // queue items per write
// Past this much waiting output, input is not read until the output drains below it again. One
// 4 KiB chunk of commands but /who answers with at most ~110 KiB of notices, so this plus one
// chunk's answers stays under the 256 KiB bound that is meant for clients that stop reading.
constexpr std::size_t read_pause_bytes = 64 * 1024;
// The kernel's send buffer would otherwise grow to megabytes for a client that stops reading;
// kept small, the 256 KiB outbound queue is what decides who is too slow.
constexpr int kernel_send_buffer = 64 * 1024;

std::string endpoint_name(const tcp::socket& socket) {
  beast::error_code ec;
  const auto ep = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  const auto address = ep.address().to_string();
  return ep.address().is_v6() ? fmt::format("[{}]:{}", address, ep.port())
                              : fmt::format("{}:{}", address, ep.port());
}

std::string peer_ip(const tcp::socket& socket) {
  beast::error_code ec;
  const auto ep = socket.remote_endpoint(ec);
  return ec ? std::string("unknown") : ep.address().to_string();
}

std::string next_client_id() {
  static std::atomic<std::uint64_t> counter{0};
  return fmt::format("tcp#{}", counter.fetch_add(1) + 1);
}

std::string line_too_long(std::size_t max_line) {
  return fmt::format("* line too long: at most {} bytes; it was not sent", max_line);
}

// What a queue item puts on the wire: a message's shared text rendering, or a notice.
std::string_view bytes_of(const std::variant<message_ptr, std::string>& item) {
  if (const auto* m = std::get_if<message_ptr>(&item)) {
    return (*m)->text();
  }
  return std::get<std::string>(item);
}

std::string_view help_text() {
  return "* /nick NAME: change your name; /join ROOM: move to ROOM; /who: who is here; "
         "/help: this list; /quit: leave; any other line is a message to the room";
}

std::string safe(std::string_view text) {
  std::string out;
  utf8::append_terminal_safe(out, text);
  return out;
}

constexpr std::string_view auth_verb = "/auth ";
constexpr std::string_view auth_first = "* this server needs /auth <token> as the first line; goodbye";

}  // namespace

tcp_session::tcp_session(tcp::socket&& socket, server_state& state, session_registry& registry)
    : stream_(std::move(socket)),
      state_(state),
      registry_(registry),
      client_id_(next_client_id()),
      peer_ip_(peer_ip(stream_.socket())),
      name_(endpoint_name(stream_.socket())),
      lines_(state.settings.max_message),
      auth_timer_(stream_.get_executor()),
      stop_timer_(stream_.get_executor()) {
  state_.connections_open.fetch_add(1);
  state_.tcp_clients.fetch_add(1);
  beast::error_code ignored;
  stream_.socket().set_option(asio::socket_base::send_buffer_size(kernel_send_buffer), ignored);
  spdlog::info("tcp {} connected", name_);
}

tcp_session::~tcp_session() {
  spdlog::info("tcp {} disconnected", name_);
  leave_room();
  registry_.remove(registry_id_);
  state_.tcp_clients.fetch_sub(1);
  state_.connections_open.fetch_sub(1);
}

void tcp_session::start() {
  registry_id_ = registry_.add(weak_from_this());
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    if (self->phase_ != phase::authenticating) {
      return;  // stopped before it began
    }
    if (self->state_.settings.token.empty()) {
      self->admit();
    } else {
      // Until the token comes it is a member of nothing and sees nothing; a client that never
      // sends it holds its connection for --io-timeout at most.
      self->greet();
      self->auth_timer_.expires_after(std::chrono::seconds(self->state_.settings.io_timeout));
      self->auth_timer_.async_wait([self](beast::error_code ec) {
        if (!ec && self->phase_ == phase::authenticating) {
          self->finish(fmt::format("* no /auth within {} seconds; goodbye", self->state_.settings.io_timeout));
        }
      });
    }
    if (self->phase_ < phase::finishing) {
      self->read();
    }
  });
}

void tcp_session::notify() {
  asio::post(stream_.get_executor(), beast::bind_front_handler(&tcp_session::pump, shared_from_this()));
}

void tcp_session::on_appended(append_result result) {
  asio::post(stream_.get_executor(), [self = shared_from_this(), result = std::move(result)] {
    self->stored(result);
  });
}

void tcp_session::stop() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    self->finish("* the server is shutting down; goodbye");
  });
}

// One line that tells a newcomer where it is, who it is and how to learn the rest.
void tcp_session::greet() {
  if (state_.settings.token.empty()) {
    say(fmt::format("* welcome to pollchat: you are {} in {}; /help lists the commands", name_,
                    room_registry::lobby));
  } else {
    say(fmt::format("* welcome to pollchat: this server needs /auth <token> first; then you are {} in {}",
                    name_, room_registry::lobby));
  }
}

// Joining emits a join now and a leave later, so connecting costs a rate token like a line:
// connecting and disconnecting in a loop cannot flush a room's history.
void tcp_session::admit() {
  if (!take_rate_token()) {
    finish("* too many joins from your address; try again in a few seconds");
    return;
  }
  if (state_.settings.token.empty()) {
    greet();
  } else {
    say(fmt::format("* token accepted: you are {} in {}; /help lists the commands", name_,
                    room_registry::lobby));
  }
  phase_ = phase::chatting;
  enter(state_.rooms.find(room_registry::lobby));
}

// The first line with --token. Anything but the right token ends the connection, so a guess
// costs a whole connection and answers nothing about the server.
void tcp_session::authenticate(std::string_view line) {
  if (!line.starts_with(auth_verb)) {
    finish(std::string(auth_first));
    return;
  }
  // Like a bearer token over HTTP (router::check_bearer): a wrong token costs a token of the
  // address's wrong-token bucket, and while it is empty no token is even compared.
  const std::string bucket = wrong_token_bucket(peer_ip_);
  const auto now = rate_limiter::clock::now();
  if (const auto wait = state_.post_limiter.wait_for(bucket, now)) {
    finish(fmt::format("* too many wrong tokens from your address; try again in {} s; goodbye",
                       std::chrono::ceil<std::chrono::seconds>(*wait).count()));
    return;
  }
  if (!same_secret(line.substr(auth_verb.size()), state_.settings.token)) {
    state_.post_limiter.acquire(bucket, now);
    spdlog::info("tcp {}: wrong token", name_);
    finish("* wrong token; goodbye");
    return;
  }
  auth_timer_.cancel();
  admit();
}

// Leaves the current room (others see it leave) and joins `target` (others see it join; it
// does not see its own join: its cursor starts there).
void tcp_session::enter(std::shared_ptr<room> target) {
  leave_room();
  room_ = std::move(target);
  own_ids_.clear();
  cursor_ = room_->last_id();
  if (auto join = room_->admit(client_id_, name_, member_via::tcp)) {
    store(std::move(*join));  // its own: skipped like its lines
  }
  pump();
}

void tcp_session::leave_room() {
  if (!room_) {
    return;
  }
  room_->cancel_wait(*this);
  if (auto leave = room_->dismiss(client_id_)) {
    emit(store_of(state_), room_, std::move(*leave));
  }
}

void tcp_session::store(message_draft draft) {
  ++storing_;
  if (auto done = store_of(state_).append(room_, std::move(draft), {}, shared_from_this())) {
    stored(std::move(*done));  // the memory store: at once
  }
}

void tcp_session::stored(append_result result) {
  --storing_;
  if (result.failed && result.rooms_full) {
    say("* the servers hold their maximum number of rooms; that was not sent");
  } else if (result.failed) {
    say("* the server cannot store messages right now; that was not sent");
  } else if (result.message->room == room_->name()) {  // not a room it has left since
    if (result.message->type == message_type::message) {
      state_.counters.posts_total.fetch_add(1, std::memory_order_relaxed);
    }
    own_ids_.push_back(result.message->id);  // its join too: a newcomer never sees its own
  }
  pump();
}

// The same bucket as the address's HTTP posts: one budget per address, whichever door it uses.
bool tcp_session::take_rate_token() {
  return !state_.post_limiter.acquire(peer_ip_, rate_limiter::clock::now());
}

// --- input --------------------------------------------------------------------------------

void tcp_session::read() {
  // A chat client may stay quiet for hours; before /auth the auth timer bounds the wait.
  stream_.expires_never();
  stream_.async_read_some(asio::buffer(chunk_),
                          beast::bind_front_handler(&tcp_session::on_read, shared_from_this()));
}

void tcp_session::on_read(beast::error_code ec, std::size_t bytes) {
  if (ec) {
    if (ec == asio::error::eof && phase_ == phase::chatting) {
      if (auto last = lines_.finish()) {
        on_line(std::move(*last));  // a last line without its '\n' still counts
      }
    }
    close();  // gone: the destructor emits its leave
    return;
  }
  unread_ = std::string_view(chunk_.data(), bytes);
  consume_input();
}

// Takes the lines of what was read, one at a time. A client that pastes commands faster than it
// reads their answers is not cut off as too slow: once their output passes read_pause_bytes
// (checked after each line, not after a whole chunk, whose lines could each queue kilobytes)
// the rest of the chunk, and its socket, wait until most of the answers are out (on_write).
void tcp_session::consume_input() {
  // After /quit (or a disconnect) the rest is not read.
  while (phase_ < phase::finishing) {
    auto event = lines_.next(unread_);
    if (!event) {
      break;
    }
    if (event->what == line_reader::event::kind::too_long) {
      refuse_long_line();
    } else {
      on_line(std::move(event->line));
    }
    if (queued_bytes_ > read_pause_bytes && phase_ < phase::finishing) {
      read_paused_ = true;
      return;
    }
  }
  if (phase_ >= phase::finishing) {
    return;
  }
  if (queued_bytes_ > read_pause_bytes) {
    read_paused_ = true;
    return;
  }
  read();
}

void tcp_session::refuse_long_line() {
  if (phase_ == phase::authenticating) {
    finish(std::string(auth_first));  // no token is that long
    return;
  }
  say(line_too_long(state_.settings.max_message));
}

void tcp_session::on_line(std::string line) {
  if (!line.empty() && line.back() == '\r') {
    line.pop_back();
  }
  if (line.size() > state_.settings.max_message) {
    refuse_long_line();
    return;
  }
  if (line.empty()) {
    return;  // also before /auth: an Enter pressed too early is not a wrong first line
  }
  if (phase_ == phase::authenticating) {
    authenticate(line);
    return;
  }
  if (line.front() == '/') {
    on_command(line);
    return;
  }
  post_line(utf8::replace_invalid(line));
}

void tcp_session::post_line(std::string body) {
  if (body.size() > state_.settings.max_message) {  // replacement characters made it longer
    say(line_too_long(state_.settings.max_message));
    return;
  }
  if (!take_rate_token()) {
    say("* slow down: too many lines from your address; that one was not sent");
    return;
  }
  store({message_type::message, name_, std::move(body)});
}

void tcp_session::on_command(std::string_view line) {
  const auto space = line.find(' ');
  const std::string_view verb = line.substr(0, space);
  std::string_view argument = space == std::string_view::npos ? "" : line.substr(space + 1);
  while (!argument.empty() && argument.front() == ' ') argument.remove_prefix(1);
  while (!argument.empty() && argument.back() == ' ') argument.remove_suffix(1);

  if (verb == "/quit") {
    finish("* bye");
  } else if (verb == "/help") {
    say(std::string(help_text()));
  } else if (verb == "/who") {
    list_members();
  } else if (verb == "/nick") {
    rename(argument);
  } else if (verb == "/join") {
    change_room(argument);
  } else if (verb == "/auth" && !state_.settings.token.empty()) {
    say("* you are in already");
  } else {
    say(fmt::format("* unknown command {}; /help lists the commands", safe(verb)));
  }
}

void tcp_session::list_members() {
  std::string names;
  for (const auto& m : room_->members()) {
    names += fmt::format("{}{} ({})", names.empty() ? "" : ", ", m.name, to_string(m.via));
  }
  say(fmt::format("* in {}: {}", room_->name(), safe(names)));
}

// SPEC's message types have no rename, so the others learn who the new name is from a leave of
// the old name followed at once by a join of the new one.
void tcp_session::rename(std::string_view argument) {
  const std::string candidate = utf8::replace_invalid(argument);
  const auto accepted = candidate.empty() ? std::nullopt : display_name(candidate);
  if (!accepted) {
    say("* usage: /nick NAME (1 to 32 characters; no control, bidi or zero-width characters)");
    return;
  }
  if (*accepted == name_) {
    say(fmt::format("* you are {} already", safe(name_)));
    return;
  }
  if (!take_rate_token()) {
    say("* slow down: too many lines from your address; your name was not changed");
    return;
  }
  name_ = *accepted;
  // Through the store like its lines: their ids come back to store(), so its own leave and join
  // are not echoed back.
  if (auto leave = room_->dismiss(client_id_)) {
    store(std::move(*leave));
  }
  if (auto join = room_->admit(client_id_, name_, member_via::tcp)) {
    store(std::move(*join));
  }
  say(fmt::format("* you are now {}", safe(name_)));
}

void tcp_session::change_room(std::string_view argument) {
  if (!is_valid_room_name(argument)) {
    say("* usage: /join ROOM (1 to 64 characters of A-Z a-z 0-9 _ . -)");
    return;
  }
  if (argument == room_->name()) {
    say(fmt::format("* you are in {} already", argument));
    return;
  }
  // Taken before the room is made, so a refused /join creates nothing.
  if (!take_rate_token()) {
    say("* slow down: too many lines from your address; you did not move");
    return;
  }
  auto target = state_.rooms.find_or_create(argument);
  if (!target) {
    log_refusal(refusal::rooms_full, state_.settings.max_rooms);
    say("* the server holds its maximum number of rooms; join an existing one");
    return;
  }
  say(fmt::format("* you are now in {}", argument));
  enter(std::move(target));
}

// --- output -------------------------------------------------------------------------------

void tcp_session::pump() {
  if (phase_ != phase::chatting || !room_ || storing_ != 0) {
    return;
  }
  while (true) {
    poll_outcome out = room_->poll(cursor_, batch_limit, shared_from_this());
    if (out.state == poll_state::closed) {
      finish("* the server is shutting down; goodbye");
      return;
    }
    if (out.state == poll_state::parked) {
      return;
    }
    if (out.messages.missed != 0) {
      say(fmt::format("* {} messages were missed", out.messages.missed));
    }
    for (const auto& m : out.messages.messages) {
      cursor_ = m->id;
      while (!own_ids_.empty() && own_ids_.front() < m->id) own_ids_.pop_front();
      if (!own_ids_.empty() && own_ids_.front() == m->id) {
        own_ids_.pop_front();  // its own line: not echoed back
        continue;
      }
      state_.counters.deliveries_total.fetch_add(1, std::memory_order_relaxed);
      enqueue(m);
      if (phase_ != phase::chatting) {
        return;
      }
    }
  }
}

void tcp_session::say(std::string notice) {
  notice += '\n';
  enqueue(std::move(notice));
}

void tcp_session::enqueue(outbound item) {
  const std::size_t bytes = bytes_of(item).size();
  if (phase_ >= phase::finishing) {
    return;
  }
  // One item is always taken, however large (a long message rendered with caret escapes can
  // be bigger than the bound); what decides is how much waits unwritten.
  if (queued_bytes_ != 0 && queued_bytes_ + bytes > max_queued_bytes) {
    // Too slow to keep up: it goes, and nobody else waits for it.
    spdlog::info("tcp {}: too slow to keep up; disconnected", name_);
    finish("* you are too slow to keep up; disconnecting");
    return;
  }
  queued_bytes_ += bytes;
  queue_.push_back(std::move(item));
  write();
}

void tcp_session::write() {
  if (writing_count_ != 0 || phase_ == phase::closed) {
    return;
  }
  if (queue_.empty()) {
    if (phase_ == phase::finishing) close();
    return;
  }
  std::vector<asio::const_buffer> buffers;
  for (const auto& item : queue_) {
    if (buffers.size() == gather_limit) break;
    buffers.emplace_back(asio::buffer(bytes_of(item)));
  }
  writing_count_ = buffers.size();
  stream_.expires_after(std::chrono::seconds(state_.settings.io_timeout));
  asio::async_write(stream_, buffers, beast::bind_front_handler(&tcp_session::on_write, shared_from_this()));
}

void tcp_session::on_write(beast::error_code ec, std::size_t) {
  if (ec) {
    close();
    return;
  }
  for (; writing_count_ > 0; --writing_count_) {
    const auto& item = queue_.front();
    queued_bytes_ -= bytes_of(item).size();
    queue_.pop_front();
  }
  if (read_paused_ && queued_bytes_ <= read_pause_bytes && phase_ < phase::finishing) {
    read_paused_ = false;
    consume_input();  // the rest of the chunk, then the socket
  }
  write();
}

void tcp_session::finish(std::string notice) {
  if (phase_ >= phase::finishing) {
    return;
  }
  // Drop what has not started to go out, say the last words, close when they are written.
  while (queue_.size() > writing_count_) {
    queue_.pop_back();
  }
  notice += '\n';
  queued_bytes_ = 0;
  for (const auto& item : queue_) {
    queued_bytes_ += bytes_of(item).size();
  }
  queued_bytes_ += notice.size();
  queue_.push_back(std::move(notice));
  phase_ = phase::finishing;
  auth_timer_.cancel();
  if (room_) room_->cancel_wait(*this);
  // A client that does not read cannot make its last words take longer than a second.
  stop_timer_.expires_after(std::chrono::seconds(1));
  stop_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec) self->close();
  });
  write();
}

void tcp_session::close() {
  if (phase_ == phase::closed) return;
  phase_ = phase::closed;
  auth_timer_.cancel();
  stop_timer_.cancel();
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream_.close();
}

}  // namespace pollchat
