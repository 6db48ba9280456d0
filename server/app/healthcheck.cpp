#include "app/healthcheck.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <fmt/format.h>
#include <string>

namespace pollchat {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

constexpr auto probe_timeout = std::chrono::seconds(3);

// A wildcard listen address is probed on the loopback of the same family.
std::string probe_host(const std::string& host) {
  if (host == "0.0.0.0") return "127.0.0.1";
  if (host == "::") return "::1";
  return host;
}

// "Connection refused" -> "connection refused": the reason reads as the end of our sentence.
std::string reason(const boost::system::error_code& ec) {
  if (ec == beast::error::timeout) {
    return fmt::format("no answer within {} s", probe_timeout.count());
  }
  std::string text = ec.message();
  if (!text.empty()) {
    text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  }
  return text;
}

// Error codes, not exceptions: a failed probe is one plain line, never a source location.
asio::awaitable<std::string> probe(std::string host, std::string port, std::string where) {
  auto executor = co_await asio::this_coro::executor;
  boost::system::error_code ec;
  asio::ip::tcp::resolver resolver(executor);
  const auto endpoints =
      co_await resolver.async_resolve(host, port, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return fmt::format("cannot resolve {}: {}", host, reason(ec));
  }
  beast::tcp_stream stream(executor);
  stream.expires_after(probe_timeout);
  co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return fmt::format("cannot reach {}: {}", where, reason(ec));
  }
  http::request<http::empty_body> req{http::verb::get, "/healthz", 11};
  req.set(http::field::host, host);
  req.set(http::field::connection, "close");
  co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  if (!ec) {
    co_await http::async_read(stream, buffer, res, asio::redirect_error(asio::use_awaitable, ec));
  }
  if (ec) {
    co_return fmt::format("{} did not answer GET /healthz: {}", where, reason(ec));
  }
  if (res.result() != http::status::ok) {
    std::string body = res.body();
    while (!body.empty() && std::isspace(static_cast<unsigned char>(body.back()))) {
      body.pop_back();
    }
    co_return fmt::format("{} is not healthy: {} {}", where, res.result_int(),
                          body.substr(0, 200));
  }
  co_return std::string();
}

}  // namespace

int run_healthcheck(const config& settings) {
  const auto address = parse_host_port(settings.listen);  // validated by the config
  const std::string host = probe_host(address->host);
  const std::string port = std::to_string(address->port);
  const std::string where =
      (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
  asio::io_context ioc;
  std::string problem = "the probe did not finish";
  asio::co_spawn(ioc, probe(host, port, where),
                 [&](const std::exception_ptr& error, std::string result) {
                   problem = error ? "the probe failed unexpectedly" : std::move(result);
                 });
  ioc.run();
  if (!problem.empty()) {
    std::fprintf(stderr, "%s\n", problem.c_str());
    return 1;
  }
  return 0;
}

}  // namespace pollchat
