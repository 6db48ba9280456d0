#include "harness.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>

#include "test_client.hpp"

extern char** environ;

namespace pollchat::testing {
namespace {

namespace asio = boost::asio;

// Writing to a child that has exited must fail the test, not kill it.
const bool sigpipe_ignored = [] {
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}();

void close_fd(int& fd) {
  if (fd != -1)
    ::close(fd);
  fd = -1;
}

}  // namespace

child_process::child_process(const std::vector<std::string>& argv,
                             const std::map<std::string, std::optional<std::string>>& env) {
  (void)sigpipe_ignored;
  int in[2];
  int out[2];
  int err[2];
  // O_CLOEXEC: no other child inherits our ends (a stray write end would hide end of input).
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2: " << std::strerror(errno);
    return;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);

  std::vector<std::string> variables;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view variable(*entry);
    if (!env.contains(std::string(variable.substr(0, variable.find('='))))) {
      variables.emplace_back(variable);
    }
  }
  for (const auto& [name, value] : env) {
    if (value)
      variables.push_back(name + "=" + *value);
  }
  std::vector<char*> envp;
  for (auto& variable : variables)
    envp.push_back(variable.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> argp;
  for (auto& arg : args)
    argp.push_back(arg.data());
  argp.push_back(nullptr);

  const int spawned = ::posix_spawn(&pid_, argp[0], &actions, nullptr, argp.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  in_ = in[1];
  out_fd_ = out[0];
  err_fd_ = err[0];
  if (spawned != 0) {
    pid_ = -1;
    ADD_FAILURE() << "posix_spawn " << argv[0] << ": " << std::strerror(spawned);
  }
  ::fcntl(out_fd_, F_SETFL, O_NONBLOCK);
  ::fcntl(err_fd_, F_SETFL, O_NONBLOCK);
}

child_process::~child_process() {
  if (pid_ != -1 && !exit_code_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  close_fd(in_);
  close_fd(out_fd_);
  close_fd(err_fd_);
}

void child_process::write_stdin(std::string_view text) {
  while (!text.empty() && in_ != -1) {
    const ssize_t n = ::write(in_, text.data(), text.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      ADD_FAILURE() << "write to the child's stdin: " << std::strerror(errno);
      return;
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

void child_process::close_stdin() {
  close_fd(in_);
}

void child_process::signal(int signo) {
  if (pid_ != -1 && !exit_code_)
    ::kill(pid_, signo);
}

void child_process::pump(std::chrono::milliseconds at_most) {
  pollfd fds[2];
  nfds_t count = 0;
  for (const int fd : {out_fd_, err_fd_}) {
    if (fd != -1)
      fds[count++] = pollfd{fd, POLLIN, 0};
  }
  if (count == 0) {
    // Both pipes are closed: nothing to wait for but the exit itself.
    ::poll(nullptr, 0, static_cast<int>(std::min(at_most, 10ms).count()));
    return;
  }
  if (::poll(fds, count, static_cast<int>(at_most.count())) <= 0)
    return;
  char buffer[4096];
  for (nfds_t i = 0; i < count; ++i) {
    if (fds[i].revents == 0)
      continue;
    const bool is_out = fds[i].fd == out_fd_;
    for (;;) {
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        (is_out ? out_ : err_).append(buffer, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0)
        close_fd(is_out ? out_fd_ : err_fd_);  // end of file
      break;
    }
  }
}

bool child_process::wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (done())
      return true;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= 0ms)
      return false;
    pump(std::min(left, 100ms));
  }
}

bool child_process::wait_out(std::string_view text, std::chrono::milliseconds limit) {
  return wait_until([&] { return out_.find(text) != std::string::npos; }, limit);
}

bool child_process::wait_err(std::string_view text, std::chrono::milliseconds limit) {
  return wait_until([&] { return err_.find(text) != std::string::npos; }, limit);
}

bool child_process::reaped() {
  if (exit_code_ || pid_ == -1)
    return exit_code_.has_value();
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) != pid_)
    return false;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return true;
}

std::optional<int> child_process::wait_exit(std::chrono::milliseconds limit) {
  if (pid_ == -1)
    return std::nullopt;
  if (!wait_until([&] { return reaped(); }, limit))
    return std::nullopt;
  // What it wrote just before it exited.
  wait_until([&] { return out_fd_ == -1 && err_fd_ == -1; }, 2s);
  return exit_code_;
}

namespace {

// One relayed connection: client <-> proxy <-> server. Kept alive by its pending operations.
class relay : public std::enable_shared_from_this<relay> {
 public:
  relay(asio::ip::tcp::socket client, std::atomic<int>& dropped)
      : client_(std::move(client)), server_(client_.get_executor()), dropped_(dropped) {}

  void start(std::uint16_t upstream) {
    server_.async_connect({asio::ip::make_address("127.0.0.1"), upstream},
                          [self = shared_from_this()](boost::system::error_code error) {
                            if (error)
                              return self->close();
                            self->from_client();
                            self->from_server();
                          });
  }

