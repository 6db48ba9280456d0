// The TCP line room (SPEC §3) over real sockets, next to HTTP posters and pollers in the same
// rooms.

#include <csignal>

#include "integration.hpp"

namespace pollchat::testing {

namespace {

// A line client of the room. By default it takes the greeting, which is always its first line,
// so that what a test reads next is what came after it.
struct line_client {
  explicit line_client(std::uint16_t port, bool take_greeting = true) : connection(port) {
    if (take_greeting) greeting = connection.read_line(5s);
  }
  test_connection connection;
  std::optional<std::string> greeting;

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
  const std::string b_name = join(b);
  ASSERT_TRUE(a->next());  // b joined.

  b->say("/nick bob");
  EXPECT_EQ(b->next(), "* you are now bob");
  EXPECT_EQ(a->next(), b_name + " has left.");
  EXPECT_EQ(a->next(), "bob joined.");
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
  line_client stuck(server.tcp_port(), false);
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
  // Three tokens: one for connecting (it emits a join), two for lines.
  server_process server{{"--tcp-listen", "127.0.0.1:0", "--post-rate", "1", "--post-burst", "3"}};
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

TEST_F(TcpRoom, ANewcomerIsGreetedWithTheRoomItsNameAndHelp) {
  std::unique_ptr<line_client> a;
  const std::string a_name = join(a);
  EXPECT_EQ(a->greeting, "* welcome to pollchat: you are " + a_name + " in lobby; /help lists the commands");

  a->say("/help");
  const auto help = a->next();
  ASSERT_TRUE(help);
  EXPECT_TRUE(help->starts_with("* ")) << *help;
  for (const char* command : {"/nick NAME", "/join ROOM", "/who", "/help", "/quit"}) {
    EXPECT_NE(help->find(command), std::string::npos) << command << " missing from: " << *help;
  }
  // Notices are for one client: the room's history holds only the join.
  const auto doc = json_of(get(server, "/chat?since=0&format=json&timeout=0"));
  ASSERT_EQ(doc["messages"].size(), 1u) << doc.dump();
  EXPECT_EQ(doc["messages"][0]["type"], "join");
}

TEST_F(TcpRoom, NickIsSeenByTheOthersAsALeaveAndAJoin) {
  std::unique_ptr<line_client> a;
  std::unique_ptr<line_client> b;
  join(a);
  const std::string b_name = join(b);
  ASSERT_EQ(a->next(), b_name + " joined.");

  b->say("/nick bob");
  EXPECT_EQ(b->next(), "* you are now bob");
  EXPECT_EQ(a->next(), b_name + " has left.");
  EXPECT_EQ(a->next(), "bob joined.");
  b->say("hi");
  EXPECT_EQ(a->next(), "bob: hi");

  // b sees neither its own leave nor its own join: its next line is the next message.
  post(server, "/chat?name=web", "body=after the rename");
  EXPECT_EQ(b->next(), "web: after the rename");

  const auto doc = json_of(get(server, "/chat?since=0&format=json&timeout=0"));
  const auto& messages = doc["messages"];
  ASSERT_GE(messages.size(), 5u) << doc.dump();
  EXPECT_EQ(messages[2]["type"], "leave");
  EXPECT_EQ(messages[2]["from"], b_name);
  EXPECT_EQ(messages[3]["type"], "join");
  EXPECT_EQ(messages[3]["from"], "bob");
  const auto room = json_of(get(server, "/rooms/lobby"));
  bool listed = false;
  for (const auto& m : room["members"]) listed = listed || m["name"] == "bob";
  EXPECT_TRUE(listed) << room.dump();

  // The same name again changes nothing and announces nothing.
  b->say("/nick bob");
  EXPECT_EQ(b->next(), "* you are bob already");
  EXPECT_EQ(json_of(get(server, "/rooms"))["rooms"][0]["last_id"], messages.back()["id"]);
}

TEST(TcpRoomLimits, ALongLineIsRefusedAndTheConnectionStillCarriesBothWays) {
  server_process server{{"--tcp-listen", "127.0.0.1:0", "--max-message", "10", "--post-rate", "0"}};
  ASSERT_TRUE(server.started()) << server.log();
  line_client a(server.tcp_port());
  a.say(std::string(5000, 'x') + "\r");
  EXPECT_EQ(a.next(), "* line too long: at most 10 bytes; it was not sent");
  a.say("0123456789\r");  // exactly the limit, with CRLF: accepted
  ASSERT_TRUE(wait_until([&] { return metric(server, "pollchat_posts_total") == 1; }, 5s));
  post(server, "/chat?name=web", "body=still here");
  EXPECT_EQ(a.next(), "web: still here");
  const auto doc = json_of(get(server, "/chat?since=0&format=json&timeout=0"));
  for (const auto& m : doc["messages"]) EXPECT_LE(m["body"].get<std::string>().size(), 10u);
}

TEST(TcpRoomLimits, JoinAndNickCostRateTokensSoTenThousandOfThemCannotFloodARoom) {
  constexpr int burst = 20;
  server_process server{{"--tcp-listen", "127.0.0.1:0", "--post-rate", "1", "--post-burst",
                         std::to_string(burst)}};
  ASSERT_TRUE(server.started()) << server.log();
  const auto start = std::chrono::steady_clock::now();
  line_client a(server.tcp_port());
  ASSERT_TRUE(a.greeting);

  // Sent in batches, each answered line by line (one notice per command), so the client keeps
  // up with its notices and is never dropped as too slow.
  constexpr int lines = 10000;
  constexpr int batch = 500;
  int changed = 0;  // answers that say a name or room changed
  for (int sent = 0; sent < lines; sent += batch) {
    std::string bytes;
    for (int k = sent; k < sent + batch; ++k) {
      switch (k % 4) {
        case 0: bytes += "/join side\n"; break;
        case 1: bytes += "/nick n" + std::to_string(k) + "\n"; break;
        case 2: bytes += "/join lobby\n"; break;
        default: bytes += "/nick m" + std::to_string(k) + "\n"; break;
      }
    }
    ASSERT_TRUE(a.connection.send(bytes));
    for (int k = 0; k < batch; ++k) {
      const auto line = a.next();
      ASSERT_TRUE(line) << "no answer to line " << sent + k;
      if (line->starts_with("* you are now ")) ++changed;
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // Every token buys one action; an action adds at most two messages (a leave and a join).
  const auto rooms = json_of(get(server, "/rooms"));
  long long total = 0;
  for (const auto& r : rooms["rooms"]) total += r["last_id"].get<long long>();
  const double bound = 2.0 * (burst + seconds * 1.0 + 1.0);
  EXPECT_LE(static_cast<double>(total), bound) << "messages in all rooms after " << seconds << " s";
  EXPECT_LE(changed, burst + static_cast<int>(seconds) + 1);
  EXPECT_GE(changed, burst - 1);  // the burst itself was honoured
}

TEST(TcpRoomLimits, ConnectingCostsARateTokenSoReconnectingCannotFloodARoom) {
  constexpr int burst = 5;
  server_process server{{"--tcp-listen", "127.0.0.1:0", "--post-rate", "1", "--post-burst",
                         std::to_string(burst)}};
  ASSERT_TRUE(server.started()) << server.log();
  const auto start = std::chrono::steady_clock::now();
  int refused = 0;
  for (int k = 0; k < 100; ++k) {
    line_client c(server.tcp_port(), false);
    const auto first = c.next();
    ASSERT_TRUE(first) << "connection " << k;
    if (*first == "* too many joins from your address; try again in a few seconds") {
      ++refused;
      EXPECT_TRUE(c.connection.wait_closed(3s));
    } else {
      EXPECT_TRUE(first->starts_with("* welcome to pollchat")) << *first;
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(refused, 100 - static_cast<int>(burst + seconds + 1));
  // Let the last leaves land, then count: a join and a leave per admitted connection at most.
  ASSERT_TRUE(wait_until([&] { return metric(server, "pollchat_tcp_clients") == 0; }, 5s));
  const auto last_id = json_of(get(server, "/rooms"))["rooms"][0]["last_id"].get<long long>();
  EXPECT_LE(static_cast<double>(last_id), 2.0 * (burst + seconds + 1.0));
  EXPECT_GT(last_id, 0);
}

TEST(TcpRoomLimits, PastedCommandsWaitForTheirAnswersInsteadOfDroppingTheClient) {
  server_process server{{"--tcp-listen", "127.0.0.1:0"}};
  ASSERT_TRUE(server.started()) << server.log();
  line_client a(server.tcp_port());
  ASSERT_TRUE(a.greeting);
  // 20,000 /help lines in one go: ~3 MB of answers, far past the 256 KiB outbound bound, while
  // the client reads as fast as it can.
  constexpr int count = 20000;
  std::string bytes;
  for (int k = 0; k < count; ++k) bytes += "/help\n";
  std::thread sender([&] { a.connection.send(bytes); });
  int answered = 0;
  for (; answered < count; ++answered) {
    const auto line = a.next(5s);
    if (!line || !line->starts_with("* /nick NAME")) {
      ADD_FAILURE() << "answer " << answered << ": " << line.value_or("(nothing)");
      break;
    }
  }
  sender.join();
  EXPECT_EQ(answered, count);
  EXPECT_EQ(metric(server, "pollchat_tcp_clients"), 1);
  EXPECT_FALSE(server.wait_for_log("too slow to keep up", 100ms));
}

// One paste of 4,000 bytes whose every line answers ~4 KB (/who in a room of 30 long names):
// the pause is checked between lines, so the answers wait for the reader instead of queueing
// ~3 MB at once and dropping it as too slow.
TEST(TcpRoomLimits, APasteOfLinesWithLargeAnswersWaitsBetweenLines) {
  server_process server{{"--tcp-listen", "127.0.0.1:0", "--post-rate", "0"}};
  ASSERT_TRUE(server.started()) << server.log();
  std::string name;
  for (int k = 0; k < 30; ++k) name += "%F0%9F%98%80";  // 30 emoji (120 bytes) and 2 digits
  for (int k = 10; k < 40; ++k) {
    const auto res = get(server, "/chat?timeout=0&client=c" + std::to_string(k) + "&name=" + name +
                                     std::to_string(k));
    ASSERT_TRUE(res && res->result_int() / 100 == 2) << k;
  }
  line_client a(server.tcp_port());
  ASSERT_TRUE(a.greeting);
  constexpr int count = 800;
  std::string bytes;
  for (int k = 0; k < count; ++k) bytes += "/who\n";
  ASSERT_TRUE(a.connection.send(bytes));
  int answered = 0;
  for (; answered < count; ++answered) {
    const auto line = a.next(5s);
    if (!line || !line->starts_with("* in lobby: ")) {
      ADD_FAILURE() << "answer " << answered << ": " << line.value_or("(nothing)").substr(0, 100);
      break;
    }
  }
  EXPECT_EQ(answered, count);
  EXPECT_FALSE(server.wait_for_log("too slow to keep up", 100ms));
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
  line_client b(server.tcp_port(), false);
  EXPECT_EQ(b.next(), "* the server is full; try again later");
  EXPECT_TRUE(b.connection.wait_closed(3s));
}

}  // namespace pollchat::testing
