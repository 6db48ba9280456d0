#pragma once
// The body of every benchmark message: "seq=<n> t=<steady ns at send>". The load generator
// reads it back on delivery to find losses, duplicates and latency without trusting the server.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pollchat::bench {

struct stamp {
  std::int64_t seq = 0;
  std::int64_t sent_ns = 0;
};

std::string format_stamp(const stamp& s);

// nullopt for any body that is not exactly a stamp (a foreign message in the room).
std::optional<stamp> parse_stamp(std::string_view body);

}  // namespace pollchat::bench
