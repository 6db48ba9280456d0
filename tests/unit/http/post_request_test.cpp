#include "http/post_request.hpp"

#include <gtest/gtest.h>

namespace pollchat {
namespace {

namespace http = boost::beast::http;

std::variant<post_fields, api_error> parse_form(std::string_view type, std::string_view body,
                                                std::string_view query = "",
                                                std::size_t max = 4096) {
  static std::string query_text;
  query_text = query;
  return parse_post(type, body, boost::urls::params_view(query_text), post_limits{max});
}

post_fields ok(const std::variant<post_fields, api_error>& v) {
  if (const auto* e = std::get_if<api_error>(&v)) {
    ADD_FAILURE() << "refused: " << e->code << ": " << e->message;
    return {};
  }
  return std::get<post_fields>(v);
}

api_error refused(const std::variant<post_fields, api_error>& v) {
  if (std::holds_alternative<post_fields>(v)) {
    ADD_FAILURE() << "accepted, expected a refusal";
    return {};
  }
  return std::get<api_error>(v);
}

}  // namespace

TEST(PostRequest, ReadsTheTutorialsRawCurlForm) {
  const auto f = ok(parse_form("application/x-www-form-urlencoded", "body=Hello world!"));
  EXPECT_EQ(f.body, "Hello world!");
  EXPECT_EQ(f.name, "anonymous");
  EXPECT_EQ(f.client, "");
}

TEST(PostRequest, FormWithoutContentTypeDecodesPlusAndEscapes) {
  const auto f = ok(parse_form("", "name=bob&body=a+b%2Bc%20d&client=c1"));
  EXPECT_EQ(f.body, "a b+c d");
  EXPECT_EQ(f.name, "bob");
  EXPECT_EQ(f.client, "c1");
}

// A field's name is decoded as its value is: an escaped `body` is `body`, `na+me` is not `name`.
TEST(PostRequest, FormNamesAreDecodedToo) {
  const auto f = ok(parse_form("", "na+me=x&b%6Fdy=hi&n%61me=ann"));
  EXPECT_EQ(f.body, "hi");
  EXPECT_EQ(f.name, "ann");
}

TEST(PostRequest, FormKeepsRawUtf8) {
  EXPECT_EQ(ok(parse_form("", "body=h\xC3\xA9llo")).body, "h\xC3\xA9llo");
}

TEST(PostRequest, BrokenPercentEscapeIsAMalformedForm) {
  EXPECT_EQ(refused(parse_form("", "body=100% sure")).code, "malformed_form");
}

TEST(PostRequest, ReadsJson) {
  const auto f =
      ok(parse_form("application/json; charset=utf-8", R"({"body":"hi","name":"carol"})"));
  EXPECT_EQ(f.body, "hi");
  EXPECT_EQ(f.name, "carol");
}

TEST(PostRequest, RefusesMalformedOrMistypedJson) {
  EXPECT_EQ(refused(parse_form("application/json", "{body")).code, "malformed_json");
  EXPECT_EQ(refused(parse_form("application/json", "[1]")).code, "malformed_json");
  EXPECT_EQ(refused(parse_form("application/json", R"({"body":5})")).code, "bad_parameter");
}

TEST(PostRequest, TextPlainIsTheWholeMessage) {
  EXPECT_EQ(ok(parse_form("text/plain", "body=not a form\n")).body, "body=not a form\n");
}

TEST(PostRequest, NameAndClientMayComeFromTheQuery) {
  const auto f = ok(parse_form("text/plain", "hi", "name=dave&client=xyz"));
  EXPECT_EQ(f.name, "dave");
  EXPECT_EQ(f.client, "xyz");
}

TEST(PostRequest, RefusesEmptyOrMissingBody) {
  EXPECT_EQ(refused(parse_form("", "name=bob")).code, "missing_body");
  EXPECT_EQ(refused(parse_form("", "body=")).code, "missing_body");
  EXPECT_EQ(refused(parse_form("text/plain", "")).code, "missing_body");
}

// `curl --data "hello"`, as ntfy users post: a form with no '=' at all is the text, as sent.
TEST(PostRequest, AFormWithNoFieldIsTheMessageItselfExactlyAsSent) {
  EXPECT_EQ(ok(parse_form("application/x-www-form-urlencoded", "hello")).body, "hello");
  EXPECT_EQ(ok(parse_form("", "1+1 & 100% sure")).body, "1+1 & 100% sure");
  const auto f = ok(parse_form("", "hi there", "name=erin&client=c9"));
  EXPECT_EQ(f.body, "hi there");
  EXPECT_EQ(f.name, "erin");
  EXPECT_EQ(f.client, "c9");
  EXPECT_EQ(refused(parse_form("", "")).code, "missing_body");
}

TEST(PostRequest, AFormWithoutBodyShowsBothWaysToPost) {
  const auto e = refused(parse_form("", "name=bob"));
  EXPECT_EQ(e.code, "missing_body");
  EXPECT_NE(e.message.find(R"(curl --data "body=hello")"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find(R"(curl --data "hello")"), std::string::npos) << e.message;
  EXPECT_EQ(e.message.find("empty"), std::string::npos) << e.message;  // it was not empty
}

TEST(PostRequest, RefusesOversizedMessageWith413) {
  const auto e = refused(parse_form("text/plain", std::string(11, 'x'), "", 10));
  EXPECT_EQ(e.status, http::status::payload_too_large);
  EXPECT_NE(e.message.find("--max-message"), std::string::npos) << e.message;
  ok(parse_form("text/plain", std::string(10, 'x'), "", 10));
}

TEST(PostRequest, RefusesInvalidUtf8) {
  EXPECT_EQ(refused(parse_form("text/plain", "\xFF\xFE")).code, "invalid_utf8");
  EXPECT_EQ(refused(parse_form("", "body=%FF")).code, "invalid_utf8");
}

TEST(PostRequest, RefusesUnsupportedMediaTypeWith415) {
  EXPECT_EQ(refused(parse_form("image/png", "x")).status, http::status::unsupported_media_type);
}

TEST(PostRequest, ValidatesNameAndClient) {
  EXPECT_EQ(refused(parse_form("", "body=x&name=" + std::string(33, 'n'))).code, "bad_parameter");
  EXPECT_EQ(refused(parse_form("", "body=x&name=a%07b")).code, "bad_parameter");
  EXPECT_EQ(ok(parse_form("", "body=x&name=" + std::string(32, 'n'))).name.size(), 32u);
  EXPECT_EQ(refused(parse_form("", "body=x&client=" + std::string(65, 'c'))).code, "bad_parameter");
}

}  // namespace pollchat
