#include "core/config.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fmt/format.h>
#include <vector>

#include "common/version.hpp"

namespace pollchat {

std::optional<host_port> parse_host_port(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {  // [v6]:port
    const auto close = text.find("]:");
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
      return std::nullopt;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (host.empty() || port.empty() || ec != std::errc{} || end != port.data() + port.size() ||
      value > 65535) {
    return std::nullopt;
  }
  return host_port{std::string(host), static_cast<std::uint16_t>(value)};
}

namespace {

// "--max-body" -> "CHAT_MAX_BODY": every flag has its variable, named by one rule.
std::string env_name(std::string_view flag) {
  std::string name = "CHAT_";
  for (const char c : flag.substr(2)) {
    name += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

template <typename T>
CLI::Option* add(CLI::App& app, const std::string& flag, T& value, const std::string& help) {
  return app.add_option(flag, value, help)->envname(env_name(flag))->capture_default_str();
}

CLI::Option* add_switch(CLI::App& app, const std::string& flag, bool& value,
                        const std::string& help) {
  return app.add_flag(flag, value, help)->envname(env_name(flag));
}

// Where each setting came from, so that an error names what the operator actually wrote: the
// flag when it was on the command line, else the environment variable that supplied the value.
class value_origin {
 public:
  value_origin(int argc, const char* const* argv) : args_(argv + 1, argv + argc) {}

  // "CHAT_HISTORY=lots" when the value came from the variable, nullopt when from the flag (or
  // the default).
  std::optional<std::string> variable(std::string_view flag) const {
    const std::string prefix = std::string(flag) + "=";
    for (const std::string& arg : args_) {
      if (arg == flag || arg.starts_with(prefix)) {
        return std::nullopt;  // on the command line, which wins over the variable
      }
    }
    const std::string name = env_name(flag);
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) {
      return std::nullopt;
    }
    return name + "=" + value;
  }

  // "--poll-timeout (40)" or "CHAT_POLL_TIMEOUT=40", for messages that compare two settings.
  template <typename T>
  std::string describe(std::string_view flag, const T& value) const {
    if (auto env = variable(flag)) {
      return *env;
    }
    return fmt::format("{} ({})", flag, value);
  }

  // "--listen: ..." or "CHAT_LISTEN=x: ...", for messages about one setting.
  std::string subject(std::string_view flag) const {
    return variable(flag).value_or(std::string(flag));
  }

 private:
  std::vector<std::string> args_;
};

// CLI11 names the flag in its messages ("--history: Value lots not in range ..."). When the
// value came from the environment, the flag was never typed: name the variable and its value.
std::string name_the_source(std::string message, const CLI::App& app, const value_origin& origin) {
  for (const CLI::Option* option : app.get_options()) {
    for (const std::string& name : option->get_lnames()) {
      const std::string flag = "--" + name;
      const auto env = origin.variable(flag);
      if (!env) {
        continue;
      }
      // Whole flag names only: "--max-poll-timeout" must not match "--poll-timeout".
      for (std::size_t at = message.find(flag); at != std::string::npos;
           at = message.find(flag, at + 1)) {
        const std::size_t end = at + flag.size();
        const bool starts_word = at == 0 || message[at - 1] == ' ';
        const bool ends_word = end == message.size() ||
                               !(std::isalnum(static_cast<unsigned char>(message[end])) ||
                                 message[end] == '-');
        if (starts_word && ends_word) {
          message.replace(at, flag.size(), *env);
          at += env->size() - 1;
        }
      }
      // "Could not convert: CHAT_ACCESS_LOG=maybe = maybe": the value is said once already.
      const std::string value = env->substr(env->find('=') + 1);
      if (const auto twice = message.find(*env + " = " + value); twice != std::string::npos) {
        message.erase(twice + env->size(), 3 + value.size());
      }
    }
  }
  return message;
}

// Where a flag's value came from, for an error about it: the flag when the command line has
// it, else its environment variable (CLI11 reads the variable only when the flag is absent).
std::string origin_of(const std::string& flag, int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == flag || (arg.starts_with(flag) && arg.substr(flag.size()).starts_with('='))) {
      return flag;
    }
  }
  return env_name(flag);
}

// Checks between flags that CLI11 validators cannot express; returns an error or "".
std::string cross_check(const config& c, const value_origin& origin) {
  if (!parse_host_port(c.listen)) {
    return fmt::format("{}: '{}' is not HOST:PORT (e.g. 127.0.0.1:9000 or [::1]:9000)",
                       origin.subject("--listen"), c.listen);
  }
  if (!c.tcp_listen.empty() && !parse_host_port(c.tcp_listen)) {
    return fmt::format("{}: '{}' is not HOST:PORT (e.g. 127.0.0.1:8080)",
                       origin.subject("--tcp-listen"), c.tcp_listen);
  }
  if (c.poll_timeout > c.max_poll_timeout) {
    return fmt::format("{} cannot exceed {}", origin.describe("--poll-timeout", c.poll_timeout),
                       origin.describe("--max-poll-timeout", c.max_poll_timeout));
  }
  if (!c.redis.empty() && !c.data_dir.empty()) {
    return "--redis and --data-dir exclude each other: with Redis, messages are kept in Redis "
           "(see docs/scale-out.md)";
  }
  if (c.max_room_bytes > c.max_history_bytes) {
    return fmt::format("--max-room-bytes ({}) cannot exceed --max-history-bytes ({})",
                       c.max_room_bytes, c.max_history_bytes);
  }
  if (c.max_message > c.max_body) {
    return fmt::format("{} cannot exceed {}", origin.describe("--max-message", c.max_message),
                       origin.describe("--max-body", c.max_body));
  }
  return {};
}

}  // namespace

command_line parse_command_line(int argc, const char* const* argv) {
  config c;
  CLI::App app{"pollchat chat-server: chat rooms over HTTP long-polling.\n"
               "Every flag can also be set by the environment variable shown with it; a flag on "
               "the command line wins.",
               "chat-server"};
  app.get_formatter()->column_width(34);

  add(app, "--listen", c.listen, "HOST:PORT to serve HTTP on (port 0: any free port)");
  add(app, "--tcp-listen", c.tcp_listen,
      "HOST:PORT for the TCP line room (nc, telnet); empty: off");
  add(app, "--threads", c.threads, "I/O threads")->check(CLI::Range(1u, 256u));
  add(app, "--max-rooms", c.max_rooms, "Most rooms that may exist, lobby included")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}));
  add(app, "--history", c.history, "Messages each room keeps")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}));
  add(app, "--max-history-bytes", c.max_history_bytes,
      "Bytes of messages kept in all rooms together (histories, Idempotency-Keys, answers being "
      "sent); past it the largest rooms drop their oldest messages. With the defaults the server "
      "stays under ~256 MiB RSS (docs/security.md)")
      ->check(CLI::Range(std::size_t{1} << 20, std::size_t{1} << 40));
  add(app, "--max-room-bytes", c.max_room_bytes,
      "Bytes of history one room keeps; past it its oldest messages are dropped")
      ->check(CLI::Range(std::size_t{64} << 10, std::size_t{1} << 40));
  add(app, "--room-expiry", c.room_expiry,
      "Seconds a room that never had a message, with nobody in it, is kept after it was last "
      "named")
      ->check(CLI::Range(1u, 1000000u));
  add(app, "--max-message", c.max_message, "Largest message body, in bytes")
      ->check(CLI::Range(std::size_t{1}, std::size_t{16} << 20));
  add(app, "--max-body", c.max_body, "Largest request body, in bytes")
      ->check(CLI::Range(std::size_t{1}, std::size_t{64} << 20));
  add(app, "--poll-timeout", c.poll_timeout, "Seconds a GET waits when it names no timeout")
      ->check(CLI::Range(0u, 3600u));
  add(app, "--max-poll-timeout", c.max_poll_timeout, "Most seconds a GET may ask to wait")
      ->check(CLI::Range(0u, 3600u));
  add(app, "--token", c.token, "Require 'Authorization: Bearer TOKEN' on every request")
      ->capture_default_str();
  add(app, "--post-rate", c.post_rate,
      "Posts a second per client address (an IPv6 /64 is one address; creating a room or "
      "joining one costs a post too; 0: no limit)")
      ->check(CLI::Range(0.0, 1e9));
  add(app, "--post-burst", c.post_burst, "Posts a client address may make at once")
      ->check(CLI::Range(1.0, 1e9));
  add(app, "--max-connections", c.max_connections, "Most open connections")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}));
  add(app, "--presence-grace", c.presence_grace,
      "Seconds an HTTP reader stays a member after its last poll")
      ->check(CLI::Range(1u, 3600u));
  add(app, "--shutdown-grace", c.shutdown_grace, "Seconds to drain on SIGTERM/SIGINT")
      ->check(CLI::Range(0u, 3600u));
  add(app, "--idle-timeout", c.idle_timeout, "Seconds a keep-alive connection may sit idle")
      ->check(CLI::Range(1u, 3600u));
  add(app, "--io-timeout", c.io_timeout,
      "Seconds to receive a request's header or body, or to send a response")
      ->check(CLI::Range(1u, 3600u));
  add(app, "--data-dir", c.data_dir,
      "Directory to keep rooms and messages in (SQLite), created when missing; empty: in memory");
  add(app, "--sync", c.sync,
      "With --data-dir: 'full' survives power loss, 'normal' survives a crash of the process")
      ->check(CLI::IsMember({"full", "normal"}));
  add(app, "--redis", c.redis,
      "redis://[[user]:password@]host[:port][/db] shared by several instances; empty: none");
  add(app, "--redis-prefix", c.redis_prefix,
      "Key prefix in Redis: instances with the same --redis and prefix share their rooms");
  add(app, "--trusted-proxies", c.trusted_proxies,
      "Proxies (addresses, CIDR blocks; comma-separated) whose Forwarded or X-Forwarded-For "
      "names the client; empty: trust no one");
  add_switch(app, "--access-log", c.access_log, "Log one line per request");
  // Actions, not settings: no environment variable, so that a CHAT_* file shared with a
  // container or a unit can never turn a server into a probe.
  app.add_flag("--healthcheck", c.healthcheck,
               "Probe GET /healthz of the server at --listen and exit 0 if it is healthy");
  app.set_version_flag("--version", version_line("chat-server"),
                       "Print the version and the commit it was built from, and exit");

  const value_origin origin(argc, argv);
  command_line result;
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    result.output = app.help();
    return result;
  } catch (const CLI::CallForVersion& e) {
    result.output = std::string(e.what()) + "\n";
    return result;
  } catch (const CLI::ParseError& e) {
    result.exit_code = 2;
    result.output = fmt::format("chat-server: {}\nRun 'chat-server --help' for the flags.\n",
                                name_the_source(e.what(), app, origin));
    return result;
  }
  if (const std::string problem = cross_check(c, origin); !problem.empty()) {
    result.exit_code = 2;
    result.output = fmt::format("chat-server: {}\n", problem);
    return result;
  }
  if (!c.trusted_proxies.empty()) {
    c.trusted_proxies_origin = origin_of("--trusted-proxies", argc, argv);
  }
  result.settings = std::move(c);
  return result;
}

}  // namespace pollchat
