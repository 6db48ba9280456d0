// What a newcomer meets in their first ten minutes (issue 17): posting the way other tools
// taught them, --version, errors that name what they typed, a health probe with nothing to
// probe, a 413 that says how to raise the limit, and refusals the operator is told about.

#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

#include "integration.hpp"

namespace pollchat::testing {
namespace {

std::string error_message(const std::optional<http_response>& res) {
  const auto doc = json_of(res);
  return doc.is_object() ? doc.value("message", "") : "";
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

// A loopback port nothing listens on: bound by the kernel, then closed.
std::uint16_t unused_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

// Row 2: `curl --data "hello"` (how ntfy users post) posts "hello", exactly as sent.
TEST(Newcomer, CurlDataWithoutAFieldPostsTheTextAsSent) {
  server_process server({"--post-rate", "0"});
  ASSERT_TRUE(server.started()) << server.log();
  const auto res = post(server, "/chat", "hello",
                        {{"Content-Type", "application/x-www-form-urlencoded"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 200) << res->body();
  EXPECT_EQ(json_of(res).value("body", ""), "hello");
  const auto raw = post(server, "/chat", "1+1 = 2? no: 100%");  // has '=': a form, and broken
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->result_int(), 400);
  const auto sent = post(server, "/chat", "1+1 is 100% two");  // no '=': the text itself
  ASSERT_TRUE(sent);
  EXPECT_EQ(json_of(sent).value("body", ""), "1+1 is 100% two");
}

TEST(Newcomer, AFormWithoutBodyShowsBothWaysToPost) {
  server_process server;
  ASSERT_TRUE(server.started()) << server.log();
  const auto res = post(server, "/chat", "name=alice");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 400);
  const std::string message = error_message(res);
  EXPECT_NE(message.find(R"(curl --data "body=hello")"), std::string::npos) << message;
  EXPECT_NE(message.find(R"(curl --data "hello")"), std::string::npos) << message;
}

// Row 7: an action, not a setting.
TEST(Newcomer, VersionPrintsTheVersionAndCommit) {
  const auto out = run_command(server_process::binary() + " --version 2>&1");
  EXPECT_EQ(out.status, 0);
  EXPECT_TRUE(out.out.starts_with("chat-server 0.")) << out.out;
  EXPECT_NE(out.out.find("(commit "), std::string::npos) << out.out;
  EXPECT_EQ(count_of(out.out, "\n"), 1U) << out.out;
  EXPECT_NE(run_command(server_process::binary() + " --help").out.find("--version"),
            std::string::npos);
}

TEST(Newcomer, ActionsHaveNoEnvironmentVariable) {
  // A CHAT_* file shared with a unit or a container must not turn the server into a probe.
  server_process server({}, {{"CHAT_HEALTHCHECK", "1"}, {"CHAT_VERSION", "1"}});
  EXPECT_TRUE(server.started()) << server.log();
  const auto help = run_command(server_process::binary() + " --help");
  EXPECT_EQ(help.out.find("CHAT_HEALTHCHECK"), std::string::npos) << help.out;
  EXPECT_EQ(help.out.find("CHAT_VERSION"), std::string::npos) << help.out;
}

// Row 8: the error names what the operator wrote.
TEST(Newcomer, AnErrorAboutAnEnvironmentValueNamesTheVariable) {
  const auto bad = run_command("CHAT_HISTORY=lots " + server_process::binary() + " 2>&1");
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.out.find("CHAT_HISTORY=lots"), std::string::npos) << bad.out;
  EXPECT_EQ(bad.out.find("--history"), std::string::npos) << bad.out;

  const auto mixed = run_command("CHAT_POLL_TIMEOUT=40 " + server_process::binary() +
                                 " --max-poll-timeout 30 2>&1");
  EXPECT_EQ(mixed.status, 2);
  EXPECT_NE(mixed.out.find("CHAT_POLL_TIMEOUT=40 cannot exceed --max-poll-timeout (30)"),
            std::string::npos)
      << mixed.out;

  const auto listen = run_command("CHAT_LISTEN=nowhere " + server_process::binary() + " 2>&1");
  EXPECT_EQ(listen.status, 2);
  EXPECT_NE(listen.out.find("CHAT_LISTEN=nowhere:"), std::string::npos) << listen.out;

  // On the command line the flag wins, and the flag is what the error names.
  const auto flag = run_command("CHAT_HISTORY=5 " + server_process::binary() +
                                " --history lots 2>&1");
  EXPECT_EQ(flag.status, 2);
  EXPECT_NE(flag.out.find("--history"), std::string::npos) << flag.out;
  EXPECT_EQ(flag.out.find("CHAT_HISTORY"), std::string::npos) << flag.out;
}

// Row 9: one plain line, exit 1, no source locations.
TEST(Newcomer, HealthcheckWithNoServerSaysSoInOneLine) {
  const std::string where = "127.0.0.1:" + std::to_string(unused_port());
  const auto out =
      run_command(server_process::binary() + " --healthcheck --listen " + where + " 2>&1");
  EXPECT_EQ(out.status, 1);
  EXPECT_EQ(out.out, "cannot reach " + where + ": connection refused\n");
}

// Row 10: the 413 says which flag raises the limit.
TEST(Newcomer, A413NamesTheFlagThatRaisesTheLimit) {
  server_process server({"--post-rate", "0", "--max-message", "10", "--max-body", "100"});
  ASSERT_TRUE(server.started()) << server.log();
  const auto message = post(server, "/chat", "body=" + std::string(11, 'x'));
  ASSERT_TRUE(message);
  EXPECT_EQ(message->result_int(), 413);
  EXPECT_NE(error_message(message).find("--max-message"), std::string::npos) << message->body();
  const auto body = post(server, "/chat", "body=" + std::string(200, 'x'));
  ASSERT_TRUE(body);
  EXPECT_EQ(body->result_int(), 413);
  EXPECT_NE(error_message(body).find("--max-body"), std::string::npos) << body->body();
}

// Row 11: rooms full is logged, once a minute at most.
TEST(Newcomer, RoomsFullIsLoggedAtMostOnceAMinute) {
  server_process server({"--max-rooms", "1", "--post-rate", "0", "--access-log"});
  ASSERT_TRUE(server.started()) << server.log();
  for (const char* room : {"/chat/a", "/chat/b", "/chat/c"}) {
    const auto res = post(server, room, "body=hi");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->result_int(), 429);
  }
  // The access line of the last refusal comes after any line the refusal itself logged.
  ASSERT_TRUE(server.wait_for_log("\"POST /chat/c\" 429")) << server.log();
  EXPECT_EQ(count_of(server.log(), "refusing new rooms"), 1U) << server.log();
  EXPECT_NE(server.log().find("--max-rooms"), std::string::npos) << server.log();
}

TEST(Newcomer, ConnectionsFullIsLogged) {
  server_process server({"--max-connections", "1"});
  ASSERT_TRUE(server.started()) << server.log();
  // One keep-alive connection, surely counted: it has had its answer.
  test_connection held(server.port());
  ASSERT_TRUE(held.send(make_request("GET", "/healthz")));
  ASSERT_TRUE(held.read_response());
  test_connection refused(server.port());
  ASSERT_TRUE(refused.send(make_request("GET", "/chat?timeout=0")));
  const auto res = refused.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 503);
  EXPECT_TRUE(server.wait_for_log("refusing connections", 5s)) << server.log();
  EXPECT_NE(server.log().find("--max-connections"), std::string::npos) << server.log();
}

}  // namespace pollchat::testing

