#pragma once
// What shutdown needs of every open connection, HTTP or TCP.

namespace pollchat {

class connection {
 public:
  connection() = default;
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  virtual ~connection() = default;

  // Shutdown (any thread): finish what must be finished, say goodbye, close soon.
  virtual void stop() = 0;
};

}  // namespace pollchat
