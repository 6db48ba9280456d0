#include "poller-client/terminal_lines.hpp"

#include <unistd.h>

// GNU readline is a C library that expects <stdio.h> before it.
#include <cstdio>
#include <cstdlib>
#include <readline/history.h>
#include <readline/readline.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <ostream>
#include <streambuf>

namespace pollchat::client {
namespace {

namespace asio = boost::asio;

// Readline calls back a plain function; this is the object it stands for (at most one).
terminal_lines* active = nullptr;
// True while readline runs our callback: the screen is between two lines then, so output needs
// no clearing and redrawing (and readline must not be re-entered).
bool in_readline = false;

}  // namespace

bool terminal_lines::wanted() {
  return ::isatty(STDIN_FILENO) == 1 && ::isatty(STDOUT_FILENO) == 1;
}

terminal_lines::terminal_lines(asio::io_context& io, std::ostream& err)
    : err_(err), tty_(io), resize_(io, SIGWINCH), line_ready_(io) {
  active = this;
  rl_readline_name = "poller-client";  // for `$if poller-client` in ~/.inputrc
  // SIGINT, SIGTERM and SIGHUP belong to the session's signal_set; SIGWINCH is handled below.
  rl_catch_signals = 0;
  rl_catch_sigwinch = 0;
  // A chat line has no file names to complete: Tab is just a character.
  rl_bind_key('\t', rl_insert);
  stifle_history(history_size);
  rl_callback_handler_install("", &terminal_lines::on_line);
  installed_ = true;
  if (const int fd = ::dup(STDIN_FILENO); fd != -1) {
    boost::system::error_code ignored;
    tty_.assign(fd, ignored);
  }
  resize_.async_wait([this](const boost::system::error_code& error, int) {
    if (!error)
      on_resize();
  });
  do_wait();
}

terminal_lines::~terminal_lines() {
  close();
  if (active == this)
    active = nullptr;
}

asio::awaitable<std::optional<std::string>> terminal_lines::next_line() {
  while (lines_.empty() && !ended_) {
    line_ready_.expires_at(asio::steady_timer::time_point::max());
    co_await line_ready_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  if (lines_.empty())
    co_return std::nullopt;
  std::string line = std::move(lines_.front());
  lines_.pop_front();
  do_wait();  // the queue has room again
  co_return line;
}

void terminal_lines::close() {
  if (installed_) {
    installed_ = false;
    // A half-typed line stays on the screen: whatever prints next (the shell's prompt) starts
    // below it.
    if (rl_end > 0)
      std::fputs("\n", rl_outstream);
    // Gives the terminal back in the mode it had (echo, line buffering).
    rl_callback_handler_remove();
    std::fflush(rl_outstream);
  }
  ended_ = true;
  boost::system::error_code ignored;
  tty_.close(ignored);
  resize_.cancel(ignored);
  line_ready_.cancel();
}

void terminal_lines::print_above(std::string_view text, std::streambuf& target) {
  if (!installed_ || in_readline) {
    target.sputn(text.data(), static_cast<std::streamsize>(text.size()));
    target.pubsync();
    return;
  }
  // Take the typed line (and its prompt) off the screen, leaving the cursor where it began...
  rl_clear_visible_line();
  std::fflush(rl_outstream);
  // ...print there (every text printed this way ends with a line break)...
  target.sputn(text.data(), static_cast<std::streamsize>(text.size()));
  target.pubsync();
  // ...and draw the line again below it, cursor where it was.
  rl_on_new_line();
  rl_redisplay();
}

void terminal_lines::on_line(char* line) {
  terminal_lines* self = active;
  if (self == nullptr) {
    std::free(line);
    return;
  }
  if (line == nullptr) {  // Ctrl-D on an empty line, or the terminal is gone
    self->ended_ = true;
    self->line_ready_.cancel();
    return;
  }
  std::string text(line);
  std::free(line);  // readline allocates the line with malloc
  if (text.size() > max_line_bytes) {
    self->err_ << "poller-client: a line over 1 MiB was not sent" << std::endl;
    return;
  }
  // Bounded: history_size lines of at most max_line_bytes each.
  if (!text.empty())
    add_history(text.c_str());
  self->lines_.push_back(std::move(text));
  self->line_ready_.cancel();
}

void terminal_lines::do_wait() {
  if (waiting_ || ended_ || lines_.size() >= max_queued_lines)
    return;
  waiting_ = true;
  tty_.async_wait(asio::posix::stream_descriptor::wait_read,
                  [this](const boost::system::error_code& error) {
                    waiting_ = false;
                    on_readable(error);
                  });
}

void terminal_lines::on_readable(const boost::system::error_code& error) {
  if (ended_)
    return;
  if (error) {
    ended_ = true;
    line_ready_.cancel();
    return;
  }
  // Readline reads what it needs (one key, or a whole bracketed paste) and may call on_line().
  in_readline = true;
  rl_callback_read_char();
  in_readline = false;
  do_wait();
}

void terminal_lines::on_resize() {
  if (installed_)
    rl_resize_terminal();
  resize_.async_wait([this](const boost::system::error_code& error, int) {
    if (!error)
      on_resize();
  });
}

}  // namespace pollchat::client
