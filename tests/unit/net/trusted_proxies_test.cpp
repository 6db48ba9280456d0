#include "net/trusted_proxies.hpp"

#include <gtest/gtest.h>

namespace pollchat {
namespace {

trusted_proxies parsed(std::string_view list) {
  auto result = trusted_proxies::parse(list);
  EXPECT_TRUE(std::holds_alternative<trusted_proxies>(result))
      << list << ": " << std::get<std::string>(result);
  return std::holds_alternative<trusted_proxies>(result) ? std::get<trusted_proxies>(result)
                                                          : trusted_proxies{};
}

bool trusts(const trusted_proxies& t, const char* a) {
  return t.contains(boost::asio::ip::make_address(a));
}

}  // namespace

TEST(TrustedProxies, EmptyListTrustsNoOne) {
  for (const char* list : {"", "  "}) {
    const auto t = parsed(list);
    EXPECT_TRUE(t.empty());
    EXPECT_FALSE(trusts(t, "127.0.0.1"));
    EXPECT_FALSE(trusts(t, "::1"));
  }
}

TEST(TrustedProxies, AddressesAndBlocksOfBothFamilies) {
  const auto t = parsed("127.0.0.1, 10.0.0.0/8 ,::1,fd00::/8");
  EXPECT_TRUE(trusts(t, "127.0.0.1"));
  EXPECT_FALSE(trusts(t, "127.0.0.2"));
  EXPECT_TRUE(trusts(t, "10.0.0.0"));
  EXPECT_TRUE(trusts(t, "10.255.255.255"));
  EXPECT_FALSE(trusts(t, "11.0.0.1"));
  EXPECT_TRUE(trusts(t, "::1"));
  EXPECT_FALSE(trusts(t, "::2"));
  EXPECT_TRUE(trusts(t, "fd12:3456::1"));
  EXPECT_FALSE(trusts(t, "fe80::1"));
  EXPECT_FALSE(t.trusts_everyone());
}

TEST(TrustedProxies, HostBitsMeanTheirNetwork) {
  const auto t = parsed("10.0.0.1/8,2001:db8::1/32");
  EXPECT_TRUE(trusts(t, "10.200.1.1"));
  EXPECT_TRUE(trusts(t, "2001:db8:ffff::7"));
  EXPECT_FALSE(trusts(t, "2001:db9::1"));
}

TEST(TrustedProxies, MappedIpv4MatchesItsIpv4Block) {
  const auto t = parsed("192.0.2.0/24");
  EXPECT_TRUE(trusts(t, "::ffff:192.0.2.7"));
  EXPECT_FALSE(trusts(t, "::ffff:192.0.3.7"));
}

TEST(TrustedProxies, ZeroPrefixTrustsEveryone) {
  EXPECT_TRUE(parsed("0.0.0.0/0").trusts_everyone());
  EXPECT_TRUE(parsed("::/0").trusts_everyone());
  EXPECT_TRUE(trusts(parsed("0.0.0.0/0"), "203.0.113.9"));
}

TEST(TrustedProxies, MalformedListSaysWhichEntry) {
  for (const char* list : {"10.0.0.1,", ",10.0.0.1", "10.0.0.1,,::1", "10.0.0", "10.0.0.1/33",
                           "10.0.0.1/", "10.0.0.1/8x", "::1/129", "10.0.0.1/0000000000000000008",
                           "localhost", "10.0.0.1 10.0.0.2", "1.2.3.4/-1", "fd00::/"}) {
    const auto result = trusted_proxies::parse(list);
    ASSERT_TRUE(std::holds_alternative<std::string>(result)) << list;
    EXPECT_FALSE(std::get<std::string>(result).empty()) << list;
  }
  const auto result = trusted_proxies::parse("10.0.0.1, nonsense");
  ASSERT_TRUE(std::holds_alternative<std::string>(result));
  EXPECT_NE(std::get<std::string>(result).find("'nonsense'"), std::string::npos);
}

}  // namespace pollchat
