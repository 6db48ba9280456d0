// poller-client: flags -> options, one io_context thread, the session, the exit code.

#include <boost/asio/io_context.hpp>
#include <exception>
#include <iostream>
#include <variant>

#include "poller-client/options.hpp"
#include "poller-client/session.hpp"

int main(int argc, char** argv) {
  namespace client = pollchat::client;
  auto parsed = client::parse_options(argc, argv);
  if (const auto* early = std::get_if<client::early_exit>(&parsed)) {
    (early->code == 0 ? std::cout : std::cerr) << early->text;
    return early->code;
  }
  try {
    boost::asio::io_context io{1};
    client::session session(io, std::move(std::get<client::client_options>(parsed)), std::cout,
                            std::cerr);
    session.start();
    io.run();
    return session.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "poller-client: " << e.what() << std::endl;
    return 1;
  }
}
