#include "net/client_address.hpp"

#include <array>
#include <boost/beast/core/string.hpp>
#include <cctype>

#include "common/http_text.hpp"

namespace pollchat {
namespace {

namespace ip = boost::asio::ip;
using address = ip::address;

// The longest hop worth reading: a bracketed IPv6 address with a scope id and a port fits.
constexpr std::size_t max_hop = 63;

bool is_tchar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// RFC 7239 wants a port or an IPv6 address quoted; proxies that write `for=192.0.2.1:80` or
// `for=[2001:db8::1]` bare are common enough to read. The value is checked as an address anyway.
bool is_value_char(char c) { return is_tchar(c) || c == ':' || c == '[' || c == ']'; }

// A port, or an obfuscated one (`_abc`, RFC 7239 §6.3).
bool is_port(std::string_view p) {
  if (p.size() >= 2 && p.front() == '_') {
    for (const char c : p.substr(1)) {
      if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '.' && c != '_' && c != '-') {
        return false;
      }
    }
    return true;
  }
  if (p.empty() || p.size() > 5) {
    return false;
  }
  unsigned value = 0;
  for (const char c : p) {
    if (c < '0' || c > '9') {
      return false;
    }
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value <= 65535;
}

// Asio wants a C string: copy into a stack buffer rather than allocate for every hop.
std::optional<address> parse_address(std::string_view text) {
  if (text.empty() || text.size() > max_hop) {
    return std::nullopt;
  }
  std::array<char, max_hop + 1> buffer{};
  text.copy(buffer.data(), text.size());
  boost::system::error_code ec;
  const address a = ip::make_address(buffer.data(), ec);
  if (ec) {
    return std::nullopt;
  }
  // One client, one bucket: ::ffff:192.0.2.1 and 192.0.2.1 are the same client, and so are
  // fe80::1%1 and fe80::1%2 (a scope id names the proxy's interface, not the client).
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return address(ip::make_address_v4(ip::v4_mapped, a.to_v6()));
  }
  if (a.is_v6() && a.to_v6().scope_id() != 0) {
    ip::address_v6 unscoped = a.to_v6();
    unscoped.scope_id(0);
    return address(unscoped);
  }
  return a;
}

// The walk from the right, done in one pass from the left: the client is decided by the
// rightmost hop that is not a trusted address (the one the walk would stop at), or, when every
// hop is trusted, by the leftmost. So nothing but these two is kept.
class hop_walk {
 public:
  explicit hop_walk(const trusted_proxies& trusted) : trusted_(trusted) {}

  // One hop, in order from the left; nullopt: a hop that is not an address.
  void add(const std::optional<address>& hop) {
    if (!any_) {
      any_ = true;
      leftmost_ = hop;
    }
    if (!hop || !trusted_.contains(*hop)) {
      stopped_ = true;
      stop_ = hop;
    }
  }

  std::optional<address> client() const {
    if (!any_) {
      return std::nullopt;
    }
    return stopped_ ? stop_ : leftmost_;
  }

