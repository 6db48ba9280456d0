#pragma once
// Debian's nginx as a TLS-terminating reverse proxy in front of a chat-server, for tests that
// need a real one (SPEC §10): a throw-away CA and a server certificate made with the openssl
// command, an nginx configuration of the kind docs/deploy.md recommends (TLS, proxy_buffering
// off, proxy_read_timeout 70s, HTTP/1.1 upstream keep-alive), all in a temporary directory;
// nginx runs in the foreground (`daemon off`, one process) on a free loopback port, and is
// stopped by its pid (SIGTERM, then SIGKILL) by stop() or the destructor, even when an assertion
// fails. Every wait is bounded.
//
// Not thread-safe: one test thread owns it.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace pollchat::testing {

class tls_proxy {
 public:
  struct settings {
    // The chat-server's port on 127.0.0.1.
    std::uint16_t upstream = 0;
    // The host name the server certificate is made for ("localhost" also gets 127.0.0.1).
    std::string certificate_host = "localhost";
    // "" publishes pollchat at "/"; "/chat-app" only under /chat-app/ (everything else 404).
    std::string prefix;
  };

  // Makes the certificates and starts nginx; check started() (and error()) before use.
  explicit tls_proxy(settings config);
  ~tls_proxy();  // stops nginx and removes the directory
  tls_proxy(const tls_proxy&) = delete;
  tls_proxy& operator=(const tls_proxy&) = delete;

  bool started() const { return pid_ > 0; }
  // Why it did not start (or the last start failed), with nginx's error log.
  const std::string& error() const { return error_; }

  std::uint16_t port() const { return port_; }
  // https://localhost:PORT followed by the prefix.
  std::string url() const;
  // The PEM file of the CA that signed the server certificate (for --ca-file).
  std::string ca_file() const { return dir_ + "/ca.pem"; }

  // Stops nginx (every TLS connection through it drops) / starts it again on the same port.
  void stop();
  bool start();

  // nginx's error log so far.
  std::string log() const;

 private:
  bool make_certificates();
  bool write_config();

  settings config_;
  std::string dir_;  // the temporary directory; "" when it could not be made
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::string error_;
};

}  // namespace pollchat::testing
