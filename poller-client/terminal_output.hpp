#pragma once
// A stream buffer that hands what is written to it, one flush at a time, to
// terminal_lines::print_above(): the room's lines and the status lines then appear above the
// line being typed instead of inside it. Everything poller-client prints ends in a line break
// and is flushed (std::endl, or room_view's flush after each answer), so each flush is whole
// lines; a flush is forced at a line break once more than max_pending bytes are held.
//
// Not thread-safe: used from the io_context's single thread only.

#include <streambuf>
#include <string>

#include "poller-client/terminal_lines.hpp"

namespace pollchat::client {

class terminal_output final : public std::streambuf {
 public:
  static constexpr std::size_t max_pending = 64 * 1024;

  // Writes through `terminal` to `target` (std::cout's or std::cerr's own buffer).
  terminal_output(terminal_lines& terminal, std::streambuf& target)
      : terminal_(terminal), target_(target) {}

 protected:
  int_type overflow(int_type c) override;
  std::streamsize xsputn(const char* s, std::streamsize n) override;
  int sync() override;

 private:
  terminal_lines& terminal_;
  std::streambuf& target_;
  std::string pending_;  // written, not yet flushed
};

}  // namespace pollchat::client
