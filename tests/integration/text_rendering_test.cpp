// Characters that reorder or hide text (SPEC §2: bidi controls, zero-width characters, U+2028
// and U+2029) through every door of the real server: names refused, text renderings show them
// as <U+202E>, JSON carries the body exactly as posted.

#include "integration.hpp"

namespace pollchat::testing {

namespace {

const std::string rlo = "\xE2\x80\xAE";  // U+202E RIGHT-TO-LEFT OVERRIDE

}  // namespace

TEST(TextRendering, ANameWithABidiOverrideIsRefusedEverywhere) {
  server_process server;
  ASSERT_TRUE(server.started()) << server.log();
  const auto posted = post(server, "/chat?name=alice%E2%80%AE", "body=hi");
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->result_int(), 400);
  EXPECT_NE(posted->body().find("bad_parameter"), std::string::npos) << posted->body();
  // A form field, a zero-width space, and a poll's presence name alike.
  EXPECT_EQ(post(server, "/chat", "name=bo%E2%80%8Bb&body=hi")->result_int(), 400);
  EXPECT_EQ(get(server, "/chat?timeout=0&client=c1&name=%E2%81%A6eve")->result_int(), 400);
  // Nothing was stored.
  const auto doc = json_of(get(server, "/chat?since=0&format=json&timeout=0"));
  EXPECT_TRUE(doc["messages"].empty()) << doc.dump();
}

TEST(TextRendering, BodiesShowTheCodeInTextAndStayExactInJson) {
  server_process server{{"--tcp-listen", "127.0.0.1:0"}};
  ASSERT_TRUE(server.started()) << server.log();
  test_connection tcp(server.tcp_port());
  ASSERT_TRUE(tcp.read_line());  // greeting
  ASSERT_TRUE(wait_until([&] { return metric(server, "pollchat_tcp_clients") == 1; }, 5s));

  const std::string body = "see " + rlo + "gnp.exe\xE2\x80\xA8" "forged: line\xEF\xBB\xBF";
  ASSERT_EQ(post(server, "/chat?name=web", body, {{"Content-Type", "text/plain"}})->result_int(), 200);

  const std::string shown = "web: see <U+202E>gnp.exe<U+2028>forged: line<U+FEFF>";
  EXPECT_EQ(tcp.read_line(), shown);
  const auto text = get(server, "/chat?since=1&format=text&timeout=0");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->body(), shown + "\n");
  const auto doc = json_of(get(server, "/chat?since=1&format=json&timeout=0"));
  ASSERT_EQ(doc["messages"].size(), 1u);
  EXPECT_EQ(doc["messages"][0]["body"], body);
}

TEST(TextRendering, TcpNickWithAZeroWidthJoinerIsRefused) {
  server_process server{{"--tcp-listen", "127.0.0.1:0"}};
  ASSERT_TRUE(server.started()) << server.log();
  test_connection tcp(server.tcp_port());
  ASSERT_TRUE(tcp.read_line());  // greeting
  ASSERT_TRUE(tcp.send("/nick ad\xE2\x80\x8Dmin\n"));
  const auto notice = tcp.read_line();
  ASSERT_TRUE(notice);
  EXPECT_TRUE(notice->starts_with("* usage: /nick NAME")) << *notice;
  ASSERT_TRUE(tcp.send("/nick " + rlo + "\n"));
  EXPECT_TRUE(tcp.read_line().value_or("").starts_with("* usage: /nick NAME"));
  // Only the connection's join is in the room: no rename happened.
  const auto doc = json_of(get(server, "/chat?since=0&format=json&timeout=0"));
  ASSERT_EQ(doc["messages"].size(), 1u) << doc.dump();
  EXPECT_EQ(doc["messages"][0]["type"], "join");
}

}  // namespace pollchat::testing
