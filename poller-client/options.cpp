#include "poller-client/options.hpp"

#include <CLI/CLI.hpp>
#include <boost/url/parse.hpp>
#include <charconv>
#include <cstdlib>

#include "common/names.hpp"  // the server's own rules for names and rooms
#include "common/version.hpp"
#include "poller-client/tls_context.hpp"

namespace pollchat::client {
namespace {

constexpr std::string_view default_url = "http://127.0.0.1:9000";

constexpr std::string_view footer = R"(Environment (a flag given on the command line wins):
  CHAT_URL              the server URL when --url is not given
  CHAT_TOKEN            the bearer token when --token is not given (keeps it out of `ps`)
  CHAT_CONNECT_TIMEOUT  --connect-timeout
  CHAT_CA_FILE          --ca-file
  USER                  the default --name (else "anonymous")

Each line read from stdin is posted as a message; end of stdin (Ctrl-D) or Ctrl-C leaves the
room and exits. In a terminal, lines are edited with GNU readline (arrow keys for history) and
messages that arrive while you type are shown above your line. Status lines (cannot reach,
reconnecting, missed messages, a server restart) go to stderr.

Exit codes: 0 done, 1 unrecoverable (the server unreachable for --connect-timeout at the start,
a certificate that fails verification, a refusal such as 401, with the reason), 2 usage error.)";

constexpr int max_connect_timeout = 3600;

std::optional<std::int64_t> parse_id(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0)
    return std::nullopt;
  return value;
}

// "--flag VALUE" or "CHAT_VARIABLE=VALUE": where a bad value came from, for its error.
std::string origin_of(std::string_view origin, std::string_view value) {
  const bool variable = !origin.starts_with("--");
  return std::string(origin) + (variable ? "=" : " ") + std::string(value);
}

// The value of a flag that has a variable: the flag's when given, else the variable's (an empty
// variable counts as unset); `origin` says which, for error messages.
std::optional<std::string> flag_or_variable(const CLI::App& app, const std::string& flag,
                                            const std::string& given, const char* variable,
                                            std::string& origin) {
  if (app.count(flag) != 0) {
    origin = flag;
    return given;
  }
  const char* value = std::getenv(variable);
  if (value == nullptr || *value == '\0')
    return std::nullopt;
  origin = variable;
  return std::string(value);
}

}  // namespace

std::optional<server_url> parse_server_url(std::string_view text, std::string& error,
                                           std::string_view origin) {
  const auto fail = [&](std::string why) -> std::optional<server_url> {
    error = origin_of(origin, text) + ": " + std::move(why);
    return std::nullopt;
  };
  const auto uri = boost::urls::parse_uri(text);
  if (!uri || !uri->has_authority())
    return fail("not a URL of the form http[s]://HOST[:PORT][/PREFIX]");
  if (uri->scheme() != "http" && uri->scheme() != "https")
    return fail("only http:// and https:// URLs are supported");
  if (uri->has_userinfo())
    return fail("credentials in the URL are not supported; use --token");
  if (uri->has_query() || uri->has_fragment())
    return fail("a query or fragment is not allowed");
  if (uri->encoded_host().empty())
    return fail("no host");

  server_url url;
  url.text = std::string(text);
  url.tls = uri->scheme() == "https";
  url.host = uri->host_address();
  url.host_header = uri->encoded_host_and_port();
  url.port = uri->has_port() ? std::string(uri->port()) : url.tls ? "443" : "80";
  const auto port = parse_id(url.port);
  if (!port || *port < 1 || *port > 65535)
    return fail("the port must be 1 to 65535");
  url.prefix = uri->encoded_path();
  while (!url.prefix.empty() && url.prefix.back() == '/')
    url.prefix.pop_back();
  return url;
}

