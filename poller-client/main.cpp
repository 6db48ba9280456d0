// poller-client: flags -> options, the input (a pipe, or a terminal with line editing), the TLS
// context for https, one io_context thread, the session, the exit code.

#include <boost/asio/io_context.hpp>
#include <exception>
#include <iostream>
#include <memory>
#include <optional>
#include <variant>

#include "poller-client/options.hpp"
#include "poller-client/pipe_lines.hpp"
#include "poller-client/session.hpp"
#include "poller-client/terminal_lines.hpp"
#include "poller-client/terminal_output.hpp"
#include "poller-client/tls_context.hpp"

int main(int argc, char** argv) {
  namespace client = pollchat::client;
  auto parsed = client::parse_options(argc, argv);
  if (const auto* early = std::get_if<client::early_exit>(&parsed)) {
    (early->code == 0 ? std::cout : std::cerr) << early->text;
    return early->code;
  }
  auto options = std::move(std::get<client::client_options>(parsed));
  try {
    std::shared_ptr<boost::asio::ssl::context> tls;
    if (options.server.tls) {
      std::string error;
      tls = client::make_tls_context(options.ca_file, error);
      if (!tls) {
        std::cerr << "poller-client: --ca-file " << options.ca_file << ": " << error << std::endl;
        return 2;
      }
    }
    boost::asio::io_context io{1};
    // Declared in this order so that they are destroyed in the reverse one: the session, then
    // the streams into the terminal, then the terminal itself (which gives it back as it was).
    std::unique_ptr<client::line_source> input;
    std::optional<client::terminal_output> out_buffer;
    std::optional<client::terminal_output> err_buffer;
    std::ostream out(std::cout.rdbuf());
    std::ostream err(std::cerr.rdbuf());
    err.setf(std::ios::unitbuf);  // as std::cerr, when nothing is being typed
    if (!options.no_input && client::terminal_lines::wanted()) {
      // Whole lines go above the line being typed: no unitbuf, each flush is a line.
      err.unsetf(std::ios::unitbuf);
      auto terminal = std::make_unique<client::terminal_lines>(io, err);
      out.rdbuf(&out_buffer.emplace(*terminal, *std::cout.rdbuf()));
      err.rdbuf(&err_buffer.emplace(*terminal, *std::cerr.rdbuf()));
      input = std::move(terminal);
    } else if (!options.no_input) {
      input = std::make_unique<client::pipe_lines>(io, err);
    }
    client::session session(io, std::move(options), out, err, std::move(tls), input.get());
    session.start();
    io.run();
    return session.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "poller-client: " << e.what() << std::endl;
    return 1;
  }
}
