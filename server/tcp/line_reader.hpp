#pragma once
// Splits a TCP client's byte stream into lines at '\n', each at most `max_line` bytes plus a '\r'
// (which the session strips); a longer line is reported once as too long and dropped up to its
// end, and never buffered past the bound. Pure, so the fuzz target
// fuzz_text_render drives exactly what the TCP room runs. Not thread-safe: one per session.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace pollchat {

class line_reader {
 public:
  explicit line_reader(std::size_t max_line) : max_line_(max_line) {}

  struct event {
    enum class kind { line, too_long } what = kind::line;
    std::string line;  // without its '\n'; empty for too_long
  };

  // Consumes bytes from the front of `input` up to the next event, which it returns; nullopt
  // when all of `input` was consumed without one. The caller loops while it wants more.
  std::optional<event> next(std::string_view& input);

  // At the end of the stream: the last line when it had no '\n' (and was not too long).
  std::optional<std::string> finish();

 private:
  const std::size_t max_line_;
  std::string line_;         // the line being received
  bool discarding_ = false;  // the current line was too long: drop it up to its end
};

}  // namespace pollchat
