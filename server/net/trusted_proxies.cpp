#include "net/trusted_proxies.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "common/http_text.hpp"

namespace pollchat {
namespace {

namespace ip = boost::asio::ip;

bool in_v4(const ip::address_v4& a, const ip::network_v4& net) {
  // Masking `a` with the block's prefix gives the block's network address exactly when `a` is
  // inside (is_subnet_of() would not do: it refuses equal blocks).
  return ip::network_v4(a, net.prefix_length()).network() == net.network();
}

bool in_v6(const ip::address_v6& a, const ip::network_v6& net) {
  // Bytes, not addresses: a scope id (fe80::1%eth0) must not make a match fail.
  return ip::network_v6(a, net.prefix_length()).network().to_bytes() ==
         net.network().to_bytes();
}

}  // namespace

std::variant<trusted_proxies, std::string> trusted_proxies::parse(std::string_view list) {
  trusted_proxies result;
  if (trim_ows(list).empty()) {
    return result;
  }
  while (true) {
    const auto comma = list.find(',');
    const std::string entry(trim_ows(list.substr(0, comma)));
    if (entry.empty()) {
      return std::string("an empty entry (two commas in a row, or one at an end)");
    }
    boost::system::error_code ec;
    const auto slash = entry.find('/');
    // Asio reads the prefix with atoi: refuse what atoi could overflow on.
    const bool prefix_ok = slash == std::string::npos ||
                           (entry.size() - slash - 1 >= 1 && entry.size() - slash - 1 <= 3);
    if (!prefix_ok) {
      ec = make_error_code(boost::system::errc::invalid_argument);
    } else if (slash != std::string::npos && entry.find(':') == std::string::npos) {
      result.v4_.push_back(ip::make_network_v4(entry, ec).canonical());
    } else if (slash != std::string::npos) {
      result.v6_.push_back(ip::make_network_v6(entry, ec).canonical());
    } else if (const auto a = ip::make_address(entry, ec); !ec && a.is_v4()) {
      result.v4_.emplace_back(a.to_v4(), 32);
    } else if (!ec) {
      result.v6_.emplace_back(a.to_v6(), 128);
    }
    if (ec) {
      return fmt::format("'{}' is not an address or a CIDR block (e.g. 10.0.0.1, 10.0.0.0/8, "
                         "::1, fd00::/8)",
                         entry);
    }
    if (comma == std::string_view::npos) {
      return result;
    }
    list.remove_prefix(comma + 1);
  }
}

bool trusted_proxies::contains(const ip::address& a) const {
  if (a.is_v4() || (a.is_v6() && a.to_v6().is_v4_mapped())) {
    const auto v4 = a.is_v4() ? a.to_v4() : ip::make_address_v4(ip::v4_mapped, a.to_v6());
    if (std::any_of(v4_.begin(), v4_.end(), [&](const auto& net) { return in_v4(v4, net); })) {
      return true;
    }
  }
  if (a.is_v6()) {
    const auto v6 = a.to_v6();
    return std::any_of(v6_.begin(), v6_.end(), [&](const auto& net) { return in_v6(v6, net); });
  }
  return false;
}

bool trusted_proxies::trusts_everyone() const {
  const auto zero = [](const auto& net) { return net.prefix_length() == 0; };
  return std::any_of(v4_.begin(), v4_.end(), zero) || std::any_of(v6_.begin(), v6_.end(), zero);
}

}  // namespace pollchat
