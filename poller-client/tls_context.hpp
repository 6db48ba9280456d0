#pragma once
// What https:// needs (SPEC §10): the one TLS client context the connections share, and the
// reading of a handshake that failed. Certificates are verified against the system's trust
// store, plus one more CA from --ca-file; there is deliberately no way to turn verification off.

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>
#include <memory>
#include <string>

namespace pollchat::client {

// A TLS client context: TLS 1.2 or newer, peer verification on, the system trust store, and the
// CAs of the PEM file `ca_file` when it is not "". nullptr with `error` set (what is wrong with
// the file) when that file cannot be read or holds no certificate.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const std::string& ca_file,
                                                            std::string& error);

// Prepares one connection's TLS session for `host`: SNI (for a name, not an address, as RFC 6066
// says) and the check that the certificate names `host`. False when OpenSSL refuses.
bool expect_host(SSL* ssl, const std::string& host);

// The reason a handshake failed when the server's certificate did not verify, e.g.
// "certificate verify failed: unable to get local issuer certificate" or
// "certificate verify failed: hostname mismatch"; "" for any other failure (a network error,
// which is worth retrying, unlike a certificate that will not verify the next time either).
std::string certificate_failure(const boost::system::error_code& error, const SSL* ssl);

}  // namespace pollchat::client
