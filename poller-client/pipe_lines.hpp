#pragma once
// Lines from stdin when it is not a terminal (a pipe, a file, /dev/null): read through Asio, up
// to max_line_bytes buffered, a longer line dropped with a status line on `err`, a last line
// without '\n' kept.

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <iosfwd>

#include "poller-client/line_source.hpp"

namespace pollchat::client {

class pipe_lines final : public line_source {
 public:
  pipe_lines(boost::asio::io_context& io, std::ostream& err);
  ~pipe_lines() override;  // stdin's file status flags as they were
  pipe_lines(const pipe_lines&) = delete;
  pipe_lines& operator=(const pipe_lines&) = delete;

  boost::asio::awaitable<std::optional<std::string>> next_line() override;
  void close() override;

 private:
  std::ostream& err_;
  boost::asio::posix::stream_descriptor input_;
  int input_flags_ = -1;  // stdin's file status flags before asio made it non-blocking
  std::string buffer_;    // bytes read past the last line; at most max_line_bytes
  bool discarding_ = false;  // inside a line too long to keep
  bool ended_ = false;
};

}  // namespace pollchat::client
