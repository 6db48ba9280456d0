#pragma once
// A name or value of a query string or a form body as the API reads it: %-escapes decoded and
// '+' a space. Nearly every one has neither, and is then taken as it came, without decoding it
// into a string of its own (that was a fifth of a poll's work, callgrind).

#include <algorithm>
#include <boost/url/encoding_opts.hpp>
#include <boost/url/pct_string_view.hpp>
#include <string>
#include <string_view>

namespace pollchat {

inline bool holds_escapes(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) { return c == '%' || c == '+'; });
}

inline std::string decoded_form_text(boost::urls::pct_string_view text) {
  if (!holds_escapes(text)) {
    return std::string(text);
  }
  boost::urls::encoding_opts opts;
  opts.space_as_plus = true;
  return text.decode(opts);
}

// A name to compare: the raw bytes when they need no decoding, else decoded into `storage`.
inline std::string_view form_name(boost::urls::pct_string_view name, std::string& storage) {
  if (!holds_escapes(name)) {
    return name;
  }
  storage = decoded_form_text(name);
  return storage;
}

}  // namespace pollchat
