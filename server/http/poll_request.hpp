#pragma once
// Reads the query of a GET /chat: cursor, epoch, timeout, limit, format and presence fields.

#include <boost/url/params_encoded_view.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "http/api_error.hpp"

namespace pollchat {

struct poll_params {
  std::optional<std::uint64_t> since;  // none: wait for the next message
  std::optional<std::string> epoch;
  std::chrono::seconds timeout{30};
  std::size_t limit = 100;
  bool as_text = false;
  std::string name;    // presence (validated; "anonymous" when none)
  std::string client;  // presence (validated; empty when none)
};

struct poll_limits {
  unsigned default_timeout = 30;
  unsigned max_timeout = 55;
};

inline constexpr std::size_t max_poll_limit = 1000;

// `query` as it came (its names and values are decoded here: '+' is a space); `accept` is the
// raw Accept header (decides the default format).
std::variant<poll_params, api_error> parse_poll(const boost::urls::params_encoded_view& query,
                                                std::string_view accept,
                                                const poll_limits& limits);

// A non-negative decimal integer, all digits, no sign; nullopt otherwise.
std::optional<std::uint64_t> parse_unsigned(std::string_view text);

}  // namespace pollchat
