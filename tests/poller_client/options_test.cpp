#include "poller-client/options.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <vector>

namespace pollchat::client {
namespace {

// Sets (or, with nullptr, unsets) an environment variable for one test.
class scoped_env {
 public:
  scoped_env(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name))
      old_ = old;
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~scoped_env() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// A clean environment: the developer's own CHAT_URL or USER must not change the results.
class Options : public ::testing::Test {
 protected:
  scoped_env url_{"CHAT_URL", nullptr};
  scoped_env token_{"CHAT_TOKEN", nullptr};
  scoped_env connect_timeout_{"CHAT_CONNECT_TIMEOUT", nullptr};
  scoped_env ca_file_{"CHAT_CA_FILE", nullptr};
  scoped_env user_{"USER", "tester"};
};

std::variant<client_options, early_exit> parse(const std::vector<const char*>& args) {
  std::vector<const char*> argv{"poller-client"};
  argv.insert(argv.end(), args.begin(), args.end());
  return parse_options(static_cast<int>(argv.size()), argv.data());
}

client_options parsed(const std::vector<const char*>& args) {
  auto result = parse(args);
  if (auto* early = std::get_if<early_exit>(&result)) {
    ADD_FAILURE() << "unexpected exit " << early->code << ": " << early->text;
    return {};
  }
  return std::get<client_options>(result);
}

early_exit exited(const std::vector<const char*>& args) {
  auto result = parse(args);
  if (auto* early = std::get_if<early_exit>(&result))
    return *early;
  ADD_FAILURE() << "expected an early exit";
  return {};
}

TEST_F(Options, DefaultsFollowTheSpec) {
  const auto options = parsed({});
  EXPECT_EQ(options.server.host, "127.0.0.1");
  EXPECT_EQ(options.server.port, "9000");
  EXPECT_EQ(options.server.prefix, "");
  EXPECT_EQ(options.room, "lobby");
  EXPECT_EQ(options.name, "tester");
  EXPECT_EQ(options.last, 10);
  EXPECT_FALSE(options.since);
  EXPECT_EQ(options.timeout, 30);
  EXPECT_FALSE(options.json);
  EXPECT_FALSE(options.no_input);
  EXPECT_FALSE(options.count);
  EXPECT_EQ(options.token, "");
  EXPECT_EQ(options.connect_timeout, 10);
  EXPECT_EQ(options.ca_file, "");
  EXPECT_FALSE(options.server.tls);
}

TEST_F(Options, EveryFlagIsRead) {
  const auto options = parsed({"--url", "http://chat.example:8000/pc/", "--room", "dev-ops.2",
                               "--name", "Zoë", "--since", "42", "--timeout", "5", "--json",
                               "--no-input", "--count", "3", "--token", "s3cret"});
  EXPECT_EQ(options.server.host, "chat.example");
  EXPECT_EQ(options.server.port, "8000");
  EXPECT_EQ(options.server.host_header, "chat.example:8000");
  EXPECT_EQ(options.server.prefix, "/pc");
  EXPECT_EQ(options.room, "dev-ops.2");
  EXPECT_EQ(options.name, "Zoë");
  EXPECT_EQ(options.since, 42);
  EXPECT_EQ(options.timeout, 5);
  EXPECT_TRUE(options.json);
  EXPECT_TRUE(options.no_input);
  EXPECT_EQ(options.count, 3);
  EXPECT_EQ(options.token, "s3cret");
}

TEST_F(Options, SinceAllMeansFromTheStart) {
  EXPECT_EQ(parsed({"--since", "all"}).since, 0);
}

TEST_F(Options, LastIsKeptWhenSinceIsAbsent) {
  EXPECT_EQ(parsed({"--last", "0"}).last, 0);
}

TEST_F(Options, NamesCountCharactersNotBytes) {
  std::string name;
  for (int i = 0; i < 32; ++i)
    name += "\xC3\xA9";  // é: 32 characters, 64 bytes
  EXPECT_EQ(parsed({"--name", name.c_str()}).name, name);
}

TEST_F(Options, AnEmptyNameIsAnonymousAsOnTheServer) {
  EXPECT_EQ(parsed({"--name", ""}).name, "anonymous");
}

TEST_F(Options, NameDefaultsToAnonymousWithoutAUsableUser) {
  {
    scoped_env user("USER", nullptr);
    EXPECT_EQ(parsed({}).name, "anonymous");
  }
  {
    scoped_env user("USER", "a-name-that-is-much-longer-than-thirty-two-characters");
    EXPECT_EQ(parsed({}).name, "anonymous");
  }
}

TEST_F(Options, EnvironmentGivesUrlAndTokenAndFlagsWin) {
  scoped_env url("CHAT_URL", "http://10.0.0.7:9100");
  scoped_env token("CHAT_TOKEN", "from-env");
  auto options = parsed({});
  EXPECT_EQ(options.server.host, "10.0.0.7");
  EXPECT_EQ(options.server.port, "9100");
  EXPECT_EQ(options.token, "from-env");

  options = parsed({"--url", "http://127.0.0.1:9200", "--token", "from-flag"});
  EXPECT_EQ(options.server.port, "9200");
  EXPECT_EQ(options.token, "from-flag");
}

TEST_F(Options, HelpListsEveryFlagAndExitsZero) {
  const auto help = exited({"--help"});
  EXPECT_EQ(help.code, 0);
  for (const char* flag :
       {"--url", "--room", "--name", "--last", "--since", "--timeout", "--json", "--no-input",
        "--count", "--token", "CHAT_URL", "CHAT_TOKEN", "Exit codes"}) {
    EXPECT_NE(help.text.find(flag), std::string::npos) << flag;
  }
}

TEST_F(Options, UsageErrorsExitTwoWithAClearMessage) {
  const std::string long_room(65, 'r');
  const std::string long_name(33, 'n');
  const std::pair<std::vector<const char*>, const char*> cases[] = {
      {{"--bogus"}, "--bogus"},
      {{"--url", "gopher://chat.example"}, "only http:// and https://"},
      {{"--connect-timeout", "-1"}, "--connect-timeout -1: use a whole number of seconds"},
      {{"--connect-timeout", "3601"}, "--connect-timeout"},
      {{"--connect-timeout", "soon"}, "--connect-timeout"},
      {{"--ca-file", "/nonexistent/ca.pem"}, "--ca-file /nonexistent/ca.pem: cannot read it"},
      {{"--ca-file", "/etc/passwd"}, "no PEM certificate"},
      {{"--url", "ftp://chat.example"}, "only http://"},
      {{"--url", "localhost:9000"}, "http[s]://HOST[:PORT]"},
      {{"--url", "http://user:pw@h"}, "use --token"},
      {{"--url", "http://h:99999"}, "1 to 65535"},
      {{"--url", "http://h:0"}, "1 to 65535"},
      {{"--url", "http://h/?x=1"}, "query"},
      {{"--room", "no spaces"}, "--room"},
      {{"--room", long_room.c_str()}, "--room"},
      {{"--name", "bell\a"}, "--name"},
      {{"--name", "c1\xC2\x9B"}, "--name"},
      {{"--name", "bad\xFF"}, "--name"},
      {{"--name", long_name.c_str()}, "--name"},
      {{"--since", "-1"}, "--since"},
      {{"--since", "soon"}, "--since"},
      {{"--since", "3", "--last", "4"}, "--since"},
      {{"--last", "1001"}, "--last"},
      {{"--timeout", "0"}, "--timeout"},
      {{"--count", "0"}, "--count"},
      {{"--count", "many"}, "--count"},
  };
  for (const auto& [args, expected] : cases) {
    const auto result = exited(args);
    EXPECT_EQ(result.code, 2) << args.front();
    EXPECT_NE(result.text.find(expected), std::string::npos) << result.text;
    EXPECT_NE(result.text.find("--help"), std::string::npos) << result.text;
  }
}

// Debian's bundle of the system's CAs (package ca-certificates): a PEM file that loads.
constexpr const char* system_bundle = "/etc/ssl/certs/ca-certificates.crt";

TEST_F(Options, ConnectTimeoutAndCaFileComeFromFlagsOrVariables) {
  auto options = parsed({"--connect-timeout", "0", "--ca-file", system_bundle});
  EXPECT_EQ(options.connect_timeout, 0);
  EXPECT_EQ(options.ca_file, system_bundle);

  scoped_env seconds("CHAT_CONNECT_TIMEOUT", "25");
  scoped_env ca_file("CHAT_CA_FILE", system_bundle);
  options = parsed({});
  EXPECT_EQ(options.connect_timeout, 25);
  EXPECT_EQ(options.ca_file, system_bundle);
  EXPECT_EQ(parsed({"--connect-timeout", "3"}).connect_timeout, 3);  // the flag wins
}

TEST_F(Options, AnEmptyVariableCountsAsUnset) {
  scoped_env url("CHAT_URL", "");
  scoped_env seconds("CHAT_CONNECT_TIMEOUT", "");
  const auto options = parsed({});
  EXPECT_EQ(options.server.port, "9000");
  EXPECT_EQ(options.connect_timeout, 10);
}

TEST_F(Options, AnErrorAboutAVariablesValueNamesTheVariable) {
  const std::pair<std::pair<const char*, const char*>, const char*> cases[] = {
      {{"CHAT_URL", "ftp://chat.example"}, "CHAT_URL=ftp://chat.example: only http://"},
      {{"CHAT_CONNECT_TIMEOUT", "lots"}, "CHAT_CONNECT_TIMEOUT=lots: use a whole number"},
      {{"CHAT_CA_FILE", "/nonexistent.pem"}, "CHAT_CA_FILE=/nonexistent.pem: cannot read it"},
  };
  for (const auto& [variable, expected] : cases) {
    scoped_env env(variable.first, variable.second);
    const auto result = exited({});
    EXPECT_EQ(result.code, 2) << variable.first;
    EXPECT_NE(result.text.find(expected), std::string::npos) << result.text;
    EXPECT_EQ(result.text.find("--url"), std::string::npos) << result.text;
    EXPECT_EQ(result.text.find("--connect-timeout"), std::string::npos) << result.text;
  }
}

TEST_F(Options, VersionPrintsTheVersionAndTheCommitAndExitsZero) {
  const auto version = exited({"--version"});
  EXPECT_EQ(version.code, 0);
  EXPECT_TRUE(version.text.starts_with("poller-client 0.")) << version.text;
  EXPECT_NE(version.text.find("(commit "), std::string::npos) << version.text;
  EXPECT_TRUE(version.text.ends_with(")\n")) << version.text;
}

TEST_F(Options, HelpNamesTheNewFlagsAndTheirVariables) {
  const auto help = exited({"--help"});
  for (const char* text : {"--connect-timeout", "CHAT_CONNECT_TIMEOUT", "--ca-file",
                           "CHAT_CA_FILE", "--version", "http[s]://", "readline"})
    EXPECT_NE(help.text.find(text), std::string::npos) << text;
}

TEST(ServerUrl, HttpsDefaultsToPort443AndKeepsItsPrefix) {
  std::string error;
  const auto url = parse_server_url("https://chat.example/chat-app/", error);
  ASSERT_TRUE(url) << error;
  EXPECT_TRUE(url->tls);
  EXPECT_EQ(url->host, "chat.example");
  EXPECT_EQ(url->port, "443");
  EXPECT_EQ(url->host_header, "chat.example");
  EXPECT_EQ(url->prefix, "/chat-app");
  const auto with_port = parse_server_url("https://localhost:8443", error);
  ASSERT_TRUE(with_port) << error;
  EXPECT_EQ(with_port->port, "8443");
}

TEST(ServerUrl, IPv6AndDefaultPort) {
  std::string error;
  const auto v6 = parse_server_url("http://[::1]:9000", error);
  ASSERT_TRUE(v6) << error;
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->host_header, "[::1]:9000");
  const auto bare = parse_server_url("http://chat.example/", error);
  ASSERT_TRUE(bare) << error;
  EXPECT_EQ(bare->port, "80");
  EXPECT_EQ(bare->prefix, "");
}

}  // namespace
}  // namespace pollchat::client
