#include "server_url.hpp"

#include <boost/url/parse.hpp>
#include <charconv>

namespace pollchat::bench {

std::variant<server_address, std::string> parse_server_url(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) {
    return "--url " + url + ": not a URL (" + parsed.error().message() + ")";
  }
  if (parsed->scheme() != "http") {
    return "--url " + url + ": only http:// is supported";
  }
  if (!parsed->has_port() || parsed->port().empty()) {
    return "--url " + url + ": give the port, e.g. http://127.0.0.1:9000";
  }
  if (!parsed->encoded_path().empty() && parsed->encoded_path() != "/") {
    return "--url " + url + ": give only scheme, host and port";
  }
  std::string host = parsed->host_address();
  if (host == "localhost") {
    host = "127.0.0.1";
  }
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(host, ec);
  if (ec || !address.is_loopback()) {
    return "--url " + url + ": the host must be a loopback address (127.0.0.0/8 or ::1)";
  }
  const auto port = parsed->port_number();
  if (port == 0) {
    return "--url " + url + ": the port must be 1 to 65535";
  }
  std::string host_header = std::string{parsed->encoded_host_and_port()};
  const boost::asio::ip::tcp::endpoint endpoint{address, port};
  return server_address{endpoint, host_header, endpoint};
}

}  // namespace pollchat::bench
