#pragma once
// Runs an io_context in short slices until a condition holds or the time is up: a test that
// drives asynchronous code on its own thread waits for an outcome, bounded (a hang fails, never
// blocks).

#include <boost/asio/io_context.hpp>
#include <chrono>

namespace pollchat::testing {

template <typename Done>
bool run_until(boost::asio::io_context& io, Done done,
               std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  using namespace std::chrono_literals;
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < until) {
    io.restart();
    io.run_for(10ms);
  }
  return done();
}

}  // namespace pollchat::testing
