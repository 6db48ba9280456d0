#include "tls_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

extern char** environ;

namespace pollchat::testing {
namespace {

using namespace std::chrono_literals;

// Starts `argv` with stdout and stderr appended to `log_file`; -1 when it cannot be started.
pid_t spawn(const std::vector<std::string>& argv, const std::string& log_file) {
  std::vector<std::string> args = argv;
  std::vector<char*> argp;
  for (auto& arg : args)
    argp.push_back(arg.data());
  argp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_file.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = -1;
  const int failed = ::posix_spawn(&pid, argp[0], &actions, nullptr, argp.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return failed == 0 ? pid : -1;
}

// The exit code of `pid` once it exits within `limit` (128 + N for signal N); -1 when it is
// still running then.
int wait_exit(pid_t pid, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (std::chrono::steady_clock::now() >= deadline)
      return -1;
    std::this_thread::sleep_for(10ms);
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A loopback port nobody listens on right now (nginx needs the number in its configuration).
std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  std::uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), size) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0)
    port = ntohs(address.sin_port);
  ::close(fd);
  return port;
}

bool accepts(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  const bool connected =
      ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return connected;
}

}  // namespace

tls_proxy::tls_proxy(settings config) : config_(std::move(config)) {
  std::string pattern = (std::filesystem::temp_directory_path() / "pollchat-tls-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    error_ = std::string("mkdtemp: ") + std::strerror(errno);
    return;
  }
  dir_ = pattern;
  std::filesystem::create_directories(dir_ + "/tmp");
  if (!make_certificates())
    return;
  // The port is free when chosen but nginx binds it a moment later: try a few.
  for (int attempt = 0; attempt < 3 && !started(); ++attempt) {
    port_ = free_port();
    if (write_config())
      start();
  }
}

tls_proxy::~tls_proxy() {
  stop();
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

std::string tls_proxy::url() const {
  return "https://localhost:" + std::to_string(port_) + config_.prefix;
}

std::string tls_proxy::log() const {
  return read_file(dir_ + "/error.log");
}

bool tls_proxy::make_certificates() {
  const std::string openssl = OPENSSL_PATH;
  const std::string log_file = dir_ + "/openssl.log";
  const std::string& host = config_.certificate_host;
  {
    std::ofstream extensions(dir_ + "/server.ext");
    extensions << "subjectAltName=DNS:" << host << (host == "localhost" ? ",IP:127.0.0.1" : "")
               << "\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature"
               << "\nextendedKeyUsage=serverAuth\n";
  }
  // EC keys: made in milliseconds, where RSA keys take a noticeable part of a second.
  const std::vector<std::vector<std::string>> steps = {
      {openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
       "-nodes", "-keyout", dir_ + "/ca.key", "-out", dir_ + "/ca.pem", "-days", "2", "-subj",
       "/CN=pollchat test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
       "keyUsage=critical,keyCertSign,cRLSign"},
      {openssl, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
       "-nodes", "-keyout", dir_ + "/server.key", "-out", dir_ + "/server.csr", "-subj",
       "/CN=" + host},
      {openssl, "x509", "-req", "-in", dir_ + "/server.csr", "-CA", dir_ + "/ca.pem", "-CAkey",
       dir_ + "/ca.key", "-set_serial", "2", "-days", "2", "-extfile", dir_ + "/server.ext",
       "-out", dir_ + "/server.pem"},
  };
  for (const auto& step : steps) {
    const pid_t pid = spawn(step, log_file);
    const int code = pid > 0 ? wait_exit(pid, 30s) : -1;
    if (code != 0) {
      if (pid > 0 && code == -1) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
      }
      error_ = "openssl " + step[1] + " failed (is openssl installed? scripts/install-deps):\n" +
               read_file(log_file);
      return false;
    }
  }
  return true;
}

bool tls_proxy::write_config() {
  const std::string upstream = "127.0.0.1:" + std::to_string(config_.upstream);
  std::ofstream conf(dir_ + "/nginx.conf");
  // One process in the foreground (pid and daemon come from the command line), every file in
  // the directory, and the proxy settings a long-polling origin needs.
  conf << "master_process off;\n"
       << "worker_processes 1;\n"
       << "error_log " << dir_ << "/error.log info;\n"
       << "events { worker_connections 256; }\n"
       << "http {\n"
       << "  access_log off;\n"
       << "  client_body_temp_path " << dir_ << "/tmp/body;\n"
       << "  proxy_temp_path " << dir_ << "/tmp/proxy;\n"
       << "  fastcgi_temp_path " << dir_ << "/tmp/fastcgi;\n"
       << "  uwsgi_temp_path " << dir_ << "/tmp/uwsgi;\n"
       << "  scgi_temp_path " << dir_ << "/tmp/scgi;\n"
       << "  upstream pollchat { server " << upstream << "; keepalive 16; }\n"
       << "  server {\n"
       << "    listen 127.0.0.1:" << port_ << " ssl;\n"
       << "    server_name " << config_.certificate_host << ";\n"
       << "    ssl_certificate " << dir_ << "/server.pem;\n"
       << "    ssl_certificate_key " << dir_ << "/server.key;\n"
       << "    proxy_http_version 1.1;\n"
       << "    proxy_set_header Connection \"\";\n"
       << "    proxy_set_header Host $host;\n"
       << "    proxy_buffering off;\n"
       << "    proxy_read_timeout 70s;\n";
  if (config_.prefix.empty()) {
    conf << "    location / { proxy_pass http://pollchat; }\n";
  } else {
    // The trailing slashes make nginx strip the prefix: /chat-app/chat -> /chat.
    conf << "    location " << config_.prefix << "/ { proxy_pass http://pollchat/; }\n"
         << "    location / { return 404; }\n";
  }
  conf << "  }\n}\n";
  return static_cast<bool>(conf.flush());
}

bool tls_proxy::start() {
  if (started() || dir_.empty() || port_ == 0)
    return started();
  const std::string pid_file = dir_ + "/nginx.pid";
  pid_ = spawn({NGINX_PATH, "-p", dir_, "-c", dir_ + "/nginx.conf", "-e", dir_ + "/error.log",
                "-g", "daemon off; pid " + pid_file + ";"},
               dir_ + "/nginx.out");
  if (pid_ <= 0) {
    pid_ = -1;
    error_ = std::string("cannot start ") + NGINX_PATH +
             " (is nginx installed? scripts/install-deps)";
    return false;
  }
  // Ready when it accepts connections; gone when it exits first (a port taken meanwhile).
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (accepts(port_))
      return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      error_ = "nginx exited at start:\n" + read_file(dir_ + "/nginx.out") + log();
      return false;
    }
    std::this_thread::sleep_for(20ms);
  }
  stop();
  error_ = "nginx did not listen within 10 s:\n" + log();
  return false;
}

void tls_proxy::stop() {
  if (pid_ <= 0)
    return;
  ::kill(pid_, SIGTERM);  // fast shutdown: every connection closes
  if (wait_exit(pid_, 5s) == -1) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  pid_ = -1;
}

}  // namespace pollchat::testing
