#include "net/overload_reply.hpp"

#include <array>
#include <atomic>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <fmt/format.h>
#include <memory>
#include <string>

#include "net/http_date.hpp"

namespace pollchat {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;

constexpr std::string_view overloaded_body =
    "{\"error\":\"overloaded\",\"message\":\"the server is at its connection limit; retry "
    "shortly\"}\n";
constexpr std::string_view healthy_body = "ok\n";

// The answer to an over-cap HTTP connection, built when its request line is known: a Date is
// due on every answer, and the answer to HEAD has no body.
std::string http_answer(bool healthz, bool head) {
  const std::string_view body = healthz ? healthy_body : overloaded_body;
  std::string out = fmt::format(
      "HTTP/1.1 {}\r\nDate: {}\r\nServer: pollchat\r\nContent-Type: {}\r\n"
      "Cache-Control: no-store\r\n{}Connection: close\r\nContent-Length: {}\r\n\r\n",
      healthz ? "200 OK" : "503 Service Unavailable", http_date_now(),
      healthz ? "text/plain; charset=utf-8" : "application/json",
      healthz ? "" : "Retry-After: 1\r\n", body.size());
  if (!head) {
    out += body;
  }
  return out;
}

// "GET /healthz HTTP/1.1" (or HEAD, a query, an absolute-form target): the health probe, which
// is answered whatever the cap, so that an orchestrator never restarts a busy server.
struct request_line {
  bool healthz = false;
  bool head = false;
};

request_line classify(std::string_view line) {
  request_line out;
  const auto space = line.find(' ');
  if (space == std::string_view::npos) {
    return out;
  }
  const std::string_view method = line.substr(0, space);
  std::string_view target = line.substr(space + 1);
  target = target.substr(0, target.find(' '));
  out.head = method == "HEAD";
  for (const std::string_view scheme : {"http://", "https://"}) {
    if (target.starts_with(scheme)) {  // absolute form: the path after the authority
      target.remove_prefix(scheme.size());
      const auto slash = target.find('/');
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    }
  }
  target = target.substr(0, target.find('?'));
  out.healthz = (method == "GET" || out.head) && target == "/healthz";
  return out;
}

constexpr std::string_view tcp_notice = "* the server is full; try again later\n";

// Over-cap connections being answered at once (each holds a descriptor for up to 2 s). Beyond
// this a connection is closed at once, unanswered: otherwise a client opening connections
// faster than they time out would hold descriptors without bound, past --max-connections.
constexpr int max_answering = 64;
std::atomic<int> answering{0};

// Takes a slot among max_answering; false: none is free (the socket is closed).
bool take_slot(asio::ip::tcp::socket& socket) {
  if (answering.fetch_add(1) >= max_answering) {
    answering.fetch_sub(1);
    beast::error_code ignored;
    socket.close(ignored);
    return false;
  }
  return true;
}

struct overloaded_connection : std::enable_shared_from_this<overloaded_connection> {
  // Takes over a slot take_slot() gave; gives it back when the answer is done.
  overloaded_connection(asio::ip::tcp::socket s, metrics* counters)
      : stream(std::move(s)), http_counters(counters) {}
  ~overloaded_connection() { answering.fetch_sub(1); }
  overloaded_connection(const overloaded_connection&) = delete;
  overloaded_connection& operator=(const overloaded_connection&) = delete;

  // A TCP client is told at once; an HTTP client once its request line has come, so that it
  // sees the answer instead of a reset.
  void start() {
    stream.expires_after(std::chrono::seconds(1));
    if (http_counters == nullptr) {
      answer = tcp_notice;
      send();
      return;
    }
    read_request_line();
  }

  // Reads until the request line is complete, or the scratch buffer is full, or 1 s passed.
  void read_request_line() {
    stream.async_read_some(asio::buffer(scratch.data() + received, scratch.size() - received),
                           [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                             self->received += n;
                             const std::string_view seen(self->scratch.data(), self->received);
                             if (!ec && seen.find("\r\n") == std::string_view::npos &&
                                 self->received < self->scratch.size()) {
                               self->read_request_line();
                               return;
                             }
                             self->answer_http(seen.substr(0, seen.find("\r\n")));
                           });
  }

  void answer_http(std::string_view line) {
    const request_line request = classify(line);
    http_counters->count_response(request.healthz ? 200 : 503);
    owned = http_answer(request.healthz, request.head);
    answer = owned;
    send();
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
  metrics* http_counters;   // null for a TCP line client
  std::string owned;        // an HTTP answer
  std::string_view answer;  // what is sent: `owned`, or the static TCP notice
  std::size_t received = 0;
  std::array<char, 2048> scratch{};  // the request line, then what is drained
};

}  // namespace

void reply_overloaded_http(asio::ip::tcp::socket socket, metrics& counters) {
  if (take_slot(socket)) {
    std::make_shared<overloaded_connection>(std::move(socket), &counters)->start();
  }
}

void reply_overloaded_tcp(asio::ip::tcp::socket socket) {
  if (take_slot(socket)) {
    std::make_shared<overloaded_connection>(std::move(socket), nullptr)->start();
  }
}

}  // namespace pollchat
