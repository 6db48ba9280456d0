#pragma once
// Who the client is, behind trusted proxies (SPEC §10). Pure: no I/O, so every rule is unit
// tested without sockets.
//
// Only when the TCP peer is a trusted proxy are the forwarding headers read: `Forwarded`
// (RFC 7239, its `for=` parameters) or, when no `Forwarded` field carries a `for=`,
// `X-Forwarded-For`. Several lines of one field are one list, in order. The hops are walked from
// the right (the proxy nearest to us wrote the rightmost one), skipping trusted addresses: the
// first untrusted address is the client; a hop that is not an address (`unknown`, an
// obfuscated `_node`, an element without `for=`, garbage, a line that cannot be parsed) where
// the walk reaches it means nobody can say, so the client is the peer; if every hop is trusted,
// the leftmost is the client. Hops left of where the walk stops change nothing.
//
// Cost: one pass over the two fields, no allocation (an address is parsed from a small stack
// buffer), so a header of thousands of hops costs what the 8 KiB header limit allows and no
// more.

#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/fields.hpp>
#include <optional>
#include <string_view>

#include "net/trusted_proxies.hpp"

namespace pollchat {

// The client's address as the headers say it, or nullopt when the client is the peer itself
// (no trusted peer, no usable header, or a walk that ended on a hop that is not an address).
std::optional<boost::asio::ip::address> forwarded_client(
    const boost::asio::ip::address& peer, const trusted_proxies& trusted,
    const boost::beast::http::fields& headers);

// One hop as proxies write it: 192.0.2.1, 192.0.2.1:4711, 2001:db8::1, [2001:db8::1],
// [2001:db8::1]:4711 (a port may be obfuscated: `:_abc`). IPv4-mapped IPv6 addresses come back
// as IPv4, and a scope id (`fe80::1%2`) is dropped. nullopt when it is not an address.
std::optional<boost::asio::ip::address> parse_hop(std::string_view text);

}  // namespace pollchat
