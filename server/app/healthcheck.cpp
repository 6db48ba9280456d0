#include "app/healthcheck.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <exception>
#include <fmt/format.h>
#include <string>

namespace pollchat {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// A wildcard listen address is probed on the loopback of the same family.
std::string probe_host(const std::string& host) {
  if (host == "0.0.0.0") return "127.0.0.1";
  if (host == "::") return "::1";
  return host;
}

asio::awaitable<unsigned> probe(std::string host, std::string port) {
  auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  beast::tcp_stream stream(executor);
  stream.expires_after(std::chrono::seconds(3));
  co_await stream.async_connect(co_await resolver.async_resolve(host, port, asio::use_awaitable),
                                asio::use_awaitable);
  http::request<http::empty_body> req{http::verb::get, "/healthz", 11};
  req.set(http::field::host, host);
  req.set(http::field::connection, "close");
  co_await http::async_write(stream, req, asio::use_awaitable);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  co_await http::async_read(stream, buffer, res, asio::use_awaitable);
  co_return res.result_int();
}

}  // namespace

int run_healthcheck(const config& settings) {
  const auto where = parse_host_port(settings.listen);
  asio::io_context ioc;
  int exit_code = 1;
  asio::co_spawn(ioc, probe(probe_host(where->host), std::to_string(where->port)),
                 [&](std::exception_ptr error, unsigned status) {
                   if (error) {
                     try {
                       std::rethrow_exception(error);
                     } catch (const std::exception& e) {
                       std::fprintf(stderr, "healthcheck: %s: %s\n", settings.listen.c_str(), e.what());
                     }
                     return;
                   }
                   if (status == 200) {
                     exit_code = 0;
                   } else {
                     std::fprintf(stderr, "healthcheck: %s answered %u\n", settings.listen.c_str(), status);
                   }
                 });
  ioc.run();
  return exit_code;
}

}  // namespace pollchat
