#include "tcp/line_reader.hpp"

namespace pollchat {

std::optional<line_reader::event> line_reader::next(std::string_view& input) {
  while (!input.empty()) {
    const std::size_t end = input.find('\n');
    const std::string_view piece = input.substr(0, end);
    input.remove_prefix(end == std::string_view::npos ? input.size() : end + 1);
    if (!discarding_) {
      // At most one byte past the bound is kept: enough to know the line is too long.
      line_ += piece.substr(0, max_line_ + 2 - line_.size());
    }
    // +1: a '\r' before the '\n' does not count.
    if (!discarding_ && line_.size() > max_line_ + 1) {
      line_.clear();
      discarding_ = end == std::string_view::npos;  // its end is still to come
      return event{event::kind::too_long, {}};
    }
    if (end != std::string_view::npos) {
      const bool dropped = discarding_;
      discarding_ = false;
      std::string line = std::move(line_);
      line_.clear();
      if (dropped) {
        continue;
      }
      return event{event::kind::line, std::move(line)};
    }
  }
  return std::nullopt;
}

std::optional<std::string> line_reader::finish() {
  if (discarding_ || line_.empty()) {
    return std::nullopt;
  }
  std::string line = std::move(line_);
  line_.clear();
  return line;
}

}  // namespace pollchat
