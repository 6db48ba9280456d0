#include "poller-client/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace pollchat::client {

namespace asio = boost::asio;

std::shared_ptr<asio::ssl::context> make_tls_context(const std::string& ca_file,
                                                     std::string& error) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1);
  context->set_verify_mode(asio::ssl::verify_peer);
  boost::system::error_code ec;
  // A machine without a trust store still works with --ca-file; without either, every
  // handshake fails verification and says so.
  context->set_default_verify_paths(ec);
  if (!ca_file.empty()) {
    // Say what is wrong with the file in the user's words before OpenSSL says it in its own.
    std::ifstream probe(ca_file);
    if (!probe) {
      error = std::string("cannot read it (") + std::strerror(errno) + ")";
      return nullptr;
    }
    context->load_verify_file(ca_file, ec);
    if (ec) {
      error = "no PEM certificate in it (" + ec.message() + ")";
      return nullptr;
    }
  }
  return context;
}

bool expect_host(SSL* ssl, const std::string& host) {
  boost::system::error_code not_an_address;
  asio::ip::make_address(host, not_an_address);
  const bool is_name = static_cast<bool>(not_an_address);
  // SNI names the virtual host a proxy should answer for; an address is never sent as SNI.
  // (SSL_set_tlsext_host_name() spelled out: the macro casts in C style.)
  if (is_name && SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                          const_cast<char*>(host.c_str())) != 1)
    return false;
  // OpenSSL's own check during verification (rather than a verify callback, such as Asio's
  // host_name_verification, which can only say "no"): a mismatch is then reported as
  // X509_V_ERR_HOSTNAME_MISMATCH, "hostname mismatch", and not as a bare verify failure.
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  return is_name ? X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size()) == 1
                 : X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1;
}

std::string certificate_failure(const boost::system::error_code& error, const SSL* ssl) {
  if (error.category() != asio::error::get_ssl_category() ||
      ERR_GET_REASON(static_cast<unsigned long>(error.value())) != SSL_R_CERTIFICATE_VERIFY_FAILED)
    return {};
  const long result = ssl != nullptr ? SSL_get_verify_result(ssl) : X509_V_OK;
  return std::string("certificate verify failed: ") + X509_verify_cert_error_string(result);
}

}  // namespace pollchat::client