 private:
  const trusted_proxies& trusted_;
  bool any_ = false;
  std::optional<address> leftmost_;
  bool stopped_ = false;
  std::optional<address> stop_;  // nullopt: the walk stops at a hop that is not an address
};

void walk_x_forwarded_for(std::string_view line, hop_walk& walk) {
  while (true) {
    const auto comma = line.find(',');
    // Empty list elements (`a,,b`) are allowed by HTTP's list syntax and mean nothing.
    if (const auto item = trim_ows(line.substr(0, comma)); !item.empty()) {
      walk.add(parse_hop(item));
    }
    if (comma == std::string_view::npos) {
      return;
    }
    line.remove_prefix(comma + 1);
  }
}

// One line of `Forwarded`: elements separated by commas, each pairs separated by semicolons,
// values tokens or quoted strings (which may hold commas). Each element is one hop: its `for=`
// address, or "not an address" when it has none, has two, or names no address. Returns false
// at a syntax error: where the rest of the line splits is then unknown.
bool walk_forwarded_line(std::string_view s, hop_walk& walk, bool& saw_for) {
  std::size_t i = 0;
  const auto skip_ows = [&] {
    while (i < s.size() && is_ows(s[i])) ++i;
  };
  while (true) {
    bool has_pair = false;
    int for_count = 0;
    std::optional<address> hop;
    while (true) {
      skip_ows();
      if (i < s.size() && s[i] != ',' && s[i] != ';') {
        const std::size_t name_start = i;
        while (i < s.size() && is_tchar(s[i])) ++i;
        const std::string_view name = s.substr(name_start, i - name_start);
        if (name.empty() || i == s.size() || s[i] != '=') {
          return false;
        }
        ++i;
        std::string_view value;
        bool escaped = false;
        if (i < s.size() && s[i] == '"') {
          const std::size_t start = ++i;
          while (i < s.size() && s[i] != '"') {
            escaped = escaped || s[i] == '\\';
            i += s[i] == '\\' ? 2 : 1;
          }
          if (i >= s.size()) {
            return false;  // an unterminated quoted string
          }
          value = s.substr(start, i - start);
          ++i;
        } else {
          const std::size_t start = i;
          while (i < s.size() && is_value_char(s[i])) ++i;
          value = s.substr(start, i - start);
          if (value.empty()) {
            return false;
          }
        }
        has_pair = true;
        if (boost::beast::iequals(name, "for")) {
          saw_for = true;
          ++for_count;
          // No address holds a backslash: an escaped value names none.
          hop = escaped ? std::nullopt : parse_hop(value);
        }
        skip_ows();
      }
      if (i == s.size() || s[i] == ',') {
        break;
      }
      if (s[i] != ';') {
        return false;
      }
      ++i;
    }
    if (has_pair) {  // an empty element (`a,,b`) is no hop
      walk.add(for_count == 1 ? hop : std::nullopt);
    }
    if (i == s.size()) {
      return true;
    }
    ++i;  // the comma
  }
}

}  // namespace

std::optional<address> parse_hop(std::string_view text) {
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    const std::string_view inside = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (inside.find(':') == std::string_view::npos ||
        (!rest.empty() && (rest.front() != ':' || !is_port(rest.substr(1))))) {
      return std::nullopt;
    }
    return parse_address(inside);
  }
  if (auto a = parse_address(text)) {
    return a;  // 192.0.2.1 or 2001:db8::1
  }
  // 192.0.2.1:4711 (one colon: an IPv6 address without brackets has several).
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || text.find(':', colon + 1) != std::string_view::npos ||
      !is_port(text.substr(colon + 1))) {
    return std::nullopt;
  }
  auto a = parse_address(text.substr(0, colon));
  return a && a->is_v4() ? a : std::nullopt;
}

std::optional<address> forwarded_client(const address& peer, const trusted_proxies& trusted,
                                        const boost::beast::http::fields& headers) {
  if (trusted.empty() || !trusted.contains(peer)) {
    return std::nullopt;  // a peer outside the list never moves its own address
  }
  hop_walk walk(trusted);
  bool saw_for = false;
  for (const auto& field : headers) {
    if (boost::beast::iequals(field.name_string(), "forwarded") &&
        !walk_forwarded_line(field.value(), walk, saw_for)) {
      // A line that cannot be parsed may hide a `for=`: it counts, as a hop that is no address.
      saw_for = true;
      walk.add(std::nullopt);
    }
  }
  if (saw_for) {
    return walk.client();
  }
  // No `Forwarded` with a `for=`: it counts as absent.
  hop_walk legacy(trusted);
  for (const auto& field : headers) {
    if (boost::beast::iequals(field.name_string(), "x-forwarded-for")) {
      walk_x_forwarded_for(field.value(), legacy);
    }
  }
  return legacy.client();
}

}  // namespace pollchat
