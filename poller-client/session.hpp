#pragma once
// One run of poller-client on one io_context thread. Three coroutines share it:
//   read_room()   finds where to start, then polls GET /chat/<room> with the cursor in a loop
//                 and prints what comes;
//   post_input()  takes lines from the input (a pipe, or a terminal with line editing) and posts
//                 each one, in order, retrying until stored;
//   leave_room()  started by finish(): the leave, then nothing is left to run.
// Every failure worth retrying (connection errors, timeouts, 5xx) waits a backoff and repeats
// the same request, from the same cursor or with the same Idempotency-Key, so nothing is lost
// and nothing is doubled. finish() ends the session from wherever it is decided (end of input,
// --count reached, Ctrl-C, an unrecoverable answer): it cancels everything in flight, and
// io_context::run() returns by itself once the leave is done.
//
// Until the server has answered once, failures are "cannot reach" and tried for
// --connect-timeout seconds, then the client exits 1; after that, it reconnects forever. A TLS
// certificate that fails verification ends the client at once (exit 1): it will not verify the
// next time either.
//
// Not thread-safe: every member is used from the io_context's thread only.

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>

#include "poller-client/backoff.hpp"
#include "poller-client/http_channel.hpp"
#include "poller-client/line_source.hpp"
#include "poller-client/link_status.hpp"
#include "poller-client/options.hpp"
#include "poller-client/protocol.hpp"
#include "poller-client/room_view.hpp"

namespace pollchat::client {

class session {
 public:
  // `tls`: for an https:// server (make_tls_context), else nullptr. `input`: where the lines to
  // post come from, nullptr with --no-input; it must outlive the session's run.
  session(asio::io_context& io, client_options options, std::ostream& out, std::ostream& err,
          std::shared_ptr<asio::ssl::context> tls, line_source* input);
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  // Starts the session; run the io_context until it returns, then read exit_code().
  void start();

  // 0 done, 1 unrecoverable (SPEC §7).
  int exit_code() const { return exit_code_; }

 private:
  asio::awaitable<void> read_room();
  asio::awaitable<void> post_input();
  asio::awaitable<void> leave_room();

  // Where the first poll starts: the room's newest id, then --last N messages back.
  asio::awaitable<bool> find_start();
  // One poll; nullopt when the session is finishing.
  asio::awaitable<std::optional<poll_answer>> poll(const poll_query& query);
  // Posts one stdin line until it is stored or refused.
  asio::awaitable<void> post_line(std::string_view line);
  // Sends `req` until the server answers with anything but a status worth retrying; nullopt
  // when the session is finishing.
  asio::awaitable<std::optional<response>> until_answered(
      http_channel& channel, const request& req, std::chrono::steady_clock::duration timeout,
      asio::steady_timer& pause, backoff& delays, bool is_post);

  request make_request(http::verb verb, std::string target, std::string body = {},
                       std::string_view content_type = {}) const;
  // Reports an answer nothing can be done about and ends the session with exit code 1.
  void give_up(const response& answer);
  void finish(int code);

  const client_options options_;
  std::ostream& out_;
  std::ostream& err_;
  const std::string client_id_;  // random per run; never shown to anyone (SPEC §4)

  room_view view_;
  link_status link_;
  http_channel poll_channel_;
  http_channel post_channel_;
  http_channel leave_channel_;
  backoff poll_backoff_;
  backoff post_backoff_;
  asio::steady_timer poll_pause_;  // the backoff waits; finish() cancels them
  asio::steady_timer post_pause_;
  asio::steady_timer drain_wait_;    // end of input: until our own lines are shown, bounded
  asio::steady_timer cursor_ready_;  // the poster waits on it until the poll has its start
  line_source* const input_;  // nullptr with --no-input
  asio::signal_set signals_;
  // Until the first answer: when the client stops trying to reach the server.
  const std::chrono::steady_clock::time_point connect_deadline_;

  bool finishing_ = false;
  int exit_code_ = 0;
};

}  // namespace pollchat::client
