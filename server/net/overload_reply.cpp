#include "net/overload_reply.hpp"

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

constexpr std::string_view tcp_notice = "* the server is full; try again later\n";

struct overloaded_connection : std::enable_shared_from_this<overloaded_connection> {
  overloaded_connection(asio::ip::tcp::socket s, std::string_view reply)
      : stream(std::move(s)), answer(reply) {}

  void start(bool read_first) {
    stream.expires_after(std::chrono::seconds(1));
    if (!read_first) {
      send();
      return;
    }
    stream.async_read_some(asio::buffer(scratch),
                           [self = shared_from_this()](beast::error_code, std::size_t) { self->send(); });
  }

  void send() {
      stream.expires_after(std::chrono::seconds(1));
      asio::async_write(stream, asio::buffer(answer),
                        [self = shared_from_this()](beast::error_code ec, std::size_t) {
                          if (ec) {
                            self->stream.close();
                            return;
                          }
                          beast::error_code ignored;
                          self->stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
                          self->drain();
                        });
  }

  // Discards what the client still sends until it closes, for one second at most.
  void drain() {
    stream.async_read_some(asio::buffer(scratch), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) {
        self->stream.close();
        return;
      }
      self->drain();
    });
  }

  beast::tcp_stream stream;
  std::string_view answer;  // static storage
  std::array<char, 2048> scratch{};
};

}  // namespace

void reply_overloaded_http(asio::ip::tcp::socket socket, metrics& counters) {
  counters.count_response(503);
  std::make_shared<overloaded_connection>(std::move(socket), overloaded_response())->start(true);
}

void reply_overloaded_tcp(asio::ip::tcp::socket socket) {
  std::make_shared<overloaded_connection>(std::move(socket), tcp_notice)->start(false);
}

}  // namespace pollchat
