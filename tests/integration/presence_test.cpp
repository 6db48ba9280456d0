// Presence (SPEC §4): who is in a room, over HTTP and TCP, and the rule that a client id is
// never shown to anyone.

#include "integration.hpp"

namespace pollchat::testing {

namespace {

std::vector<std::string> member_names(const server_process& s, const std::string& room = "lobby") {
  std::vector<std::string> names;
  const auto doc = json_of(get(s, "/rooms/" + room));
  if (!doc.is_object()) return names;
  for (const auto& m : doc["members"]) names.push_back(m["name"]);
  return names;
}

std::vector<std::string> events(const server_process& s) {
  std::vector<std::string> out;
  const auto doc = json_of(get(s, "/chat?since=0&format=json&timeout=0&limit=1000"));
  for (const auto& m : doc["messages"]) out.push_back(m["type"].get<std::string>() + ":" + m["from"].get<std::string>());
  return out;
}

}  // namespace

TEST(Presence, AFirstPollJoinsAndTheGraceEndsMembership) {
  server_process server{{"--presence-grace", "1"}};
  ASSERT_TRUE(server.started()) << server.log();
  ASSERT_EQ(get(server, "/chat?client=c-1&name=carol&timeout=0")->result_int(), 204);
  get(server, "/chat?client=c-1&name=carol&timeout=0");  // a second poll does not join again
  EXPECT_EQ(member_names(server), std::vector<std::string>{"carol"});
  const auto doc = json_of(get(server, "/rooms/lobby"));
  EXPECT_EQ(doc["members"][0]["via"], "http");
  EXPECT_FALSE(doc["members"][0]["since"].get<std::string>().empty());
  EXPECT_EQ(json_of(get(server, "/rooms"))["rooms"][0]["members"], 1);

  ASSERT_TRUE(wait_until([&] { return member_names(server).empty(); }, 5s));
  EXPECT_EQ(events(server), (std::vector<std::string>{"join:carol", "leave:carol"}));
}

TEST(Presence, AParkedPollKeepsItsMemberPastTheGrace) {
  server_process server{{"--presence-grace", "1"}};
  ASSERT_TRUE(server.started()) << server.log();
  std::thread poller([&] { get(server, "/chat?client=c-2&name=dora&timeout=3"); });
  ASSERT_TRUE(wait_until([&] { return member_names(server).size() == 1; }, 5s));
  std::this_thread::sleep_for(2200ms);  // longer than the grace, shorter than the poll
  EXPECT_EQ(member_names(server), std::vector<std::string>{"dora"});
  poller.join();
  ASSERT_TRUE(wait_until([&] { return member_names(server).empty(); }, 5s));
}

TEST(Presence, ExplicitLeaveIsImmediate) {
  server_process server{{"--presence-grace", "60"}};
  ASSERT_TRUE(server.started()) << server.log();
  get(server, "/chat/den?client=c-3&name=erin&timeout=0");
  ASSERT_EQ(member_names(server, "den"), std::vector<std::string>{"erin"});
  const auto left = post(server, "/rooms/den/leave", "client=c-3");
  EXPECT_EQ(left->result_int(), 204);
  EXPECT_TRUE(member_names(server, "den").empty());
  EXPECT_EQ(request_once(server.port(), "POST", "/rooms/den/leave?client=c-3")->result_int(), 204);
  EXPECT_EQ(post(server, "/rooms/den/leave", "")->result_int(), 400);
  EXPECT_EQ(post(server, "/rooms/ghost/leave", "client=c-3")->result_int(), 404);
  const auto doc = json_of(get(server, "/chat/den?since=0&format=json&timeout=0"));
  ASSERT_EQ(doc["messages"].size(), 2u);  // one join, one leave: the second leave emitted nothing
  EXPECT_EQ(doc["messages"][1]["type"], "leave");
}

TEST(Presence, APostRefreshesTheLease) {
  server_process server{{"--presence-grace", "2", "--post-rate", "0"}};
  ASSERT_TRUE(server.started()) << server.log();
  get(server, "/chat?client=c-4&name=finn&timeout=0");
  for (int k = 0; k < 4; ++k) {
    std::this_thread::sleep_for(1s);
    post(server, "/chat", "body=still+here&name=finn&client=c-4");
  }
  EXPECT_EQ(member_names(server), std::vector<std::string>{"finn"});  // 4 s > grace, kept by posts
}

TEST(Presence, ClientIdsAreNeverShown) {
  server_process server{{"--tcp-listen", "127.0.0.1:0", "--post-rate", "0", "--access-log"}};
  ASSERT_TRUE(server.started()) << server.log();
  const std::string secret = "client-secret-7f3a";
  get(server, "/chat?client=" + secret + "&name=gus&timeout=0");
  post(server, "/chat", "body=hello&name=gus&client=" + secret);
  test_connection tcp(server.tcp_port());
  ASSERT_TRUE(tcp.read_line());  // the greeting
  tcp.send("/who\n");
  const auto who = tcp.read_line();
  ASSERT_TRUE(who);
  EXPECT_NE(who->find("gus (http)"), std::string::npos) << *who;
  std::string everything = *who;
  for (const char* target : {"/rooms", "/rooms/lobby", "/metrics", "/chat?since=0&format=json&timeout=0",
                             "/chat?since=0&format=text&timeout=0"}) {
    const auto res = get(server, target);
    ASSERT_TRUE(res) << target;
    everything += res->body();
    for (const auto& field : res->base()) everything += std::string(field.value());
  }
  EXPECT_EQ(everything.find(secret), std::string::npos);
  EXPECT_EQ(server.log().find(secret), std::string::npos);
}

}  // namespace pollchat::testing

namespace pollchat::testing {

TEST(Presence, HttpCannotRemoveOrRefreshATcpMember) {
  server_process server{{"--tcp-listen", "127.0.0.1:0"}};
  ASSERT_TRUE(server.started()) << server.log();
  test_connection tcp(server.tcp_port());
  ASSERT_TRUE(wait_until([&] { return member_names(server).size() == 1; }, 5s));
  for (int n = 1; n <= 3; ++n) {
    const std::string guess = "tcp%23" + std::to_string(n);  // "tcp#n"
    EXPECT_EQ(request_once(server.port(), "POST", "/rooms/lobby/leave?client=" + guess)->result_int(), 204);
    get(server, "/chat?client=" + guess + "&timeout=0");
  }
  const auto doc = json_of(get(server, "/rooms/lobby"));
  int tcp_members = 0;
  for (const auto& m : doc["members"]) tcp_members += m["via"] == "tcp" ? 1 : 0;
  EXPECT_EQ(tcp_members, 1);
}

TEST(Presence, NewMembersCostAPostToken) {
  server_process server{{"--post-rate", "1", "--post-burst", "2"}};
  ASSERT_TRUE(server.started()) << server.log();
  EXPECT_EQ(get(server, "/chat?client=a&timeout=0")->result_int(), 204);
  EXPECT_EQ(get(server, "/chat?client=b&timeout=0")->result_int(), 204);
  const auto refused = get(server, "/chat?client=c&timeout=0");
  EXPECT_EQ(refused->result_int(), 429);
  EXPECT_FALSE((*refused)[boost::beast::http::field::retry_after].empty());
  EXPECT_EQ(get(server, "/chat?client=a&timeout=0")->result_int(), 204);  // members poll freely
}

}  // namespace pollchat::testing
