#pragma once
// Runs the real chat-server binary as a child process for integration tests: starts it on an
// ephemeral port, waits until it says where it listens (never a fixed sleep), collects its
// stderr, and always stops it: SIGTERM by stop(), SIGKILL by the destructor if still running.

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace pollchat::testing {

class server_process {
 public:
  // Starts chat-server with `args` (plus `--listen 127.0.0.1:0` unless args name --listen) and
  // extra environment variables. Check started() before use.
  explicit server_process(std::vector<std::string> args = {},
                          std::map<std::string, std::string> env = {});
  ~server_process();
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  bool started() const { return port_ != 0; }
  std::uint16_t port() const { return port_; }
  std::uint16_t tcp_port() const;  // the TCP line room's port, 0 when it has none
  pid_t pid() const { return pid_; }

  // Sends `signal` and waits for the exit; the exit code, or nullopt when it did not exit in
  // time (it is then killed) or died of a signal.
  std::optional<int> stop(int signal, std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Waits for the process to exit by itself (e.g. a usage error).
  std::optional<int> wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Everything it wrote to stderr so far.
  std::string log() const;

  // Waits until stderr contains `text`.
  bool wait_for_log(const std::string& text,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

  static std::string binary();

 private:
  void collect_stderr(int fd);

  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  bool reaped_ = false;           // waitpid collected it (test thread only)
  std::optional<int> exit_code_;  // set when it exited normally
  bool exited_ = false;           // its stderr closed; guarded by mutex_
  std::thread reader_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::string log_;  // guarded by mutex_
};

}  // namespace pollchat::testing
