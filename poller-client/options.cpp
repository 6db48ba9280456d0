#include "poller-client/options.hpp"

#include <CLI/CLI.hpp>
#include <boost/url/parse.hpp>
#include <charconv>
#include <cstdlib>

#include "common/names.hpp"  // the server's own rules for names and rooms

namespace pollchat::client {
namespace {

constexpr std::string_view default_url = "http://127.0.0.1:9000";

constexpr std::string_view footer = R"(Environment:
  CHAT_URL      the server URL when --url is not given
  CHAT_TOKEN    the bearer token when --token is not given (keeps it out of `ps`)
  USER          the default --name (else "anonymous")

Each line read from stdin is posted as a message; end of stdin or Ctrl-C leaves the room and
exits. Status lines (reconnecting, missed messages, a server restart) go to stderr.

Exit codes: 0 done, 1 unrecoverable (e.g. 401 from the server, with its message), 2 usage error.)";

std::optional<std::int64_t> parse_id(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0)
    return std::nullopt;
  return value;
}

}  // namespace

std::optional<server_url> parse_server_url(std::string_view text, std::string& error) {
  const auto fail = [&](std::string why) -> std::optional<server_url> {
    error = "--url " + std::string(text) + ": " + std::move(why);
    return std::nullopt;
  };
  const auto uri = boost::urls::parse_uri(text);
  if (!uri || !uri->has_authority())
    return fail("not a URL of the form http://HOST[:PORT]");
  if (uri->scheme() == "https")
    return fail(
        "https is not supported; poller-client speaks plain http (put it behind a "
        "TLS-terminating tunnel or proxy)");
  if (uri->scheme() != "http")
    return fail("only http:// URLs are supported");
  if (uri->has_userinfo())
    return fail("credentials in the URL are not supported; use --token");
  if (uri->has_query() || uri->has_fragment())
    return fail("a query or fragment is not allowed");
  if (uri->encoded_host().empty())
    return fail("no host");

  server_url url;
  url.text = std::string(text);
  url.host = uri->host_address();
  url.host_header = uri->encoded_host_and_port();
  url.port = uri->has_port() ? std::string(uri->port()) : "80";
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

  CLI::App app{"Reads and writes one pollchat room from a terminal.", "poller-client"};
  app.footer(std::string(footer));
  app.add_option("--url", url, "Server URL, http://HOST[:PORT][/PREFIX]; env CHAT_URL")
      ->envname("CHAT_URL")
      ->capture_default_str();
  app.add_option("--room", options.room, "Room to read and write ([A-Za-z0-9_.-], 1 to 64)")
      ->capture_default_str();
  app.add_option("--name", options.name, "Display name, 1 to 32 characters (default: $USER)");
  auto* last = app.add_option("--last", options.last,
                              "Start by showing the room's last N messages (0 to 1000)")
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
  app.add_option("--token", options.token, "Bearer token the server asks for; env CHAT_TOKEN")
      ->envname("CHAT_TOKEN");

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

  std::string error;
  auto server = parse_server_url(url, error);
  if (!server)
    return usage_error(error);
  options.server = std::move(*server);
  if (!is_valid_room_name(options.room))
    return usage_error("--room " + options.room + ": use 1 to 64 of A-Z a-z 0-9 _ . -");
  if (app.count("--name") == 0) {
    const char* user = std::getenv("USER");
    options.name = display_name(user != nullptr ? user : "").value_or("anonymous");
  } else if (auto name = display_name(options.name)) {
    options.name = std::move(*name);
  } else {
    return usage_error("--name: use 1 to 32 characters of UTF-8 without control characters");
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
