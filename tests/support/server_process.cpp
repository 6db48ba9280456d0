#include "server_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <regex>

extern char** environ;

namespace pollchat::testing {

std::string server_process::binary() { return CHAT_SERVER_PATH; }

server_process::server_process(std::vector<std::string> args, std::map<std::string, std::string> env) {
  const bool has_listen = std::any_of(args.begin(), args.end(), [](const std::string& a) {
    return a == "--listen" || a.starts_with("--listen=");
  });
  if (!has_listen && env.find("CHAT_LISTEN") == env.end()) {
    args.insert(args.begin(), {"--listen", "127.0.0.1:0"});
  }
  std::vector<std::string> argv_storage{binary()};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    const std::string name = entry.substr(0, entry.find('='));
    if (!name.starts_with("CHAT_") && env.find(name) == env.end()) {
      env_storage.push_back(entry);  // the test's own CHAT_* must not leak into the server
    }
  }
  for (const auto& [k, v] : env) env_storage.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (rc != 0) {
    close(pipe_fds[0]);
    pid_ = -1;
    return;
  }
  reader_ = std::thread([this, fd = pipe_fds[0]] { collect_stderr(fd); });

  // Ready when it says where it listens, or gone when it exits first.
  static const std::regex listening(R"(listening on http://[^ ]+:(\d+))");
  std::unique_lock lock(mutex_);
  std::smatch match;
  changed_.wait_for(lock, std::chrono::seconds(15), [&] {
    return std::regex_search(log_, match, listening) || exited_;
  });
  if (std::regex_search(log_, match, listening)) {
    port_ = static_cast<std::uint16_t>(std::stoi(match[1].str()));
  }
}

server_process::~server_process() {
  if (pid_ > 0 && !reaped_) {
    stop(SIGKILL, std::chrono::seconds(5));
  }
  if (reader_.joinable()) {
    reader_.join();
  }
}

void server_process::collect_stderr(int fd) {
  char chunk[4096];
  while (true) {
    const ssize_t n = read(fd, chunk, sizeof chunk);
    if (n <= 0) {
      break;
    }
    const std::lock_guard lock(mutex_);
    log_.append(chunk, static_cast<std::size_t>(n));
    changed_.notify_all();
  }
  close(fd);
  const std::lock_guard lock(mutex_);
  exited_ = true;  // stderr closed: the process is gone (or closed it, which it never does)
  changed_.notify_all();
}

std::optional<int> server_process::wait_exit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  if (reaped_) return exit_code_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      if (WIFEXITED(status)) {
        exit_code_ = WEXITSTATUS(status);
      }
      return exit_code_;  // nullopt when a signal ended it
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return std::nullopt;
}

std::optional<int> server_process::stop(int signal, std::chrono::milliseconds timeout) {
  if (pid_ <= 0 || reaped_) return exit_code_;
  kill(pid_, signal);
  const auto code = wait_exit(timeout);
  if (!reaped_) {  // did not exit in time: make sure it is gone
    kill(pid_, SIGKILL);
    wait_exit(std::chrono::seconds(5));
    return std::nullopt;
  }
  return code;
}

std::uint16_t server_process::tcp_port() const {
  static const std::regex listening(R"(listening on tcp://[^ ]+:(\d+))");
  const std::string text = log();
  std::smatch match;
  return std::regex_search(text, match, listening) ? static_cast<std::uint16_t>(std::stoi(match[1].str()))
                                                   : 0;
}

std::string server_process::log() const {
  const std::lock_guard lock(mutex_);
  return log_;
}

bool server_process::wait_for_log(const std::string& text, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return log_.find(text) != std::string::npos; });
}

}  // namespace pollchat::testing