// --- the scripts and the README, as a newcomer runs and reads them -------------------------
namespace pollchat::testing {
namespace {

std::string source_file(const std::string& relative) {
  std::ifstream in(std::string(POLLCHAT_SOURCE_DIR) + "/" + relative);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The README's text between a heading and the next one of the same level.
std::string readme_section(const std::string& heading) {
  const std::string readme = source_file("README.md");
  const auto start = readme.find("\n## " + heading + "\n");
  if (start == std::string::npos) return {};
  const auto end = readme.find("\n## ", start + 1);
  return readme.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace

// Row 12: usage, and a typo is an error, not a 12-minute run.
TEST(Newcomer, ScriptsTestHelpAndAnUnknownOption) {
  const std::string script = std::string(POLLCHAT_SOURCE_DIR) + "/scripts/test";
  const auto help = run_command(script + " --help 2>&1");
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("--quick"), std::string::npos) << help.out;
  const auto started = std::chrono::steady_clock::now();
  const auto typo = run_command("timeout 10 " + script + " --quik 2>&1");
  EXPECT_EQ(typo.status, 2);
  EXPECT_NE(typo.out.find("unknown argument --quik"), std::string::npos) << typo.out;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);  // it built nothing
}

// Row 1: how long a read waits, what it answers when nothing came, and the real way to follow.
TEST(Newcomer, ReadmeSaysHowLongAReadWaitsAndWhatItAnswers) {
  const std::string section = readme_section("Chat with curl");
  ASSERT_FALSE(section.empty());
  EXPECT_NE(section.find("30 seconds"), std::string::npos);
  EXPECT_NE(section.find("timeout="), std::string::npos);
  EXPECT_NE(section.find("204 No Content"), std::string::npos);
  EXPECT_NE(section.find("\"messages\": []"), std::string::npos);
  EXPECT_NE(section.find("poller-client"), std::string::npos);
  EXPECT_NE(section.find(R"(curl --data "Hello again")"), std::string::npos);
}

// Row 14: the token example does not collide with the tutorial's server on 9000.
TEST(Newcomer, ReadmeTokenExampleUsesItsOwnPort) {
  const std::string section = readme_section("Running it");
  const auto token = section.find("CHAT_TOKEN=s3cret");
  ASSERT_NE(token, std::string::npos);
  const std::string example = section.substr(token, section.find("```", token) - token);
  EXPECT_EQ(example.find(":9000"), std::string::npos) << example;
  EXPECT_NE(example.find("--listen 127.0.0.1:9001"), std::string::npos) << example;
  EXPECT_NE(example.find("http://127.0.0.1:9001/chat"), std::string::npos) << example;
}

// Rows 15 and 16: podman when there is no Docker engine; the service, both ways.
TEST(Newcomer, ReadmeShowsPodmanAndBothWaysToInstallTheService) {
  const std::string docker = readme_section("Docker");
  EXPECT_NE(docker.find("podman build"), std::string::npos);
  EXPECT_NE(docker.find("podman run"), std::string::npos);
  EXPECT_NE(docker.find("docs/docker.md"), std::string::npos);
  const std::string service = readme_section("Running it as a service (systemd)");
  EXPECT_NE(service.find("scripts/package"), std::string::npos);
  EXPECT_NE(service.find("apt install ./build/release/packages/pollchat_"), std::string::npos);
  EXPECT_NE(service.find("cmake --install build/release"), std::string::npos);
  EXPECT_NE(service.find("systemctl enable --now pollchat"), std::string::npos);
  EXPECT_NE(source_file("docs/operations.md").find("## Running as a service"), std::string::npos);
}

}  // namespace pollchat::testing
