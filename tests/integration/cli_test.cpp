// The command line as an operator meets it: --help, bad values, environment variables, a busy
// port, and the health probe.

#include "integration.hpp"

namespace pollchat::testing {

TEST(Cli, HelpListsFlagsWithVariablesAndExitsZero) {
  const auto out = run_command(server_process::binary() + " --help");
  EXPECT_EQ(out.status, 0);
  EXPECT_NE(out.out.find("--max-poll-timeout"), std::string::npos);
  EXPECT_NE(out.out.find("CHAT_MAX_POLL_TIMEOUT"), std::string::npos);
}

TEST(Cli, BadValueIsAClearErrorAndExitCode2) {
  const auto out = run_command(server_process::binary() + " --history zero 2>&1");
  EXPECT_EQ(out.status, 2);
  EXPECT_NE(out.out.find("--history"), std::string::npos) << out.out;
  const auto env = run_command("CHAT_THREADS=0 " + server_process::binary() + " 2>&1");
  EXPECT_EQ(env.status, 2);
  EXPECT_NE(env.out.find("CHAT_THREADS=0"), std::string::npos) << env.out;  // what was set
}

TEST(Cli, EnvironmentConfiguresAndAFlagWins) {
  server_process from_env({}, {{"CHAT_MAX_MESSAGE", "5"}, {"CHAT_POST_RATE", "0"}});
  ASSERT_TRUE(from_env.started()) << from_env.log();
  EXPECT_EQ(post(from_env, "/chat", "body=123456")->result_int(), 413);
  EXPECT_EQ(post(from_env, "/chat", "body=12345")->result_int(), 200);

  server_process flag_wins({"--max-message", "6"}, {{"CHAT_MAX_MESSAGE", "5"}});
  ASSERT_TRUE(flag_wins.started()) << flag_wins.log();
  EXPECT_EQ(post(flag_wins, "/chat", "body=123456")->result_int(), 200);
}

TEST(Cli, ListenComesFromTheEnvironmentToo) {
  server_process server({}, {{"CHAT_LISTEN", "127.0.0.1:0"}});
  EXPECT_TRUE(server.started()) << server.log();
}

TEST(Cli, ABusyPortIsAnErrorExit) {
  server_process first;
  ASSERT_TRUE(first.started()) << first.log();
  server_process second({"--listen", "127.0.0.1:" + std::to_string(first.port())});
  EXPECT_FALSE(second.started());
  EXPECT_EQ(second.wait_exit(5s), 1);
  EXPECT_NE(second.log().find("cannot listen"), std::string::npos) << second.log();
}

TEST(Cli, HealthcheckProbesARunningServer) {
  server_process server;
  ASSERT_TRUE(server.started()) << server.log();
  const std::string probe = server_process::binary() + " --healthcheck --listen 127.0.0.1:";
  EXPECT_EQ(run_command(probe + std::to_string(server.port())).status, 0);
  const auto port = server.port();
  ASSERT_EQ(server.stop(SIGTERM), 0);
  EXPECT_EQ(run_command(probe + std::to_string(port) + " 2>/dev/null").status, 1);
}

}  // namespace pollchat::testing
