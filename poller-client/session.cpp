#include "poller-client/session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <csignal>
#include <exception>
#include <ostream>

#include "poller-client/last_messages.hpp"

namespace pollchat::client {
namespace {

using namespace std::chrono_literals;

constexpr auto no_throw = asio::as_tuple(asio::use_awaitable);
// GCC 12 destroys some temporaries of a co_await full-expression twice (a braced poll_query
// crashed in free()): every argument of a co_await'ed call in this file is a named local.

// How much longer than the poll timeout it asked for the client waits for the answer: the
// server answers an empty poll at its timeout, so a quiet room is no error.
constexpr auto poll_margin = 5s;
constexpr auto post_timeout = 15s;
constexpr auto leave_timeout = 2s;
// End of input: how long to wait for the poll to show our own last lines before leaving.
constexpr auto drain_limit = 3s;

// A coroutine's exception leaves io_context::run() (and main says what it was), instead of
// vanishing with a detached coroutine and leaving the client hanging.
void rethrow(const std::exception_ptr& error) {
  if (error)
    std::rethrow_exception(error);
}

bool worth_retrying(http::status status) {
  const auto code = static_cast<unsigned>(status);
  return code >= 500 || status == http::status::request_timeout;
}

// Retry-After in seconds (the server sends no HTTP dates), capped; zero when absent.
std::chrono::milliseconds retry_after(const response& answer) {
  const auto field = answer[http::field::retry_after];
  unsigned seconds = 0;
  std::from_chars(field.data(), field.data() + field.size(), seconds);
  return std::chrono::seconds(std::min(seconds, 30u));
}

// "401 Unauthorized: <the server's message>"
std::string describe(const response& answer) {
  std::string text = std::to_string(answer.result_int()) + " " +
                     std::string(http::obsolete_reason(answer.result()));
  if (const auto message = error_message(answer.body()); !message.empty())
    text += ": " + message;
  return text;
}

}  // namespace

session::session(asio::io_context& io, client_options options, std::ostream& out, std::ostream& err,
                 std::shared_ptr<asio::ssl::context> tls, line_source* input)
    : options_(std::move(options)),
      out_(out),
      err_(err),
      client_id_(random_token()),
      view_(out, err, options_.json, options_.count),
      link_(err, options_.server.text, std::chrono::seconds(options_.connect_timeout)),
      poll_channel_(io.get_executor(), options_.server, tls),
      post_channel_(io.get_executor(), options_.server, tls),
      leave_channel_(io.get_executor(), options_.server, tls),
      poll_pause_(io),
      post_pause_(io),
      drain_wait_(io),
      cursor_ready_(io),
      input_(input),
      signals_(io, SIGINT, SIGTERM, SIGHUP),
      connect_deadline_(std::chrono::steady_clock::now() +
                        std::chrono::seconds(options_.connect_timeout)) {
  // The leave is bounded by its own short timeout; it is never the first request.
  poll_channel_.connect_by(connect_deadline_);
  post_channel_.connect_by(connect_deadline_);
}

void session::start() {
  const auto executor = signals_.get_executor();
  signals_.async_wait([this](const beast::error_code& error, int) {
    if (!error)
      finish(0);
  });
  asio::co_spawn(executor, read_room(), rethrow);
  if (input_ != nullptr)
    asio::co_spawn(executor, post_input(), rethrow);
}

asio::awaitable<void> session::read_room() {
  if (options_.since) {
    view_.start_at(*options_.since, "", /*quiet_missed=*/*options_.since == 0);
  } else if (!co_await find_start()) {
    co_return;
  }
  cursor_ready_.cancel();
  for (;;) {
    const poll_query query{view_.since(), view_.epoch(), options_.timeout};
    const auto answer = co_await poll(query);
    if (!answer)
      co_return;
    if (view_.show(*answer)) {
      finish(0);  // --count reached
      co_return;
    }
    if (view_.caught_up())
      drain_wait_.cancel();
  }
}

asio::awaitable<bool> session::find_start() {
  // A poll without since answers with next = the newest id, and with timeout 0 it answers at
  // once. These polls do not make us a member yet: our join then comes after the start, and is
  // shown whatever N is.
  const poll_query newest{std::nullopt, "", 0, /*member=*/false};
  const auto end = co_await poll(newest);
  if (!end)
    co_return false;
  last_messages search(options_.last, end->next, end->epoch);
  while (!search.done()) {
    const poll_query window = search.next_query();
    const auto answer = co_await poll(window);
    if (!answer)
      co_return false;
    search.feed(*answer);
  }
  view_.start_at(search.start(), search.epoch(), /*quiet_missed=*/true);
  co_return true;
}

asio::awaitable<std::optional<poll_answer>> session::poll(const poll_query& query) {
  const auto req = make_request(http::verb::get, poll_target(options_, client_id_, query));
  const std::chrono::steady_clock::duration timeout =
      std::chrono::seconds(query.timeout) + poll_margin;
  const auto answer = co_await until_answered(poll_channel_, req, timeout, poll_pause_,
                                              poll_backoff_, /*is_post=*/false);
  if (!answer)
    co_return std::nullopt;
  if (answer->result() != http::status::ok) {
    give_up(*answer);
    co_return std::nullopt;
  }
  auto parsed = parse_poll_answer(answer->body());
  if (!parsed) {
    err_ << "poller-client: " << options_.server.text
         << " did not answer as a pollchat server (check --url)" << std::endl;
    finish(1);
  }
  co_return parsed;
}

asio::awaitable<void> session::post_input() {
  // Post nothing before the poll knows where it starts: a line posted earlier could fall before
  // that start (with --last 0) and never be shown.
  if (!view_.since()) {
    cursor_ready_.expires_at(asio::steady_timer::time_point::max());
    co_await cursor_ready_.async_wait(no_throw);
    if (finishing_)
      co_return;
  }
  for (;;) {
    const auto line = co_await input_->next_line();
    if (finishing_)
      co_return;
    if (!line)
      break;
    co_await post_line(*line);
    if (finishing_)
      co_return;
  }
  // End of input: let the poll show our own lines first, unless it cannot soon.
  if (!view_.caught_up()) {
    drain_wait_.expires_after(drain_limit);
    co_await drain_wait_.async_wait(no_throw);
    if (finishing_)
      co_return;
  }
  finish(0);
}

asio::awaitable<void> session::post_line(std::string_view line) {
  if (!line.empty() && line.back() == '\r')
    line.remove_suffix(1);
  if (line.empty())
    co_return;  // no message; the server would refuse it
  auto req = make_request(http::verb::post, post_target(options_),
                          post_body(line, options_.name, client_id_), "application/json");
  req.set("Idempotency-Key", random_token());  // the same for every retry of this line
  const std::chrono::steady_clock::duration timeout = post_timeout;
  const auto answer = co_await until_answered(post_channel_, req, timeout, post_pause_,
                                              post_backoff_, /*is_post=*/true);
  if (!answer)
    co_return;
  switch (answer->result()) {
    case http::status::ok:
      if (const auto message = parse_message(answer->body()))
        view_.posted(message->id);
      break;
    case http::status::bad_request:
    case http::status::payload_too_large:
      // This line only (too long, say); the next one may well go through.
      err_ << "poller-client: a line was not sent: " << describe(*answer) << std::endl;
      break;
    default:
      give_up(*answer);
  }
}

asio::awaitable<std::optional<response>> session::until_answered(
    http_channel& channel, const request& req, std::chrono::steady_clock::duration timeout,
    asio::steady_timer& pause, backoff& delays, bool is_post) {
  for (;;) {
    auto reply = co_await channel.send(req, timeout);
    if (finishing_)
      co_return std::nullopt;
    if (!reply.error && !link_.reached()) {
      // Reached: from now on, reconnect forever, however long it takes.
      poll_channel_.connect_by(std::chrono::steady_clock::time_point::max());
      post_channel_.connect_by(std::chrono::steady_clock::time_point::max());
    }
    std::chrono::milliseconds wait{};
    if (reply.error && !reply.fatal.empty()) {
      err_ << "poller-client: " << options_.server.text << ": " << reply.fatal << std::endl;
      finish(1);
      co_return std::nullopt;
    }
    if (reply.error && !link_.reached()) {
      // Never answered yet: a wrong port or host should not leave the client waiting forever.
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          connect_deadline_ - std::chrono::steady_clock::now());
      if (left <= 0ms) {
        link_.gave_up(reply.error.message());
        finish(1);
        co_return std::nullopt;
      }
      link_.lost(reply.error.message());
      wait = std::min(delays.next(), left);
    } else if (reply.error) {
      link_.lost(reply.error.message());
      wait = delays.next();
    } else if (worth_retrying(reply.answer.result())) {
      link_.heard();
      link_.lost(describe(reply.answer));
      wait = std::max(delays.next(), retry_after(reply.answer));
    } else if (is_post && reply.answer.result() == http::status::too_many_requests) {
      // Rate limited: the server is fine and says when to come back; not an outage.
      link_.restored();
      wait = std::max(retry_after(reply.answer), std::chrono::milliseconds(100));
    } else {
      link_.restored();
      delays.reset();
      co_return std::move(reply.answer);
    }
    pause.expires_after(wait);
    co_await pause.async_wait(no_throw);
    if (finishing_)
      co_return std::nullopt;
  }
}

