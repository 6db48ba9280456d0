// The TCP line room (SPEC §3) over real sockets, next to HTTP posters and pollers in the same
// rooms.

#include <csignal>

#include "integration.hpp"

namespace pollchat::testing {

namespace {

// A line client that knows the name the server gives it (<ip>:<port> of its own end).
struct line_client {
  explicit line_client(std::uint16_t port) : connection(port) {}
  test_connection connection;

  bool say(const std::string& line) { return connection.send(line + "\n"); }
  std::optional<std::string> next(std::chrono::milliseconds timeout = 5s) { return connection.read_line(timeout); }
};

class TcpRoom : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server.started()) << server.log();
    ASSERT_NE(server.tcp_port(), 0) << server.log();
  }

  // Connects a line client and waits until its join is in the lobby; returns its name.
  std::string join(std::unique_ptr<line_client>& client) {
    const std::size_t before = joins().size();
    client = std::make_unique<line_client>(server.tcp_port());
    std::vector<std::string> now;
    wait_until([&] { return (now = joins()).size() > before; }, 5s);
    return now.size() > before ? now.back() : std::string();
  }

  std::vector<std::string> joins() {
    const auto doc = json_of(get(server, "/chat?since=0&format=json&timeout=0&limit=1000"));
    std::vector<std::string> names;
    for (const auto& m : doc["messages"]) {
      if (m["type"] == "join") names.push_back(m["from"]);
    }
    return names;
  }

  server_process server{{"--tcp-listen", "127.0.0.1:0", "--post-rate", "0"}};
};

}  // namespace

TEST_F(TcpRoom, EveryoneSeesJoinsAndLeavesButNotTheirOwnJoin) {
  std::unique_ptr<line_client> a;
  std::unique_ptr<line_client> b;
  const std::string a_name = join(a);
  EXPECT_TRUE(a_name.starts_with("127.0.0.1:")) << a_name;
  const std::string b_name = join(b);
  EXPECT_EQ(a->next(), b_name + " joined.");  // a's first line: it never saw its own join

  b->connection.close();
  EXPECT_EQ(a->next(), b_name + " has left.");

  // HTTP readers get the same events as join/leave messages.
  const auto doc = json_of(get(server, "/chat?since=0&format=json&timeout=0"));
  ASSERT_EQ(doc["messages"].size(), 3u);
  EXPECT_EQ(doc["messages"][0]["type"], "join");
  EXPECT_EQ(doc["messages"][0]["from"], a_name);
  EXPECT_EQ(doc["messages"][2]["type"], "leave");
  EXPECT_EQ(doc["messages"][2]["from"], b_name);
}

TEST_F(TcpRoom, LinesGoToEveryoneElseAndAreNotEchoed) {
  std::unique_ptr<line_client> a;
  std::unique_ptr<line_client> b;
  const std::string a_name = join(a);
  const std::string b_name = join(b);
  ASSERT_EQ(a->next(), b_name + " joined.");

  a->say("hello over tcp");
  EXPECT_EQ(b->next(), a_name + ": hello over tcp");
  // a's next line is the HTTP post, not its own line coming back.
  post(server, "/chat?name=web", "body=from http");
  EXPECT_EQ(a->next(), "web: from http");
  EXPECT_EQ(b->next(), "web: from http");

  const auto doc = json_of(get(server, "/chat?since=0&format=json&timeout=0"));
  bool found = false;
  for (const auto& m : doc["messages"]) {
    found = found || (m["body"] == "hello over tcp" && m["from"] == a_name);
  }
  EXPECT_TRUE(found);
}

TEST_F(TcpRoom, CurlAndAParkedPollerChatWithATcpClient) {
  std::unique_ptr<line_client> a;
  const std::string a_name = join(a);
  const auto start = json_of(get(server, "/chat?since=0&format=json&timeout=0"))["next"].get<std::uint64_t>();

  std::optional<http_response> parked;
  std::thread poller([&] { parked = get(server, "/chat?format=json&timeout=20&since=" + std::to_string(start)); });
  ASSERT_TRUE(wait_until([&] { return metric(server, "pollchat_polls_parked") == 1; }, 5s));
  a->say("multi\r");  // CRLF line endings too
  poller.join();
  const auto doc = json_of(parked);
  ASSERT_EQ(doc["messages"].size(), 1u);
  EXPECT_EQ(doc["messages"][0]["body"], "multi");
  EXPECT_EQ(doc["messages"][0]["from"], a_name);

  const auto posted = run_command("curl -s --data 'name=alice&body=hi nc' " + base_url(server) + "/chat");
  EXPECT_EQ(posted.status, 0);
  EXPECT_EQ(a->next(), "alice: hi nc");
}

