#pragma once
// Raw loopback sockets for the hardening and conformance suites: what the server writes, byte
// for byte (a body after a HEAD answer must show), a flood that keeps reading while it writes,
// and what the kernel holds for the server's sockets. Every wait is bounded.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace pollchat::testing {

inline int connect_loopback(std::uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends `bytes` in one write and returns everything the server sends until it closes the
// connection or `timeout` passes.
inline std::string exchange(std::uint16_t port, std::string_view bytes,
                            std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const int fd = connect_loopback(port);
  if (fd < 0) return {};
  std::string out;
  if (::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size())) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char chunk[16384];
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{fd, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      const ssize_t n = recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) break;
      out.append(chunk, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return out;
}

// How many status lines ("HTTP/1.1 200 OK") a byte stream holds, each at the start of a line.
inline int count_answers(std::string_view bytes) {
  int n = 0;
  for (std::size_t at = bytes.find("HTTP/1."); at != std::string_view::npos;
       at = bytes.find("HTTP/1.", at + 1)) {
    if (at == 0 || bytes[at - 1] == '\n') ++n;  // a body may end with a bare newline
  }
  return n;
}

// The resident set of a process, in bytes (0 when it cannot be read).
inline std::size_t rss_bytes(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) {
      return std::stoull(line.substr(6)) * 1024;
    }
  }
  return 0;
}

// What the kernel holds unsent or unacknowledged (tx_queue) on each established IPv4 socket
// whose local port is `port`, from /proc/net/tcp: the sum and the largest.
struct send_queues {
  std::size_t total = 0;
  std::size_t largest = 0;
  int sockets = 0;
};

inline send_queues server_send_queues(std::uint16_t port) {
  send_queues out;
  std::ifstream table("/proc/net/tcp");
  std::string line;
  std::getline(table, line);  // the column names
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues;
    fields >> slot >> local >> remote >> state >> queues;
    const auto colon = local.find(':');
    if (colon == std::string::npos || state != "01") continue;  // 01: established
    if (std::stoul(local.substr(colon + 1), nullptr, 16) != port) continue;
    const std::size_t tx = std::stoull(queues.substr(0, queues.find(':')), nullptr, 16);
    out.total += tx;
    out.largest = std::max(out.largest, tx);
    ++out.sockets;
  }
  return out;
}

}  // namespace pollchat::testing
