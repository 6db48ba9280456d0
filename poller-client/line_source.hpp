#pragma once
// Where the lines to post come from: stdin as a pipe or a file (pipe_lines), or a terminal with
// line editing (terminal_lines). The poster asks for one line at a time, so a line is not read
// faster than the lines before it are posted, beyond each source's documented bound.
//
// Not thread-safe: used from the io_context's single thread only.

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>

namespace pollchat::client {

class line_source {
 public:
  virtual ~line_source() = default;

  // The next line, without its line break; nullopt at the end of input (or after close()).
  virtual boost::asio::awaitable<std::optional<std::string>> next_line() = 0;

  // Stops reading: a pending next_line() completes with nullopt, and the terminal (if any) is
  // given back as it was.
  virtual void close() = 0;
};

// Longest line kept in memory; a longer one is dropped with a status line (the server takes
// 4 KiB by default).
inline constexpr std::size_t max_line_bytes = 1 << 20;

}  // namespace pollchat::client
