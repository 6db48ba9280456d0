#include "http/poll_request.hpp"

#include <gtest/gtest.h>

namespace pollchat {
namespace {

std::variant<poll_params, api_error> parse_query(std::string query, std::string_view accept = "") {
  static std::string text;
  text = std::move(query);
  return parse_poll(boost::urls::params_encoded_view(text), accept, poll_limits{30, 55});
}

}  // namespace

TEST(PollRequest, Defaults) {
  const auto p = std::get<poll_params>(parse_query(""));
  EXPECT_FALSE(p.since);
  EXPECT_EQ(p.timeout, std::chrono::seconds(30));
  EXPECT_EQ(p.limit, 100u);
  EXPECT_TRUE(p.as_text);
  EXPECT_EQ(p.name, "anonymous");
}

TEST(PollRequest, ReadsEveryParameter) {
  const auto p =
      std::get<poll_params>(parse_query("since=12&epoch=abc&timeout=0&limit=1000&format=json"));
  EXPECT_EQ(p.since, 12u);
  EXPECT_EQ(p.epoch, "abc");
  EXPECT_EQ(p.timeout, std::chrono::seconds(0));
  EXPECT_EQ(p.limit, 1000u);
  EXPECT_FALSE(p.as_text);
}

TEST(PollRequest, AcceptJsonChoosesJsonByDefault) {
  EXPECT_FALSE(std::get<poll_params>(parse_query("", "application/json")).as_text);
  EXPECT_TRUE(std::get<poll_params>(parse_query("format=text", "application/json")).as_text);
}

TEST(PollRequest, RefusesValuesOutOfRange) {
  for (const char* q : {"since=-1", "since=x", "since=", "timeout=56", "timeout=1.5", "limit=0",
                        "limit=1001", "format=xml"}) {
    const auto r = parse_query(q);
    ASSERT_TRUE(std::holds_alternative<api_error>(r)) << q;
    EXPECT_EQ(std::get<api_error>(r).code, "bad_parameter") << q;
  }
}

}  // namespace pollchat

namespace pollchat {

// The query is read in one pass: the first occurrence of a name still wins (as a lookup by
// name gave), an escaped name is still its name, and an unknown one is ignored.
TEST(PollRequest, OnePassKeepsTheFirstOccurrenceAndDecodesNames) {
  const auto p = std::get<poll_params>(parse_query(
      "limit=2&x=1&since=5&%73ince=9&since=7&format=text&limit=x&na%6De=Ann%20Lee&client=c%201"));
  EXPECT_EQ(p.since, 5u);
  EXPECT_EQ(p.limit, 2u);
  EXPECT_TRUE(p.as_text);
  EXPECT_EQ(p.name, "Ann Lee");
  EXPECT_EQ(p.client, "c 1");
  EXPECT_EQ(std::get<poll_params>(parse_query("%73ince=3")).since, 3u);
  // The first occurrence is the one read, and here it is bad.
  EXPECT_TRUE(std::holds_alternative<api_error>(parse_query("limit=x&limit=2")));
}

// '+' is a space in a name or a value, as a form encodes it; a value with neither '+' nor '%'
// is taken as it is.
TEST(PollRequest, PlusIsASpaceAndPlainValuesAreKept) {
  const auto p = std::get<poll_params>(
      parse_query("name=Ann+Lee&client=a%2Bb&fo+rmat=text&epoch=e-1.2_3~"));
  EXPECT_EQ(p.name, "Ann Lee");
  EXPECT_EQ(p.client, "a+b");
  EXPECT_TRUE(p.as_text);  // no format was given ("fo rmat" is not one), nor an Accept
  EXPECT_EQ(p.epoch, "e-1.2_3~");
  EXPECT_EQ(std::get<poll_params>(parse_query("format=js%6Fn")).as_text, false);
}

}  // namespace pollchat