 private:
  void from_client() {
    client_.async_read_some(asio::buffer(up_), [self = shared_from_this()](
                                                   boost::system::error_code error, std::size_t n) {
      if (error)
        return self->close();
      // A request is written in one piece; the first POST /chat is the one to strand.
      if (std::string_view(self->up_.data(), n).starts_with("POST /chat") && self->dropped_ == 0)
        self->drop_answer_ = true;
      asio::async_write(self->server_, asio::buffer(self->up_.data(), n),
                        [self](boost::system::error_code write_error, std::size_t) {
                          if (write_error)
                            return self->close();
                          self->from_client();
                        });
    });
  }

  void from_server() {
    server_.async_read_some(
        asio::buffer(down_),
        [self = shared_from_this()](boost::system::error_code error, std::size_t n) {
          if (error)
            return self->close();
          if (self->drop_answer_) {
            ++self->dropped_;
            return self->close();
          }
          asio::async_write(self->client_, asio::buffer(self->down_.data(), n),
                            [self](boost::system::error_code write_error, std::size_t) {
                              if (write_error)
                                return self->close();
                              self->from_server();
                            });
        });
  }

  void close() {
    boost::system::error_code ignored;
    client_.close(ignored);
    server_.close(ignored);
  }

  asio::ip::tcp::socket client_;
  asio::ip::tcp::socket server_;
  std::atomic<int>& dropped_;
  bool drop_answer_ = false;  // the server's next bytes answer the POST to strand
  std::array<char, 16384> up_{};
  std::array<char, 16384> down_{};
};

}  // namespace

answer_dropping_proxy::answer_dropping_proxy(std::uint16_t upstream)
    : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}), upstream_(upstream) {
  accept();
  thread_ = std::thread([this] { io_.run(); });
}

answer_dropping_proxy::~answer_dropping_proxy() {
  // A test helper: stopping the loop is enough; the sockets close with io_.
  io_.stop();
  thread_.join();
}

std::string answer_dropping_proxy::url() const {
  return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
}

void answer_dropping_proxy::accept() {
  acceptor_.async_accept([this](boost::system::error_code error, asio::ip::tcp::socket client) {
    if (error)
      return;
    std::make_shared<relay>(std::move(client), dropped_)->start(upstream_);
    accept();
  });
}

std::string url_of(std::uint16_t port) {
  return "http://127.0.0.1:" + std::to_string(port);
}

std::vector<std::string> client_argv(std::string url, std::vector<std::string> flags) {
  std::vector<std::string> argv{POLLER_CLIENT_PATH, "--url", std::move(url)};
  argv.insert(argv.end(), flags.begin(), flags.end());
  return argv;
}

const std::map<std::string, std::optional<std::string>>& client_env() {
  static const std::map<std::string, std::optional<std::string>> env{
      {"TZ", "UTC"},
      {"CHAT_URL", std::nullopt},
      {"CHAT_TOKEN", std::nullopt},
      {"CHAT_CONNECT_TIMEOUT", std::nullopt},
      {"CHAT_CA_FILE", std::nullopt}};
  return env;
}

std::string post_message(std::uint16_t port, std::string_view room, std::string_view name,
                         std::string_view body) {
  const nlohmann::json message = {{"body", body}, {"name", name}};
  const auto answer = request_once(port, "POST", "/chat/" + std::string(room),
                                   {{"Content-Type", "application/json"}}, message.dump());
  EXPECT_TRUE(answer && answer->result_int() == 200) << (answer ? answer->body() : "no answer");
  return answer && answer->result_int() == 200 ? answer->body() : std::string();
}

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> lines;
  while (!text.empty()) {
    const auto end = text.find('\n');
    lines.emplace_back(text.substr(0, end));
    if (end == std::string_view::npos)
      break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

std::uint16_t unused_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
  return probe.local_endpoint().port();
}

std::vector<nlohmann::ordered_json> stored_messages(std::uint16_t port, std::string_view room) {
  const auto answer =
      request_once(port, "GET", "/chat/" + std::string(room) + "?since=0&timeout=0&format=json");
  EXPECT_TRUE(answer && answer->result_int() == 200);
  std::vector<nlohmann::ordered_json> messages;
  if (!answer)
    return messages;
  const auto body = nlohmann::ordered_json::parse(answer->body(), nullptr, false);
  if (body.is_discarded() || !body.contains("messages"))
    return messages;
  for (const auto& message : body["messages"]) {
    if (message["type"] == "message")
      messages.push_back(message);
  }
  return messages;
}

int occurrences(std::string_view haystack, std::string_view needle) {
  int count = 0;
  for (auto at = haystack.find(needle); at != std::string_view::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++count;
  }
  return count;
}

}  // namespace pollchat::testing
