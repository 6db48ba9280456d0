#include "poller-client/terminal_output.hpp"

namespace pollchat::client {

terminal_output::int_type terminal_output::overflow(int_type c) {
  if (traits_type::eq_int_type(c, traits_type::eof()))
    return traits_type::not_eof(c);
  const char ch = traits_type::to_char_type(c);
  xsputn(&ch, 1);
  return c;
}

std::streamsize terminal_output::xsputn(const char* s, std::streamsize n) {
  pending_.append(s, static_cast<std::size_t>(n));
  if (pending_.size() > max_pending && pending_.back() == '\n')
    sync();
  return n;
}

int terminal_output::sync() {
  if (!pending_.empty()) {
    terminal_.print_above(pending_, target_);
    pending_.clear();
  }
  return 0;
}

}  // namespace pollchat::client
