#include "net/client_address.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <utility>

namespace pollchat {
namespace {

namespace http = boost::beast::http;
using header_lines = std::initializer_list<std::pair<const char*, std::string>>;

trusted_proxies trusting(std::string_view list) {
  return std::get<trusted_proxies>(trusted_proxies::parse(list));
}

// The client's address as text; "peer" when it is the peer itself.
std::string client(const char* peer, std::string_view trusted, header_lines lines) {
  http::fields headers;
  for (const auto& [name, value] : lines) {
    headers.insert(name, value);
  }
  const auto found =
      forwarded_client(boost::asio::ip::make_address(peer), trusting(trusted), headers);
  return found ? found->to_string() : "peer";
}

constexpr const char* proxy = "127.0.0.1";

}  // namespace

TEST(ClientAddress, NoTrustedProxiesMeansThePeer) {
  EXPECT_EQ(client(proxy, "", {{"X-Forwarded-For", "203.0.113.7"}}), "peer");
  EXPECT_EQ(client(proxy, "", {{"Forwarded", "for=203.0.113.7"}}), "peer");
}

TEST(ClientAddress, UntrustedPeerNeverMovesItsAddress) {
  EXPECT_EQ(client("198.51.100.1", proxy, {{"X-Forwarded-For", "203.0.113.7"}}), "peer");
  EXPECT_EQ(client("198.51.100.1", proxy, {{"Forwarded", "for=203.0.113.7"}}), "peer");
}

TEST(ClientAddress, TrustedPeerWithoutHeadersIsTheClient) {
  EXPECT_EQ(client(proxy, proxy, {}), "peer");
  EXPECT_EQ(client(proxy, proxy, {{"X-Forwarded-For", ""}}), "peer");
  EXPECT_EQ(client(proxy, proxy, {{"X-Forwarded-For", " , "}}), "peer");
}

TEST(ClientAddress, XForwardedForRightmostUntrustedIsTheClient) {
  EXPECT_EQ(client(proxy, proxy, {{"X-Forwarded-For", "203.0.113.7"}}), "203.0.113.7");
  // A client that prepends its own entries gains nothing: the proxy appended the real one.
  EXPECT_EQ(client(proxy, proxy, {{"X-Forwarded-For", "1.1.1.1, 2.2.2.2, 203.0.113.7"}}),
            "203.0.113.7");
  EXPECT_EQ(client(proxy, proxy, {{"X-Forwarded-For", "2001:db8::5"}}), "2001:db8::5");
}

TEST(ClientAddress, TrustedHopsAreSkipped) {
  EXPECT_EQ(client(proxy, "127.0.0.1,10.0.0.0/8",
                   {{"X-Forwarded-For", "1.1.1.1, 203.0.113.7, 10.1.1.1, 10.2.2.2"}}),
            "203.0.113.7");
}

TEST(ClientAddress, EveryHopTrustedMeansTheLeftmost) {
  EXPECT_EQ(client(proxy, "127.0.0.1,10.0.0.0/8", {{"X-Forwarded-For", "10.0.0.9, 10.1.1.1"}}),
            "10.0.0.9");
}

TEST(ClientAddress, SeveralLinesAreOneListInOrder) {
  EXPECT_EQ(client(proxy, "127.0.0.1,10.0.0.0/8",
                   {{"X-Forwarded-For", "203.0.113.7"}, {"X-Forwarded-For", "10.1.1.1"}}),
            "203.0.113.7");
  EXPECT_EQ(client(proxy, proxy, {{"X-Forwarded-For", "1.1.1.1"}, {"x-forwarded-for", "2.2.2.2"}}),
            "2.2.2.2");
  EXPECT_EQ(client(proxy, "127.0.0.1,10.0.0.0/8",
                   {{"Forwarded", "for=203.0.113.7"}, {"Forwarded", "for=10.1.1.1"}}),
            "203.0.113.7");
}

TEST(ClientAddress, HopThatIsNoAddressWhereTheWalkReachesItMeansThePeer) {
  for (const char* hop : {"unknown", "_hidden", "garbage", "300.1.1.1", "1.2.3.4:99999",
                          "[1.2.3.4]", "1.2.3.4:80:80", ""}) {
    if (*hop != '\0') {
      EXPECT_EQ(client(proxy, proxy, {{"X-Forwarded-For", std::string("203.0.113.7, ") + hop}}),
                "peer")
          << hop;
    }
    EXPECT_EQ(client(proxy, proxy, {{"Forwarded", std::string("for=203.0.113.7, for=\"") + hop +
                                                      "\""}}),
              "peer")
        << hop;
  }
  EXPECT_EQ(client(proxy, proxy, {{"Forwarded", "for=203.0.113.7, for=unknown"}}), "peer");
  EXPECT_EQ(client(proxy, proxy, {{"Forwarded", "for=203.0.113.7, for=_gazonk"}}), "peer");
}

TEST(ClientAddress, HopsLeftOfWhereTheWalkStopsDoNotMatter) {
  EXPECT_EQ(client(proxy, proxy, {{"X-Forwarded-For", "garbage, unknown, 203.0.113.7"}}),
            "203.0.113.7");
  EXPECT_EQ(client(proxy, proxy, {{"Forwarded", "for=unknown, for=_x, for=203.0.113.7"}}),
            "203.0.113.7");
  // A line that cannot be parsed, left of a line the walk stops in.
  EXPECT_EQ(client(proxy, proxy, {{"Forwarded", "for=\"1.2.3.4"}, {"Forwarded", "for=203.0.113.7"}}),
            "203.0.113.7");
}

TEST(ClientAddress, ForwardedNodeForms) {
  EXPECT_EQ(client(proxy, proxy, {{"Forwarded", "for=192.0.2.60"}}), "192.0.2.60");
  EXPECT_EQ(client(proxy, proxy, {{"Forwarded", "for=\"192.0.2.60:4711\""}}), "192.0.2.60");
  EXPECT_EQ(client(proxy, proxy, {{"Forwarded", "for=\"[2001:db8:cafe::17]:4711\""}}),
            "2001:db8:cafe::17");
  EXPECT_EQ(client(proxy, proxy, {{"Forwarded", "for=\"[2001:db8:cafe::17]\""}}),
            "2001:db8:cafe::17");
  EXPECT_EQ(client(proxy, proxy, {{"Forwarded", "for=\"192.0.2.60:_port\""}}), "192.0.2.60");
  // Written bare by some proxies against RFC 7239; still one address.
  EXPECT_EQ(client(proxy, proxy, {{"Forwarded", "for=192.0.2.60:4711"}}), "192.0.2.60");
  EXPECT_EQ(client(proxy, proxy, {{"Forwarded", "for=[2001:db8::1]:80"}}), "2001:db8::1");
  // An IPv4-mapped address is the IPv4 client: one bucket.
  EXPECT_EQ(client(proxy, proxy, {{"Forwarded", "for=\"[::ffff:192.0.2.60]\""}}), "192.0.2.60");
  EXPECT_EQ(client(proxy, proxy, {{"X-Forwarded-For", "::ffff:192.0.2.60"}}), "192.0.2.60");
}

// A scope id (`%eth0`, `%1`) names the interface it arrived on, not the client: one bucket.
TEST(ClientAddress, AnIpv6ScopeIdIsDropped) {
  EXPECT_EQ(client(proxy, proxy, {{"X-Forwarded-For", "fe80::1%1"}}), "fe80::1");
  EXPECT_EQ(client(proxy, proxy, {{"X-Forwarded-For", "fe80::1%2"}}), "fe80::1");
  EXPECT_EQ(client(proxy, proxy, {{"Forwarded", "for=\"[fe80::1%2]:80\""}}), "fe80::1");
  EXPECT_EQ(parse_hop("[fe80::1%1]:4711"), parse_hop("fe80::1"));
}

TEST(ClientAddress, ForwardedParametersAndElements) {
  EXPECT_EQ(client(proxy, proxy, {{"Forwarded", "FOR=192.0.2.60;proto=http;by=203.0.113.43"}}),
            "192.0.2.60");
  EXPECT_EQ(client(proxy, proxy, {{"Forwarded", "proto=https; For=\"192.0.2.60\" ; host=a"}}),
            "192.0.2.60");
  EXPECT_EQ(client(proxy, proxy, {{"Forwarded", "for=192.0.2.43, for=198.51.100.17"}}),
            "198.51.100.17");
  // A quoted value may hold commas and semicolons.
  EXPECT_EQ(client(proxy, proxy, {{"Forwarded", "for=192.0.2.43;host=\"a,b;c\", for=198.51.100.17"}}),
            "198.51.100.17");
  EXPECT_EQ(client(proxy, "127.0.0.1,198.51.100.0/24",
                   {{"Forwarded", "for=192.0.2.43;host=\"a,b;c\", for=198.51.100.17"}}),
            "192.0.2.43");
  EXPECT_EQ(client(proxy, proxy, {{"Forwarded", "for=192.0.2.43,,for=198.51.100.17,"}}),
            "198.51.100.17");
}

TEST(ClientAddress, ForwardedElementWithoutOneForIsNoAddress) {
  EXPECT_EQ(client(proxy, proxy, {{"Forwarded", "for=192.0.2.43, proto=https"}}), "peer");
  EXPECT_EQ(client(proxy, proxy, {{"Forwarded", "for=192.0.2.43;for=198.51.100.17"}}), "peer");
}

TEST(ClientAddress, ForwardedWinsOverXForwardedFor) {
  EXPECT_EQ(client(proxy, proxy,
                   {{"X-Forwarded-For", "198.51.100.17"}, {"Forwarded", "for=192.0.2.43"}}),
            "192.0.2.43");
}

TEST(ClientAddress, ForwardedWithoutForCountsAsAbsent) {
  EXPECT_EQ(client(proxy, proxy,
                   {{"Forwarded", "proto=https;by=10.0.0.1"}, {"X-Forwarded-For", "198.51.100.17"}}),
            "198.51.100.17");
  EXPECT_EQ(client(proxy, proxy, {{"Forwarded", ""}, {"X-Forwarded-For", "198.51.100.17"}}),
            "198.51.100.17");
}

TEST(ClientAddress, MalformedForwardedFallsBackToThePeer) {
  for (const char* bad : {"for=\"192.0.2.43", "for=192.0.2.43 junk", "=192.0.2.43", "for=",
                          "for", "for=192.0.2.43;;=x", "for=\"192.0.2.43\"x", "for=a\"b\""}) {
    EXPECT_EQ(client(proxy, proxy, {{"Forwarded", bad}, {"X-Forwarded-For", "198.51.100.17"}}),
              "peer")
        << bad;
  }
  EXPECT_EQ(client(proxy, proxy, {{"Forwarded", "for=\"192.0.2\\.43\""}}), "peer");
}

TEST(ClientAddress, TrustedIpv6AndMappedPeers) {
  EXPECT_EQ(client("::1", "::1", {{"X-Forwarded-For", "203.0.113.7"}}), "203.0.113.7");
  EXPECT_EQ(client("::ffff:127.0.0.1", proxy, {{"X-Forwarded-For", "203.0.113.7"}}),
            "203.0.113.7");
}

// Thousands of hops in one header cost one pass and give the same answer.
TEST(ClientAddress, ThousandsOfHopsAreOnePass) {
  std::string many;
  std::string many_forwarded;
  for (int k = 0; k < 2000; ++k) {
    many += "10.0.0.1, ";
    many_forwarded += "for=10.0.0.1, ";
  }
  EXPECT_EQ(client(proxy, proxy, {{"X-Forwarded-For", many + "203.0.113.7"}}), "203.0.113.7");
  EXPECT_EQ(client(proxy, "127.0.0.1,10.0.0.0/8", {{"X-Forwarded-For", many + "10.0.0.2"}}),
            "10.0.0.1");
  EXPECT_EQ(client(proxy, proxy, {{"Forwarded", many_forwarded + "for=203.0.113.7"}}),
            "203.0.113.7");
}

TEST(ClientAddress, ParsesHops) {
  EXPECT_EQ(parse_hop("192.0.2.1")->to_string(), "192.0.2.1");
  EXPECT_EQ(parse_hop("192.0.2.1:65535")->to_string(), "192.0.2.1");
  EXPECT_EQ(parse_hop("[2001:db8::1]:1")->to_string(), "2001:db8::1");
  EXPECT_FALSE(parse_hop("192.0.2.1:65536"));
  EXPECT_FALSE(parse_hop("192.0.2.1:"));
  EXPECT_FALSE(parse_hop("[2001:db8::1"));
  EXPECT_FALSE(parse_hop("[2001:db8::1]x"));
  EXPECT_FALSE(parse_hop("[192.0.2.1]:80"));
  EXPECT_FALSE(parse_hop("2001:db8::1:80:x"));
  EXPECT_FALSE(parse_hop(std::string(200, '1')));
}

}  // namespace pollchat