std::variant<client_options, early_exit> parse_options(int argc, const char* const* argv) {
  client_options options;
  std::string url(default_url);
  std::string since;
  std::int64_t count = 0;
  std::string connect_timeout = std::to_string(options.connect_timeout);

  CLI::App app{"Reads and writes one pollchat room from a terminal.", "poller-client"};
  app.footer(std::string(footer));
  // The variables are read after parsing, not by CLI11, so that an error about a value that came
  // from one names the variable rather than a flag nobody typed.
  app.add_option("--url", url,
                 "Server URL, http[s]://HOST[:PORT][/PREFIX]; env CHAT_URL")
      ->capture_default_str();
  app.add_option("--room", options.room, "Room to read and write ([A-Za-z0-9_.-], 1 to 64)")
      ->capture_default_str();
  app.add_option("--name", options.name, "Display name, 1 to 32 characters (default: $USER)");
  auto* last = app.add_option("--last", options.last,
                              "Start with the room's last N messages (0 to 1000; joins and "
                              "leaves after the first of them are shown too)")
                   ->check(CLI::Range(0, 1000))
                   ->capture_default_str();
  app.add_option("--since", since,
                 "Start after message ID instead, or 'all' for everything the server keeps")
      ->excludes(last);
  app.add_option("--timeout", options.timeout,
                 "Seconds each poll may wait on the server (1 to 3600; the server caps it, "
                 "by default at 55)")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  app.add_flag("--json", options.json, "Print each message object as one JSON line");
  app.add_flag("--no-input", options.no_input, "Only read: do not post stdin lines");
  app.add_option("--count", count, "Exit after showing N messages of type \"message\"")
      ->check(CLI::PositiveNumber);
  app.add_option("--token", options.token, "Bearer token the server asks for; env CHAT_TOKEN");
  app.add_option("--connect-timeout", connect_timeout,
                 "Seconds to keep trying to reach the server before it has answered once, "
                 "then exit 1 (0 to 3600); env CHAT_CONNECT_TIMEOUT")
      ->type_name("SECONDS")
      ->capture_default_str();
  app.add_option("--ca-file", options.ca_file,
                 "PEM file of one more CA to trust for https (a self-signed deployment); "
                 "env CHAT_CA_FILE")
      ->type_name("PATH");
  // An action, not a setting: no variable (SPEC §6).
  app.add_flag("--version")->description(
      "Print the version and the commit it was built from, and exit");

  const auto usage_error = [](const std::string& what) {
    return early_exit{2, "poller-client: " + what + "\nRun with --help for more information.\n"};
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    return early_exit{0, app.help()};
  } catch (const CLI::ParseError& e) {
    return usage_error(e.what());
  }
  if (app.count("--version") != 0) {
    return early_exit{0, version_line("poller-client") + "\n"};
  }

  std::string origin;
  std::string error;
  origin = "--url";
  url = flag_or_variable(app, "--url", url, "CHAT_URL", origin).value_or(url);
  auto server = parse_server_url(url, error, origin);
  if (!server)
    return usage_error(error);
  options.server = std::move(*server);
  if (auto token = flag_or_variable(app, "--token", options.token, "CHAT_TOKEN", origin))
    options.token = std::move(*token);
  if (auto seconds = flag_or_variable(app, "--connect-timeout", connect_timeout,
                                      "CHAT_CONNECT_TIMEOUT", origin)) {
    const auto value = parse_id(*seconds);
    if (!value || *value > max_connect_timeout) {
      return usage_error(origin_of(origin, *seconds) + ": use a whole number of seconds, 0 to " +
                         std::to_string(max_connect_timeout));
    }
    options.connect_timeout = static_cast<int>(*value);
  }
  if (auto ca_file = flag_or_variable(app, "--ca-file", options.ca_file, "CHAT_CA_FILE", origin)) {
    // Checked now, so that a typo is a usage error and not a certificate failure later.
    if (!make_tls_context(*ca_file, error))
      return usage_error(origin_of(origin, *ca_file) + ": " + error);
    options.ca_file = std::move(*ca_file);
  }
  if (!is_valid_room_name(options.room))
    return usage_error("--room " + options.room + ": use 1 to 64 of A-Z a-z 0-9 _ . -");
  if (app.count("--name") == 0) {
    const char* user = std::getenv("USER");
    options.name = display_name(user != nullptr ? user : "").value_or("anonymous");
  } else if (auto name = display_name(options.name)) {
    options.name = std::move(*name);
  } else {
    return usage_error("--name: use 1 to 32 characters of UTF-8 without control, bidi or zero-width characters");
  }
  if (app.count("--since") != 0) {
    options.since = since == "all" ? std::optional<std::int64_t>(0) : parse_id(since);
    if (!options.since)
      return usage_error("--since " + since + ": use a message id or 'all'");
  }
  if (app.count("--count") != 0)
    options.count = count;
  return options;
}

}  // namespace pollchat::client