TEST_F(TcpRoom, CommandsNickWhoJoinQuit) {
  std::unique_ptr<line_client> a;
  std::unique_ptr<line_client> b;
  join(a);
  join(b);
  ASSERT_TRUE(a->next());  // b joined.

  b->say("/nick bob");
  EXPECT_EQ(b->next(), "* you are now bob");
  b->say("/who");
  const auto who = b->next();
  ASSERT_TRUE(who);
  EXPECT_TRUE(who->starts_with("* in lobby: ")) << *who;
  EXPECT_NE(who->find("bob (tcp)"), std::string::npos) << *who;
  b->say("now named");
  EXPECT_EQ(a->next(), "bob: now named");

  b->say("/join side");
  EXPECT_EQ(b->next(), "* you are now in side");
  EXPECT_EQ(a->next(), "bob has left.");
  post(server, "/chat/side?name=web", "body=in side");
  EXPECT_EQ(b->next(), "web: in side");
  EXPECT_EQ(json_of(get(server, "/rooms/side"))["members"][0]["name"], "bob");

  b->say("/frobnicate");
  const auto unknown = b->next();
  ASSERT_TRUE(unknown);
  EXPECT_TRUE(unknown->starts_with("* unknown command /frobnicate")) << *unknown;
  b->say("/nick ");
  const auto usage = b->next();
  ASSERT_TRUE(usage);
  EXPECT_TRUE(usage->starts_with("* usage: /nick")) << *usage;

  b->say("/quit");
  EXPECT_EQ(b->next(), "* bye");
  EXPECT_TRUE(b->connection.wait_closed(5s));
}

TEST(TcpRoomLimits, ALongLineIsRefusedAndTheConnectionStays) {
  server_process server{{"--tcp-listen", "127.0.0.1:0", "--max-message", "10"}};
  ASSERT_TRUE(server.started()) << server.log();
  line_client a(server.tcp_port());
  a.say(std::string(25, 'x'));
  EXPECT_EQ(a.next(), "* line too long: at most 10 bytes; it was not sent");
  a.say("short");
  ASSERT_TRUE(wait_until([&] { return metric(server, "pollchat_posts_total") == 1; }, 5s));
  const auto doc = json_of(get(server, "/chat?since=0&format=json&timeout=0"));
  EXPECT_EQ(doc["messages"].back()["body"], "short");
}

TEST_F(TcpRoom, InvalidUtf8IsReplaced) {
  line_client a(server.tcp_port());
  a.say("caf\xE9!");
  ASSERT_TRUE(wait_until([&] { return metric(server, "pollchat_posts_total") == 1; }, 5s));
  const auto doc = json_of(get(server, "/chat?since=0&format=json&timeout=0"));
  EXPECT_EQ(doc["messages"].back()["body"], "caf\xEF\xBF\xBD!");
}

TEST(TcpRoomLimits, AClientThatNeverReadsIsDroppedAndOthersKeepUp) {
  server_process server{{"--tcp-listen", "127.0.0.1:0", "--post-rate", "0", "--max-message", "16384",
                         "--max-body", "65536"}};
  ASSERT_TRUE(server.started()) << server.log();
  line_client stuck(server.tcp_port());
  stuck.connection.shrink_receive_buffer(4096);
  line_client reader(server.tcp_port());
  ASSERT_TRUE(wait_until([&] { return metric(server, "pollchat_tcp_clients") == 2; }, 5s));

  // 4 MiB of messages: far more than the socket buffers and the 256 KiB queue hold.
  const std::string body(10000, 'm');
  test_connection poster(server.port());
  std::size_t received = 0;
  std::chrono::nanoseconds worst{0};
  for (int k = 0; k < 400; ++k) {
    const auto sent = std::chrono::steady_clock::now();
    ASSERT_TRUE(poster.send(make_request("POST", "/chat", {{"Content-Type", "text/plain"}}, body + std::to_string(k))));
    ASSERT_TRUE(poster.read_response());
    // The reading client gets each message at once. The stuck one's "has left." may come in
    // between, whenever it is dropped.
    std::optional<std::string> line;
    do {
      line = reader.next(5s);
    } while (line && line->ends_with(" has left."));
    ASSERT_TRUE(line) << "reader starved at message " << k;
    if (line->find(": ") != std::string::npos && line->find(body) != std::string::npos) ++received;
    worst = std::max(worst, std::chrono::steady_clock::now() - sent);
  }
  EXPECT_EQ(received, 400u);
  EXPECT_LT(worst, 1s) << "a reader was slowed down by the stuck one";
  ASSERT_TRUE(wait_until([&] { return metric(server, "pollchat_tcp_clients") == 1; }, 15s))
      << "the stuck client was not dropped";
  EXPECT_TRUE(server.wait_for_log("too slow to keep up", 1s));
}

