#include "store/redis/redis_url.hpp"

#include <boost/url/parse.hpp>
#include <charconv>

namespace pollchat::redis {

std::optional<endpoint> parse_url(std::string_view text, std::string& error) {
  const auto fail = [&](std::string_view why) -> std::optional<endpoint> {
    error = std::string(why) + "; expected redis://[[user]:password@]host[:port][/db]";
    return std::nullopt;
  };
  const auto url = boost::urls::parse_absolute_uri(text);
  if (!url) {
    return fail("not a URL");
  }
  if (url->scheme() != "redis") {
    return fail("the scheme must be redis:// (TLS, rediss://, is not supported)");
  }
  if (!url->has_authority() || url->host().empty()) {
    return fail("the host is missing");
  }
  if (url->has_query() || url->has_fragment()) {
    return fail("a query or fragment is not allowed");
  }
  endpoint out;
  out.host = url->host_address();
  if (url->has_port()) {
    const std::string_view port = url->port();
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535) {
      return fail("the port must be 1 to 65535");
    }
    out.port = static_cast<std::uint16_t>(value);
  }
  if (url->has_userinfo()) {
    out.user = url->user();
    out.password = url->password();
  }
  std::string_view path = url->encoded_path();
  if (!path.empty() && path != "/") {
    path.remove_prefix(1);
    unsigned db = 0;
    const auto [end, ec] = std::from_chars(path.data(), path.data() + path.size(), db);
    if (ec != std::errc{} || end != path.data() + path.size()) {
      return fail("the database must be a number (/0, /1, ...)");
    }
    out.db = db;
  }
  return out;
}

}  // namespace pollchat::redis
