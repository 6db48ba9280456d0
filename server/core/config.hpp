#pragma once
// Every limit and timeout of the server in one struct, read from flags and CHAT_* variables.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pollchat {

struct host_port {
  std::string host;
  std::uint16_t port = 0;
};

// "127.0.0.1:9000", "[::1]:9000", "localhost:0"; nullopt when malformed.
std::optional<host_port> parse_host_port(std::string_view text);

struct config {
  std::string listen = "127.0.0.1:9000";
  std::string tcp_listen;          // the TCP line room's HOST:PORT; empty: off
  unsigned threads = 1;
  std::size_t max_rooms = 1000;
  std::size_t history = 1000;
  // The message memory (docs/security.md): bytes of messages and Idempotency-Keys held in all,
  // and bytes of history one room retains.
  std::size_t max_history_bytes = std::size_t{128} << 20;
  std::size_t max_room_bytes = std::size_t{8} << 20;
  unsigned room_expiry = 600;  // seconds an empty room nobody names is kept
  std::size_t max_message = 4096;
  std::size_t max_body = 65536;
  unsigned poll_timeout = 30;      // seconds, when a GET names none
  unsigned max_poll_timeout = 55;  // seconds, the most a GET may ask for
  std::string token;               // empty: no authentication
  double post_rate = 10;           // posts a second per address; 0: unlimited
  double post_burst = 50;
  std::size_t max_connections = 10000;
  unsigned shutdown_grace = 5;  // seconds
  unsigned presence_grace = 10;  // seconds an HTTP member stays after its last poll ended
  unsigned idle_timeout = 60;   // seconds a keep-alive connection may wait for a request
  unsigned io_timeout = 10;     // seconds to receive a request's header, its body, or send a reply
  std::string data_dir;         // where messages are persisted (SQLite); empty: in memory
  std::string sync = "full";    // "full": survives power loss; "normal": survives kill -9
  std::string redis;            // redis://... shared by several instances; empty: no Redis
  std::string redis_prefix = "pollchat";  // the key prefix instances that share rooms agree on
  // Proxies whose Forwarded / X-Forwarded-For headers name the client: comma-separated
  // addresses and CIDR blocks; empty: trust no one. Checked by net/trusted_proxies (core has no
  // address parser), which names `trusted_proxies_origin` in its error.
  std::string trusted_proxies;
  std::string trusted_proxies_origin = "--trusted-proxies";  // or CHAT_TRUSTED_PROXIES
  bool access_log = false;
  bool healthcheck = false;  // run as a health probe of a running server, then exit
};

// The result of reading the command line: a config to run with, or something to print and an
// exit code (0 for --help, 2 for a usage error).
struct command_line {
  std::optional<config> settings;
  int exit_code = 0;
  std::string output;  // for stdout when exit_code is 0, else for stderr
};

// Reads flags, falling back to CHAT_<FLAG> environment variables, then defaults.
command_line parse_command_line(int argc, const char* const* argv);

}  // namespace pollchat
