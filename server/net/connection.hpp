#pragma once
// What shutdown and the deadline sweep need of every open connection, HTTP or TCP.

#include <chrono>

namespace pollchat {

class connection {
 public:
  connection() = default;
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  virtual ~connection() = default;

  // Shutdown (any thread): finish what must be finished, say goodbye, close soon.
  virtual void stop() = 0;

  // The sweep, a few times a second (any thread): a connection past its deadline closes. Only
  // connections that keep a `deadline` override it; the others time their I/O themselves.
  virtual void check_deadline(std::chrono::steady_clock::time_point /*now*/) {}
};

}  // namespace pollchat
