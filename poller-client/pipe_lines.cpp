#include "poller-client/pipe_lines.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <ostream>

namespace pollchat::client {

namespace asio = boost::asio;

pipe_lines::pipe_lines(asio::io_context& io, std::ostream& err) : err_(err), input_(io) {
  // A tty or a pipe is read through epoll; a regular file (`< file`) or /dev/null cannot be
  // registered with epoll, which asio (since 1.71) accepts for descriptors whose reads never
  // block: they are then read directly. A closed stdin fails here and reads as end of input.
  input_flags_ = ::fcntl(STDIN_FILENO, F_GETFL);
  if (const int fd = ::dup(STDIN_FILENO); fd != -1) {
    boost::system::error_code ignored;
    input_.assign(fd, ignored);
  }
}

pipe_lines::~pipe_lines() {
  // asio set O_NONBLOCK on stdin's open file description, which a shell shares with us.
  if (input_flags_ != -1)
    ::fcntl(STDIN_FILENO, F_SETFL, input_flags_);
}

asio::awaitable<std::optional<std::string>> pipe_lines::next_line() {
  for (;;) {
    if (ended_)
      co_return std::nullopt;
    auto lines = asio::dynamic_buffer(buffer_, max_line_bytes);
    const auto [error, size] =
        co_await asio::async_read_until(input_, lines, '\n', asio::as_tuple(asio::use_awaitable));
    if (error == asio::error::not_found) {  // the buffer is full and holds no line break
      if (!discarding_)
        err_ << "poller-client: a line over 1 MiB was not sent" << std::endl;
      buffer_.clear();
      discarding_ = true;
      continue;
    }
    if (error) {
      ended_ = true;
      if (error != asio::error::eof && error != asio::error::bad_descriptor &&
          error != asio::error::operation_aborted)
        err_ << "poller-client: cannot read stdin (" << error.message() << ")" << std::endl;
      if (discarding_ || buffer_.empty() || error == asio::error::operation_aborted)
        co_return std::nullopt;
      co_return std::exchange(buffer_, {});  // a last line without '\n'
    }
    std::string line = buffer_.substr(0, size - 1);
    buffer_.erase(0, size);
    if (std::exchange(discarding_, false))
      continue;
    co_return line;
  }
}

void pipe_lines::close() {
  ended_ = true;
  boost::system::error_code ignored;
  input_.close(ignored);
}

}  // namespace pollchat::client
