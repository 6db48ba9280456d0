#pragma once
// What the poller-client integration tests add to tests/support (the chat-server process and a
// raw HTTP client): poller-client processes on pipes, and a relay that loses one answer. Every
// wait is bounded and waits for an event (a line on a pipe, an exit), never for a fixed time;
// every process is killed and reaped by its destructor, also when an assertion fails.

#include <sys/types.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace pollchat::testing {

using namespace std::chrono_literals;

// A child process with stdin, stdout and stderr on pipes.
class child_process {
 public:
  // `env`: variables to set (a value) or remove (nullopt) on top of this process's environment.
  child_process(const std::vector<std::string>& argv,
                const std::map<std::string, std::optional<std::string>>& env = {});
  ~child_process();  // SIGKILL and reap, if still running
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  void write_stdin(std::string_view text);
  void close_stdin();
  void signal(int signo);

  // Everything read so far.
  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }

  // Reads the pipes until `done()` holds; false when `limit` passes first.
  bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 15s);
  bool wait_out(std::string_view text, std::chrono::milliseconds limit = 15s);
  bool wait_err(std::string_view text, std::chrono::milliseconds limit = 15s);

  // The exit code (128 + N for signal N), or nullopt when it is still running after `limit`.
  std::optional<int> wait_exit(std::chrono::milliseconds limit = 15s);

 private:
  void pump(std::chrono::milliseconds at_most);
  bool reaped();  // true once the child has exited (and exit_code_ is set)

  pid_t pid_ = -1;
  int in_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string out_;
  std::string err_;
  std::optional<int> exit_code_;
};

// A TCP relay to 127.0.0.1:<upstream> that lets the first POST /chat through to the server but
// drops its answer, and closes that connection: the message is stored, the poster never hears
// so, as when a connection breaks at the worst moment. Everything else is relayed as is.
class answer_dropping_proxy {
 public:
  explicit answer_dropping_proxy(std::uint16_t upstream);
  ~answer_dropping_proxy();  // stops its thread; every relayed connection is closed
  answer_dropping_proxy(const answer_dropping_proxy&) = delete;
  answer_dropping_proxy& operator=(const answer_dropping_proxy&) = delete;

  std::string url() const;
  int dropped() const { return dropped_; }

 private:
  void accept();

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t upstream_;
  std::atomic<int> dropped_{0};  // thread-safe: written by the relay thread, read by the test
  std::thread thread_;
};

// "http://127.0.0.1:<port>"
std::string url_of(std::uint16_t port);

// poller-client --url `url` with the given flags.
std::vector<std::string> client_argv(std::string url, std::vector<std::string> flags);
// Its environment: TZ=UTC, and none of the client's CHAT_* variables from outside.
const std::map<std::string, std::optional<std::string>>& client_env();

// POSTs {"body", "name"} as JSON to /chat/<room>; the stored message's JSON, or "" on failure.
std::string post_message(std::uint16_t port, std::string_view room, std::string_view name,
                         std::string_view body);

// Lines of `text` (without their '\n').
std::vector<std::string> lines_of(std::string_view text);
// How many times `needle` occurs in `haystack`.
int occurrences(std::string_view haystack, std::string_view needle);

// A loopback port nobody listens on at the moment of the call.
std::uint16_t unused_port();

// The room's stored messages of type "message" (joins and leaves left out), oldest first.
std::vector<nlohmann::ordered_json> stored_messages(std::uint16_t port,
                                                    std::string_view room = "lobby");

}  // namespace pollchat::testing
