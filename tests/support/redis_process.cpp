#include "redis_process.hpp"

#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <thread>

extern char** environ;

namespace pollchat::testing {
namespace {

constexpr const char* redis_server = "/usr/bin/redis-server";

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  std::uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

std::string as_text(const redisReply* reply) {
  if (reply == nullptr) {
    return "ERR no reply";
  }
  switch (reply->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      return std::string(reply->str, reply->len);
    case REDIS_REPLY_INTEGER:
      return std::to_string(reply->integer);
    case REDIS_REPLY_ARRAY: {
      std::string out;
      for (std::size_t i = 0; i < reply->elements; ++i) {
        out += (i == 0 ? "" : "\n") + as_text(reply->element[i]);
      }
      return out;
    }
    default:
      return {};
  }
}

}  // namespace

bool redis_process::available() { return ::access(redis_server, X_OK) == 0; }

redis_process::redis_process(std::vector<std::string> extra) : extra_(std::move(extra)) {
  char pattern[] = "/tmp/pollchat-redis-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) {
    return;
  }
  dir_ = pattern;
  port_ = free_port();
  start();
}

redis_process::~redis_process() {
  stop(SIGKILL);
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

bool redis_process::start(bool empty) {
  if (pid_ > 0 || port_ == 0) {
    return pid_ > 0;
  }
  if (empty) {
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
      std::filesystem::remove_all(entry.path());
    }
  }
  std::vector<std::string> args{redis_server,   "--port",     std::to_string(port_),
                                "--bind",       "127.0.0.1",  "--dir",
                                dir_.string(),  "--save",     "",
                                "--logfile",    (dir_ / "redis.log").string(),
                                "--daemonize",  "no",         "--protected-mode",
                                "no"};
  args.insert(args.end(), extra_.begin(), extra_.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (::posix_spawn(&pid_, redis_server, nullptr, nullptr, argv.data(), environ) != 0) {
    pid_ = -1;
    return false;
  }
  if (!wait_ready(std::chrono::seconds(10))) {
    stop(SIGKILL);
    return false;
  }
  return true;
}

void redis_process::stop(int signal) {
  if (pid_ <= 0) {
    return;
  }
  ::kill(pid_, signal);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

bool redis_process::wait_ready(std::chrono::milliseconds timeout) const {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    const std::string answer = command({"PING"});
    if (answer == "PONG" || answer.starts_with("NOAUTH")) {  // up, and maybe asking for a password
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::string redis_process::command(const std::vector<std::string>& args) const {
  const timeval timeout{2, 0};
  const std::unique_ptr<redisContext, decltype(&redisFree)> context(
      redisConnectWithTimeout("127.0.0.1", port_, timeout), &redisFree);
  if (!context || context->err != 0) {
    return "ERR cannot connect";
  }
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(redisCommandArgv(
      context.get(), static_cast<int>(args.size()), argv.data(), lengths.data()));
  std::string text = as_text(reply);
  freeReplyObject(reply);
  return text;
}

}  // namespace pollchat::testing