asio::awaitable<void> session::leave_room() {
  // Best effort and bounded: a server without presence answers 404, a gone one not at all.
  const auto req = make_request(http::verb::post, leave_target(options_), "client=" + client_id_,
                                "application/x-www-form-urlencoded");
  const std::chrono::steady_clock::duration timeout = leave_timeout;
  co_await leave_channel_.send(req, timeout);
  leave_channel_.shut_down();
  signals_.cancel();
}

request session::make_request(http::verb verb, std::string target, std::string body,
                              std::string_view content_type) const {
  request req{verb, target, 11};
  req.set(http::field::host, options_.server.host_header);
  req.set(http::field::user_agent, "poller-client");
  req.set(http::field::accept, "application/json");
  if (!options_.token.empty())
    req.set(http::field::authorization, "Bearer " + options_.token);
  if (!content_type.empty()) {
    req.set(http::field::content_type, content_type);
    req.body() = std::move(body);
    req.prepare_payload();
  }
  return req;
}

void session::give_up(const response& answer) {
  err_ << "poller-client: the server refused: " << describe(answer) << std::endl;
  finish(1);
}

void session::finish(int code) {
  if (finishing_)
    return;
  finishing_ = true;
  exit_code_ = code;
  // Everything in flight completes with operation_aborted; each coroutine sees finishing_ and
  // returns, so run() returns once the leave is done.
  poll_channel_.shut_down();
  post_channel_.shut_down();
  poll_pause_.cancel();
  post_pause_.cancel();
  drain_wait_.cancel();
  cursor_ready_.cancel();
  if (input_ != nullptr)
    input_->close();
  if (!link_.reached()) {
    // Never a member of a server that never answered: nothing to leave, and no reason to wait
    // for one that may not answer now either.
    leave_channel_.shut_down();
    signals_.cancel();
    return;
  }
  asio::co_spawn(signals_.get_executor(), leave_room(), rethrow);
}

}  // namespace pollchat::client
