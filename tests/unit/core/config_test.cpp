#include "core/config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <vector>

namespace pollchat {
namespace {

command_line parse(std::vector<const char*> args) {
  args.insert(args.begin(), "chat-server");
  return parse_command_line(static_cast<int>(args.size()), args.data());
}

// Sets an environment variable for the scope of a test.
struct scoped_env {
  scoped_env(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
  ~scoped_env() { unsetenv(name_); }
  const char* name_;
};

}  // namespace

TEST(Config, DefaultsMatchTheSpec) {
  const auto c = parse({});
  ASSERT_TRUE(c.settings);
  EXPECT_EQ(c.settings->listen, "127.0.0.1:9000");
  EXPECT_EQ(c.settings->history, 1000u);
  EXPECT_EQ(c.settings->max_body, 65536u);
  EXPECT_EQ(c.settings->max_message, 4096u);
  EXPECT_EQ(c.settings->poll_timeout, 30u);
  EXPECT_EQ(c.settings->max_poll_timeout, 55u);
  EXPECT_EQ(c.settings->max_connections, 10000u);
  EXPECT_EQ(c.settings->max_rooms, 1000u);
  EXPECT_EQ(c.settings->shutdown_grace, 5u);
}

TEST(Config, EnvironmentSetsAndFlagWins) {
  const scoped_env body("CHAT_MAX_BODY", "12345");
  const scoped_env log("CHAT_ACCESS_LOG", "1");
  auto c = parse({});
  ASSERT_TRUE(c.settings);
  EXPECT_EQ(c.settings->max_body, 12345u);
  EXPECT_TRUE(c.settings->access_log);
  c = parse({"--max-body", "9999"});
  ASSERT_TRUE(c.settings);
  EXPECT_EQ(c.settings->max_body, 9999u);
}

TEST(Config, BadValuesExitWithCode2AndSayWhy) {
  for (std::vector<const char*> args : std::vector<std::vector<const char*>>{
           {"--history", "0"}, {"--threads", "many"}, {"--listen", "nowhere"},
           {"--poll-timeout", "60"}, {"--max-message", "100000"}, {"--no-such-flag"}}) {
    const auto c = parse(args);
    EXPECT_FALSE(c.settings) << args[0];
    EXPECT_EQ(c.exit_code, 2) << args[0];
    EXPECT_NE(c.output.find("chat-server:"), std::string::npos) << c.output;
  }
}

TEST(Config, HelpListsEveryFlagWithItsVariable) {
  const auto c = parse({"--help"});
  EXPECT_FALSE(c.settings);
  EXPECT_EQ(c.exit_code, 0);
  for (const char* flag : {"--listen", "--threads", "--max-rooms", "--history", "--max-message",
                           "--max-body", "--poll-timeout", "--max-poll-timeout", "--token",
                           "--post-rate", "--post-burst", "--max-connections", "--shutdown-grace",
                           "--idle-timeout", "--io-timeout", "--access-log", "--healthcheck"}) {
    EXPECT_NE(c.output.find(flag), std::string::npos) << flag;
  }
  EXPECT_NE(c.output.find("CHAT_MAX_BODY"), std::string::npos);
  EXPECT_NE(c.output.find("65536"), std::string::npos);
}

TEST(Config, ParsesHostPort) {
  EXPECT_EQ(parse_host_port("127.0.0.1:9000")->port, 9000);
  EXPECT_EQ(parse_host_port("[::1]:80")->host, "::1");
  EXPECT_FALSE(parse_host_port("127.0.0.1"));
  EXPECT_FALSE(parse_host_port("h:99999"));
  EXPECT_FALSE(parse_host_port(":80"));
}

}  // namespace pollchat

namespace pollchat {

// The list is checked by net/ (core has no address parser); its error names where it came from.
TEST(Config, TrustedProxiesKnowsWhetherFlagOrVariableSetIt) {
  auto c = parse({});
  ASSERT_TRUE(c.settings);
  EXPECT_EQ(c.settings->trusted_proxies, "");
  c = parse({"--trusted-proxies", "10.0.0.0/8"});
  ASSERT_TRUE(c.settings);
  EXPECT_EQ(c.settings->trusted_proxies, "10.0.0.0/8");
  EXPECT_EQ(c.settings->trusted_proxies_origin, "--trusted-proxies");
  const scoped_env env("CHAT_TRUSTED_PROXIES", "127.0.0.1");
  c = parse({});
  ASSERT_TRUE(c.settings);
  EXPECT_EQ(c.settings->trusted_proxies, "127.0.0.1");
  EXPECT_EQ(c.settings->trusted_proxies_origin, "CHAT_TRUSTED_PROXIES");
  c = parse({"--trusted-proxies=::1"});
  ASSERT_TRUE(c.settings);
  EXPECT_EQ(c.settings->trusted_proxies, "::1");
  EXPECT_EQ(c.settings->trusted_proxies_origin, "--trusted-proxies");
}

TEST(Config, MemoryFlagsHaveDocumentedDefaultsAndAreChecked) {
  const auto c = parse({});
  ASSERT_TRUE(c.settings);
  EXPECT_EQ(c.settings->max_history_bytes, std::size_t{128} << 20);
  EXPECT_EQ(c.settings->max_room_bytes, std::size_t{8} << 20);
  EXPECT_EQ(c.settings->room_expiry, 600u);
  const auto bad = parse({"--max-history-bytes", "2000000", "--max-room-bytes", "3000000"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("--max-room-bytes"), std::string::npos);
  EXPECT_EQ(parse({"--max-history-bytes", "1000"}).exit_code, 2);  // under 1 MiB
  const auto help = parse({"--help"});
  EXPECT_NE(help.output.find("256 MiB"), std::string::npos);  // the bound, said in --help
}

}  // namespace pollchat
