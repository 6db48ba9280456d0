#include "overload_reply.hpp"

#include <array>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <memory>
#include <string>

namespace pollchat {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;

const std::string& overloaded_response() {
  static const std::string response = [] {
    const std::string body =
        "{\"error\":\"overloaded\",\"message\":\"the server is at its connection limit; retry "
        "shortly\"}\n";
    return "HTTP/1.1 503 Service Unavailable\r\n"
           "Content-Type: application/json\r\n"
           "Cache-Control: no-store\r\n"
           "Retry-After: 1\r\n"
           "Connection: close\r\n"
           "Content-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  }();
  return response;
}

struct overloaded_connection : std::enable_shared_from_this<overloaded_connection> {
  explicit overloaded_connection(asio::ip::tcp::socket s) : stream(std::move(s)) {}

  // Reading the request first lets the client see the answer instead of a reset.
  void start() {
    stream.expires_after(std::chrono::seconds(1));
    stream.async_read_some(asio::buffer(scratch), [self = shared_from_this()](beast::error_code, std::size_t) {
      self->stream.expires_after(std::chrono::seconds(1));
      asio::async_write(self->stream, asio::buffer(overloaded_response()),
                        [self](beast::error_code, std::size_t) {
                          beast::error_code ignored;
                          self->stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
                          self->stream.close();
                        });
    });
  }

  beast::tcp_stream stream;
  std::array<char, 2048> scratch{};
};

}  // namespace

void reply_overloaded(asio::ip::tcp::socket socket, metrics& counters) {
  counters.count_response(503);
  std::make_shared<overloaded_connection>(std::move(socket))->start();
}

}  // namespace pollchat
