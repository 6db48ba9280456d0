// --token covers the TCP line room too (SPEC §3, §6): the first line must be `/auth <token>`;
// until then a client is a member of nothing and sees nothing, over real sockets.

#include "integration.hpp"

namespace pollchat::testing {

namespace {

constexpr const char* token = "s3cret-token";

class TcpAuth : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server.started()) << server.log();
    ASSERT_NE(server.tcp_port(), 0) << server.log();
  }

  std::optional<http_response> authorized_get(const std::string& target) {
    return get(server, target, {{"Authorization", std::string("Bearer ") + token}});
  }

  nlohmann::json lobby_history() {
    return json_of(authorized_get("/chat?since=0&format=json&timeout=0"))["messages"];
  }

  void post_as_web(const std::string& body) {
    const auto res = post(server, "/chat?name=web", "body=" + body,
                          {{"Authorization", std::string("Bearer ") + token}});
    ASSERT_TRUE(res && res->result_int() == 200) << server.log();
  }

  server_process server{{"--tcp-listen", "127.0.0.1:0", "--token", token, "--post-rate", "0",
                         "--io-timeout", "2"}};
};

bool send_line(test_connection& c, const std::string& line) { return c.send(line + "\n"); }

}  // namespace

TEST_F(TcpAuth, TheGreetingAsksForTheTokenAndNothingIsSeenBeforeIt) {
  test_connection c(server.tcp_port());
  const auto greeting = c.read_line();
  ASSERT_TRUE(greeting);
  EXPECT_TRUE(greeting->starts_with("* welcome to pollchat: this server needs /auth <token> first")) << *greeting;

  // Not a member: no join, not listed, and a message posted now never reaches it.
  post_as_web("before auth");
  EXPECT_FALSE(c.read_line(300ms)) << "a client without the token saw the room";
  EXPECT_EQ(lobby_history().size(), 1u);  // only the post
  EXPECT_TRUE(json_of(authorized_get("/rooms/lobby"))["members"].empty());

  ASSERT_TRUE(send_line(c, std::string("/auth ") + token));
  const auto accepted = c.read_line();
  ASSERT_TRUE(accepted);
  EXPECT_TRUE(accepted->starts_with("* token accepted: you are 127.0.0.1:")) << *accepted;
  ASSERT_TRUE(wait_until([&] { return lobby_history().size() == 2u; }, 5s));
  EXPECT_EQ(lobby_history()[1]["type"], "join");

  // Now a member like any other: it reads and posts.
  post_as_web("after auth");
  EXPECT_EQ(c.read_line(), "web: after auth");
  ASSERT_TRUE(send_line(c, "hello with the token"));
  ASSERT_TRUE(wait_until([&] { return lobby_history().size() == 4u; }, 5s));
  EXPECT_EQ(lobby_history()[3]["body"], "hello with the token");
}

TEST_F(TcpAuth, AWrongTokenIsToldAndClosedAndChangesNothing) {
  const std::vector<std::string> wrongs = {"/auth nope", "/auth s3cret-toke", "/auth s3cret-tokenX",
                                           "/auth ", "/auth"};
  for (const auto& wrong : wrongs) {
    test_connection c(server.tcp_port());
    ASSERT_TRUE(c.read_line());  // greeting
    ASSERT_TRUE(send_line(c, wrong));
    const auto notice = c.read_line();
    ASSERT_TRUE(notice) << wrong;
    EXPECT_TRUE(notice->starts_with("* ")) << *notice;
    EXPECT_TRUE(c.wait_closed(3s)) << wrong;
  }
  EXPECT_TRUE(lobby_history().empty());
}

TEST_F(TcpAuth, AnyOtherFirstLineIsToldAndClosedAndSendsNothing) {
  const std::vector<std::string> firsts = {"hello everyone", "/who", "/help", "/nick mallory",
                                           "/join side", std::string(5000, 'x')};
  for (const auto& first : firsts) {
    test_connection c(server.tcp_port());
    ASSERT_TRUE(c.read_line());  // greeting
    ASSERT_TRUE(send_line(c, first + " /auth " + token));
    EXPECT_EQ(c.read_line(), "* this server needs /auth <token> as the first line; goodbye") << first.substr(0, 20);
    EXPECT_TRUE(c.wait_closed(3s)) << first.substr(0, 20);
  }
  EXPECT_TRUE(lobby_history().empty());
  EXPECT_EQ(authorized_get("/rooms/side")->result_int(), 404);
}

TEST_F(TcpAuth, SilenceIsClosedAfterTheIoTimeout) {
  test_connection c(server.tcp_port());
  ASSERT_TRUE(c.read_line());  // greeting
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(c.read_line(5s), "* no /auth within 2 seconds; goodbye");
  EXPECT_TRUE(c.wait_closed(3s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
  EXPECT_TRUE(lobby_history().empty());
}

// Guessing over TCP is throttled like over HTTP: a wrong /auth costs a token of the address at
// the post rate; once they are spent a client is told so and closed, whatever its token, until
// one comes back.
TEST(TcpAuthThrottle, WrongTokensAreThrottledAtThePostRate) {
  server_process server{{"--tcp-listen", "127.0.0.1:0", "--token", token, "--post-rate", "1",
                         "--post-burst", "2"}};
  ASSERT_TRUE(server.started()) << server.log();
  const auto attempt = [&](const std::string& line) {
    test_connection c(server.tcp_port());
    if (!c.read_line() || !send_line(c, line)) return std::string("(no connection)");
    return c.read_line().value_or("(nothing)");
  };
  EXPECT_EQ(attempt("/auth guess1"), "* wrong token; goodbye");
  EXPECT_EQ(attempt("/auth guess2"), "* wrong token; goodbye");
  const auto start = std::chrono::steady_clock::now();
  const std::string throttled = attempt("/auth guess3");
  EXPECT_TRUE(throttled.starts_with("* too many wrong tokens from your address; try again in 1 s"))
      << throttled;
  EXPECT_TRUE(attempt(std::string("/auth ") + token).starts_with("* too many wrong tokens"));
  std::this_thread::sleep_until(start + 1100ms);
  const std::string accepted = attempt(std::string("/auth ") + token);
  EXPECT_TRUE(accepted.starts_with("* token accepted")) << accepted;
}

}  // namespace pollchat::testing
