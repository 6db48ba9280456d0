#pragma once
// Runs Debian's redis-server for a test: on a free loopback port, with its own configuration and
// a temporary directory, ready when it answers PING (never a fixed sleep), stopped by pid. It can
// be stopped and started again on the same port and directory (a Redis restart, empty or not).

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace pollchat::testing {

class redis_process {
 public:
  // `extra` are more redis-server arguments, e.g. {"--appendonly", "yes"}.
  explicit redis_process(std::vector<std::string> extra = {});
  ~redis_process();
  redis_process(const redis_process&) = delete;
  redis_process& operator=(const redis_process&) = delete;

  bool running() const { return pid_ > 0; }
  std::uint16_t port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  const std::filesystem::path& dir() const { return dir_; }

  // Starts it again on the same port; `empty` first removes what it persisted.
  bool start(bool empty = false);
  // SIGTERM (a clean stop, saving when configured) or SIGKILL, and waits for the exit.
  void stop(int signal = 15);

  // Runs one command on a short-lived connection; the reply as text ("" for nil, "ERR..." for
  // an error, elements joined by '\n' for an array).
  std::string command(const std::vector<std::string>& args) const;

  static bool available();  // redis-server is installed

 private:
  bool wait_ready(std::chrono::milliseconds timeout) const;

  std::vector<std::string> extra_;
  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace pollchat::testing
