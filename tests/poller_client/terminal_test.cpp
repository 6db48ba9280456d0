// poller-client in a real terminal (issue 17 row 4, SPEC §7): tmux gives it a pseudo-terminal on
// both stdin and stdout, so it edits lines with readline; the test types with send-keys and
// reads the screen with capture-pane. The tmux server runs on a socket of its own in a temporary
// directory and is stopped by kill-server on that socket, even when an assertion fails.

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

#include "harness.hpp"
#include "server_process.hpp"

namespace pollchat::testing {
namespace {

class tmux_terminal {
 public:
  // Runs `command` (a shell command line) in a 100x30 terminal.
  explicit tmux_terminal(const std::string& command) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "pollchat-tmux-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr)
      dir_ = pattern;
    started_ = run({"new-session", "-d", "-x", "100", "-y", "30", command});
  }
  ~tmux_terminal() {
    run({"kill-server"});
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  tmux_terminal(const tmux_terminal&) = delete;
  tmux_terminal& operator=(const tmux_terminal&) = delete;

  bool started() const { return started_; }

  // Types `text` as it is (no key names).
  bool type(const std::string& text) { return run({"send-keys", "-l", text}); }
  // Presses keys by tmux's names: "Enter", "Up", "C-d", "C-c".
  bool press(const std::string& key) { return run({"send-keys", key}); }

  // The visible lines, without trailing blank lines.
  std::vector<std::string> screen() {
    std::string text;
    run({"capture-pane", "-p"}, &text);
    auto lines = lines_of(text);
    while (!lines.empty() && lines.back().empty())
      lines.pop_back();
    return lines;
  }
  std::string screen_text() {
    std::string text;
    for (const auto& line : screen())
      text += line + "\n";
    return text;
  }
  // Waits until the screen's lines satisfy `done`.
  bool wait_until(const std::function<bool(const std::vector<std::string>&)>& done,
                  std::chrono::milliseconds limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done(screen()))
        return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }
  // Waits until the screen shows `text`.
  bool wait_for(std::string_view text, std::chrono::milliseconds limit = 10s) {
    return wait_until(
        [&](const std::vector<std::string>& lines) {
          std::string all;
          for (const auto& line : lines)
            all += line + "\n";
          return all.find(text) != std::string::npos;
        },
        limit);
  }

 private:
  bool run(std::vector<std::string> args, std::string* out = nullptr) {
    std::vector<std::string> argv{TMUX_PATH, "-S", dir_ + "/tmux.sock", "-f", "/dev/null"};
    argv.insert(argv.end(), args.begin(), args.end());
    child_process tmux(argv);
    const auto code = tmux.wait_exit(10s);
    if (out != nullptr)
      *out = tmux.out();
    return code == 0;
  }

  std::string dir_;
  bool started_ = false;
};

// The shell command line that runs poller-client, then says how it exited and whether the
// terminal echoes again (readline must give it back as it was).
std::string client_command(std::uint16_t port, const std::string& flags) {
  return "env TZ=UTC CHAT_URL= CHAT_TOKEN= " + std::string(POLLER_CLIENT_PATH) + " --url " +
         url_of(port) + " " + flags +
         "; echo EXIT=$?; echo TTY=$(stty -a | tr ' ' '\\n' | grep -x -e echo -e -echo)"
         "; sleep 60";
}

// Polls the server until its stored messages have `count` entries (bounded).
std::vector<nlohmann::ordered_json> wait_stored(std::uint16_t port, std::size_t count) {
  auto stored = stored_messages(port);
  for (int i = 0; i < 100 && stored.size() < count; ++i) {
    std::this_thread::sleep_for(50ms);
    stored = stored_messages(port);
  }
  return stored;
}

TEST(PollerClientTerminal, AMessageArrivingWhileTypingIsPrintedAboveTheLineBeingTyped) {
  server_process server;
  ASSERT_TRUE(server.started()) << server.log();
  tmux_terminal terminal(client_command(server.port(), "--name alice --last 0"));
  ASSERT_TRUE(terminal.started());
  ASSERT_TRUE(terminal.wait_for("* alice joined")) << terminal.screen_text();

  ASSERT_TRUE(terminal.type("half typed"));
  ASSERT_TRUE(terminal.wait_for("half typed")) << terminal.screen_text();
  post_message(server.port(), "lobby", "carol", "interrupting");
  ASSERT_TRUE(terminal.wait_for("carol: interrupting")) << terminal.screen_text();

  // The message sits on a line of its own, and the half line is redrawn intact below it (the
  // screen may be caught between the two writes: wait for the redrawn line).
  EXPECT_TRUE(terminal.wait_until([](const std::vector<std::string>& lines) {
    return lines.size() >= 3 && lines[lines.size() - 2].ends_with("] carol: interrupting") &&
           lines.back() == "half typed";
  })) << terminal.screen_text();
  EXPECT_EQ(terminal.screen_text().find("half typed["), std::string::npos)
      << terminal.screen_text();

  // Finishing the line posts it whole.
  ASSERT_TRUE(terminal.type(" and finished"));
  ASSERT_TRUE(terminal.press("Enter"));
  ASSERT_TRUE(terminal.wait_for("alice: half typed and finished")) << terminal.screen_text();
  auto stored = wait_stored(server.port(), 2);
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[1]["body"], "half typed and finished");

  // Up brings the line back from the history.
  ASSERT_TRUE(terminal.press("Up"));
  ASSERT_TRUE(terminal.press("Enter"));
  stored = wait_stored(server.port(), 3);
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_EQ(stored[2]["body"], "half typed and finished");

  // Ctrl-D on an empty line leaves, and the terminal echoes again.
  ASSERT_TRUE(terminal.press("C-d"));
  ASSERT_TRUE(terminal.wait_for("EXIT=0")) << terminal.screen_text();
  ASSERT_TRUE(terminal.wait_for("TTY=")) << terminal.screen_text();
  EXPECT_NE(terminal.screen_text().find("TTY=echo\n"), std::string::npos) << terminal.screen_text();
}

TEST(PollerClientTerminal, CtrlCLeavesWithTheHalfLineUnsentAndTheTerminalRestored) {
  server_process server;
  ASSERT_TRUE(server.started()) << server.log();
  tmux_terminal terminal(client_command(server.port(), "--name bob --last 0"));
  ASSERT_TRUE(terminal.started());
  ASSERT_TRUE(terminal.wait_for("* bob joined")) << terminal.screen_text();
  ASSERT_TRUE(terminal.type("never sent"));
  ASSERT_TRUE(terminal.wait_for("never sent")) << terminal.screen_text();
  ASSERT_TRUE(terminal.press("C-c"));
  ASSERT_TRUE(terminal.wait_for("TTY=")) << terminal.screen_text();
  const auto text = terminal.screen_text();
  EXPECT_NE(text.find("never sent\nEXIT=0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("TTY=echo\n"), std::string::npos) << text;
  EXPECT_TRUE(stored_messages(server.port()).empty());
}

}  // namespace
}  // namespace pollchat::testing
