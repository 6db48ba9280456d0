#pragma once
// The proxies whose forwarding headers are believed (--trusted-proxies): addresses and CIDR
// blocks, IPv4 and IPv6. Parsed once at start; read-only afterwards, so any thread may use it.

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pollchat {

class trusted_proxies {
 public:
  trusted_proxies() = default;  // trusts no one

  // "127.0.0.1, 10.0.0.0/8, ::1, fd00::/8". An entry with host bits (10.0.0.1/8) means its
  // network. An empty or blank list trusts no one. On a malformed list: what is wrong, naming
  // the entry.
  static std::variant<trusted_proxies, std::string> parse(std::string_view list);

  bool empty() const { return v4_.empty() && v6_.empty(); }

  // True when `a` is in one of the blocks. An IPv4-mapped IPv6 address (::ffff:10.0.0.1, as a
  // dual-stack socket reports IPv4 peers) is matched as the IPv4 address it carries.
  bool contains(const boost::asio::ip::address& a) const;

  // True when some entry is 0.0.0.0/0 or ::/0: every client can then choose its own address.
  bool trusts_everyone() const;

 private:
  std::vector<boost::asio::ip::network_v4> v4_;  // canonical: host bits cleared
  std::vector<boost::asio::ip::network_v6> v6_;
};

}  // namespace pollchat
