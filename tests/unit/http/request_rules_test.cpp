#include "http/request_rules.hpp"

#include <gtest/gtest.h>

#include "http/header_fields.hpp"

namespace pollchat {
namespace {

namespace http = boost::beast::http;

request_header header_with(std::vector<std::pair<std::string, std::string>> fields, unsigned version = 11) {
  request_header h;
  h.method(http::verb::post);
  h.target("/chat");
  h.version(version);
  for (auto& [name, value] : fields) h.insert(name, value);
  return h;
}

TEST(RequestRules, OnlyExactlyChunkedIsAccepted) {
  EXPECT_FALSE(check_framing(header_with({})));
  EXPECT_FALSE(check_framing(header_with({{"Transfer-Encoding", "chunked"}})));
  EXPECT_FALSE(check_framing(header_with({{"Transfer-Encoding", " Chunked "}})));
  for (const std::string bad : {"chunked, identity", "gzip", "xchunked", "chunked, chunked", "", "chunked;q=1"}) {
    const auto refusal = check_framing(header_with({{"Transfer-Encoding", bad}}));
    ASSERT_TRUE(refusal) << bad;
    EXPECT_EQ(refusal->status, http::status::bad_request) << bad;
  }
  const auto gzip_chunked = check_framing(header_with({{"Transfer-Encoding", "gzip, chunked"}}));
  ASSERT_TRUE(gzip_chunked);
  EXPECT_EQ(gzip_chunked->status, http::status::not_implemented);
  const auto two_lines = check_framing(header_with({{"Transfer-Encoding", "identity"}, {"Transfer-Encoding", "chunked"}}));
  ASSERT_TRUE(two_lines);
  EXPECT_EQ(two_lines->status, http::status::not_implemented);
}

TEST(RequestRules, TransferEncodingWithContentLengthOrInHttp10IsRefused) {
  EXPECT_TRUE(check_framing(header_with({{"Transfer-Encoding", "chunked"}, {"Content-Length", "5"}})));
  EXPECT_TRUE(check_framing(header_with({{"Transfer-Encoding", "chunked"}}, 10)));
  EXPECT_FALSE(check_framing(header_with({{"Content-Length", "5"}}, 10)));
}

TEST(RequestRules, Http11NeedsExactlyOneHost) {
  EXPECT_TRUE(check_host(header_with({})));
  EXPECT_FALSE(check_host(header_with({{"Host", "a"}})));
  EXPECT_TRUE(check_host(header_with({{"Host", "a"}, {"Host", "b"}})));
  EXPECT_FALSE(check_host(header_with({}, 10)));
  EXPECT_TRUE(check_host(header_with({{"Host", "a"}, {"Host", "a"}}, 10)));
}

TEST(RequestRules, TargetsInOriginOrAbsoluteForm) {
  const auto origin = parse_target("/chat/x?since=3");
  ASSERT_TRUE(origin);
  EXPECT_EQ(route_path(*origin), "/chat/x");
  const auto absolute = parse_target("http://host:9000/chat/x?since=3");
  ASSERT_TRUE(absolute);
  EXPECT_EQ(route_path(*absolute), "/chat/x");
  EXPECT_EQ(absolute->encoded_query(), "since=3");
  const auto bare = parse_target("https://host");
  ASSERT_TRUE(bare);
  EXPECT_EQ(route_path(*bare), "/");
  EXPECT_FALSE(parse_target("*"));
  EXPECT_FALSE(parse_target("host:9000"));
  EXPECT_FALSE(parse_target("ftp://host/chat"));
  EXPECT_FALSE(parse_target(""));
}

}  // namespace
TEST(HeaderFields, AKnownFieldIsFoundInAnyCaseFirstOfSeveral) {
  const auto h = header_with({{"host", "a"}, {"CONTENT-TYPE", "text/plain"}, {"Host", "b"}});
  EXPECT_EQ(field_value(h, http::field::content_type), "text/plain");
  EXPECT_EQ(field_value(h, http::field::host), "a");
  EXPECT_EQ(field_count(h, http::field::host), 2u);
  EXPECT_EQ(field_value(h, http::field::accept), "");
  EXPECT_EQ(field_count(h, http::field::accept), 0u);
}

TEST(HeaderFields, AFieldWithoutACodeIsFoundByName) {
  const auto h =
      header_with({{"idempotency-KEY", "k1"}, {"Idempotency-Key", "k2"}, {"X-Other", ""}});
  EXPECT_EQ(find_field(h, "Idempotency-Key"), "k1");
  EXPECT_EQ(find_field(h, "x-other"), "");  // present and empty is not absent
  EXPECT_EQ(find_field(h, "Idempotency"), std::nullopt);
}

}  // namespace pollchat
