#pragma once
// A deliberately low-level HTTP client for integration tests: a blocking socket with poll()
// deadlines, raw bytes out (so tests can pipeline, send HTTP/1.0, half a header, or garbage),
// and responses parsed by Beast. Every wait is bounded.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pollchat::testing {

using http_response = boost::beast::http::response<boost::beast::http::string_body>;
using header_list = std::vector<std::pair<std::string, std::string>>;

// "METHOD target HTTP/1.1" with Host, the headers, and Content-Length when there is a body.
std::string make_request(std::string_view method, std::string_view target,
                         const header_list& headers = {}, std::string_view body = {},
                         std::string_view version = "HTTP/1.1");

class test_connection {
 public:
  explicit test_connection(std::uint16_t port);
  ~test_connection();
  test_connection(const test_connection&) = delete;
  test_connection& operator=(const test_connection&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool send(std::string_view bytes);

  // Reads one whole response; nullopt on timeout, close or garbage. `to_head`: the answer to a
  // HEAD request, which has no body whatever its Content-Length says.
  std::optional<http_response> read_response(
      std::chrono::milliseconds timeout = std::chrono::seconds(10), bool to_head = false);

  // One line without its '\n'; nullopt on timeout or close. For the TCP line room.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // True when the server closes the connection within the timeout (bytes it sends meanwhile
  // are discarded).
  bool wait_closed(std::chrono::milliseconds timeout);

  // Shuts the connection down abruptly (RST), as a vanished client would.
  void reset();
  void close();

  // Shrinks the receive buffer before anything is read (a client that will not keep up).
  void shrink_receive_buffer(int bytes);

 private:
  bool fill(std::chrono::steady_clock::time_point deadline);  // reads more into pending_

  int fd_ = -1;
  std::string pending_;
  bool eof_ = false;
};

// One request on a fresh connection.
std::optional<http_response> request_once(std::uint16_t port, std::string_view method,
                                          std::string_view target, const header_list& headers = {},
                                          std::string_view body = {},
                                          std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Runs a shell command; its stdout and exit status.
struct command_result {
  int status = -1;
  std::string out;
};
command_result run_command(const std::string& command);

}  // namespace pollchat::testing
