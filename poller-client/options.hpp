#pragma once
// poller-client's command line (SPEC §7): flags, their environment variables, and their checks.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace pollchat::client {

// Where the server is: --url http[s]://HOST[:PORT][/PREFIX].
struct server_url {
  std::string text;         // as given, for messages
  bool tls = false;         // https://
  std::string host;         // name or address, IPv6 without brackets
  std::string port;         // "80" (http) or "443" (https) when the URL names none
  std::string host_header;  // the URL's authority, for the Host header
  std::string prefix;       // path before /chat with no trailing '/': "" or e.g. "/pollchat"
};

struct client_options {
  server_url server;
  std::string room = "lobby";
  std::string name;  // never empty: --name, else $USER, else "anonymous"
  int last = 10;
  std::optional<std::int64_t> since;  // --since: an id, or 0 for "all"; empty: use --last
  int timeout = 30;                   // seconds a poll may park on the server
  bool json = false;
  bool no_input = false;
  std::optional<std::int64_t> count;
  std::string token;    // "" when none
  int connect_timeout = 10;  // seconds to keep trying until the server has answered once
  std::string ca_file;  // one more CA to trust for https ("" when none)
};

// What to do instead of running: --help or --version (code 0, text for stdout) or a usage error
// (code 2, text for stderr).
struct early_exit {
  int code = 0;
  std::string text;
};

// Reads argv and the environment (CHAT_URL, CHAT_TOKEN, CHAT_CONNECT_TIMEOUT, CHAT_CA_FILE, USER).
// An error about a value names where it came from: the flag, or the variable and its value.
std::variant<client_options, early_exit> parse_options(int argc, const char* const* argv);

// nullopt with `error` set when `text` is not an http:// or https:// URL this client can use.
// `origin` names where the text came from in the error: "--url" or "CHAT_URL".
std::optional<server_url> parse_server_url(std::string_view text, std::string& error,
                                           std::string_view origin = "--url");

}  // namespace pollchat::client
