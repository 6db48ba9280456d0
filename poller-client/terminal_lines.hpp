#pragma once
// Lines from a terminal, edited with GNU readline (SPEC §7): when stdin and stdout are both
// terminals. Readline's callback interface is driven from the client's own io_context: a wait
// for stdin to become readable hands each byte to rl_callback_read_char(), which calls back with
// a finished line. Output that arrives meanwhile goes through print_above(): the line being
// typed is cleared from the screen, the text printed, and the line redrawn intact below it.
//
// Readline is one global state per process, so there is at most one terminal_lines at a time.
// Ctrl-D on an empty line is the end of input; Ctrl-C reaches the session's signal_set as
// before (readline's own signal handlers are off). Typed lines wait in a queue of at most
// max_queued_lines while earlier ones are being posted; when it is full, the terminal is not
// read until the poster takes one (typing then stalls in the terminal, nothing is lost).
//
// Not thread-safe: used from the io_context's single thread only.

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <iosfwd>
#include <string_view>

#include "poller-client/line_source.hpp"

namespace pollchat::client {

class terminal_lines final : public line_source {
 public:
  // Typed lines waiting to be posted; more are not read until one is taken.
  static constexpr std::size_t max_queued_lines = 100;
  // Lines kept for the arrow keys.
  static constexpr int history_size = 1000;

  // Takes over the terminal (readline's prompt is installed) until close() or destruction.
  // `err`: where a line too long to post is reported.
  terminal_lines(boost::asio::io_context& io, std::ostream& err);
  ~terminal_lines() override;
  terminal_lines(const terminal_lines&) = delete;
  terminal_lines& operator=(const terminal_lines&) = delete;

  boost::asio::awaitable<std::optional<std::string>> next_line() override;
  void close() override;

  // Writes `text` to `target` above the line being typed, which is then redrawn as it was.
  // After close(), just writes it.
  void print_above(std::string_view text, std::streambuf& target);

  // True when stdin and stdout are both terminals: then line editing is used.
  static bool wanted();

 private:
  static void on_line(char* line);  // readline's callback: a finished line, or nullptr at EOF
  void do_wait();
  void on_readable(const boost::system::error_code& error);
  void on_resize();

  std::ostream& err_;
  boost::asio::posix::stream_descriptor tty_;  // a dup of stdin, only waited on, never read
  boost::asio::signal_set resize_;             // SIGWINCH: readline must learn the new width
  boost::asio::steady_timer line_ready_;       // next_line() waits on it; cancelled per line
  std::deque<std::string> lines_;              // typed, not yet taken; at most max_queued_lines
  bool installed_ = false;                     // readline owns the terminal
  bool waiting_ = false;                       // a wait on stdin is pending
  bool ended_ = false;                         // Ctrl-D, stdin gone, or close()
};

}  // namespace pollchat::client