TEST(TcpRoomLimits, LinesAreRateLimitedLikePosts) {
  server_process server{{"--tcp-listen", "127.0.0.1:0", "--post-rate", "1", "--post-burst", "2"}};
  ASSERT_TRUE(server.started()) << server.log();
  line_client a(server.tcp_port());
  for (int k = 0; k < 4; ++k) a.say("line " + std::to_string(k));
  EXPECT_EQ(a.next(), "* slow down: too many lines from your address; that one was not sent");
  ASSERT_TRUE(wait_until([&] { return metric(server, "pollchat_posts_total") == 2; }, 5s));
}

TEST(TcpRoomLimits, ALastLineWithoutNewlineStillCounts) {
  server_process server{{"--tcp-listen", "127.0.0.1:0"}};
  ASSERT_TRUE(server.started()) << server.log();
  {
    line_client a(server.tcp_port());
    a.connection.send("no newline at the end");
  }  // closed
  ASSERT_TRUE(wait_until([&] { return metric(server, "pollchat_posts_total") == 1; }, 5s));
  const auto doc = json_of(get(server, "/chat?since=0&format=json&timeout=0"));
  bool found = false;
  for (const auto& m : doc["messages"]) found = found || m["body"] == "no newline at the end";
  EXPECT_TRUE(found);
}

TEST(TcpRoomLimits, OneMessageLargerThanTheQueueBoundIsStillDelivered) {
  server_process server{{"--tcp-listen", "127.0.0.1:0", "--max-message", "300000", "--max-body", "300000"}};
  ASSERT_TRUE(server.started()) << server.log();
  line_client a(server.tcp_port());
  ASSERT_TRUE(wait_until([&] { return metric(server, "pollchat_tcp_clients") == 1; }, 5s));
  std::string body;
  for (int k = 0; k < 40000; ++k) body += "\xC2\x85";  // U+0085: 2 bytes in, 8 bytes rendered
  ASSERT_EQ(post(server, "/chat?name=big", body, {{"Content-Type", "text/plain"}})->result_int(), 200);
  const auto line = a.next(10s);
  ASSERT_TRUE(line);
  EXPECT_TRUE(line->starts_with("big: <U+0085>")) << line->substr(0, 40);
  EXPECT_EQ(line->size(), 5u + 40000u * 8u);
  EXPECT_EQ(metric(server, "pollchat_tcp_clients"), 1);
}

TEST(TcpRoomShutdown, TcpClientsAreToldGoodbye) {
  server_process server{{"--tcp-listen", "127.0.0.1:0"}};
  ASSERT_TRUE(server.started()) << server.log();
  line_client a(server.tcp_port());
  ASSERT_TRUE(wait_until([&] { return metric(server, "pollchat_tcp_clients") == 1; }, 5s));
  kill(server.pid(), SIGTERM);
  EXPECT_EQ(a.next(), "* the server is shutting down; goodbye");
  EXPECT_TRUE(a.connection.wait_closed(3s));
  EXPECT_EQ(server.wait_exit(6s), 0) << server.log();
}

TEST(TcpRoomLimits, TcpClientsCountTowardsMaxConnections) {
  server_process server{{"--tcp-listen", "127.0.0.1:0", "--max-connections", "1"}};
  ASSERT_TRUE(server.started()) << server.log();
  line_client a(server.tcp_port());
  a.say("/who");  // an answer means it holds the only slot
  const auto who = a.next();
  ASSERT_TRUE(who && who->starts_with("* in lobby")) << who.value_or("(nothing)");
  EXPECT_EQ(get(server, "/rooms")->result_int(), 503);  // HTTP is refused too (but /healthz)
  line_client b(server.tcp_port());
  EXPECT_EQ(b.next(), "* the server is full; try again later");
  EXPECT_TRUE(b.connection.wait_closed(3s));
}

}  // namespace pollchat::testing
