#pragma once
// Where the shared Redis is: `redis://[[user]:password@]host[:port][/db]` (SPEC §9).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pollchat::redis {

struct endpoint {
  std::string host;
  std::uint16_t port = 6379;
  std::string user;      // empty: the default user (AUTH with the password alone)
  std::string password;  // empty: no AUTH
  unsigned db = 0;       // SELECT when not 0
};

// The endpoint, or nullopt with `error` saying what is wrong in words a user can act on.
std::optional<endpoint> parse_url(std::string_view text, std::string& error);

}  // namespace pollchat::redis
