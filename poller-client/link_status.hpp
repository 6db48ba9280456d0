#pragma once
// The stderr line of an outage: one when contact with the server is lost (not one per retry),
// one when it is back. Shared by the poll loop and the poster, so one outage is one line even
// when both notice it.

#include <chrono>
#include <iosfwd>
#include <string>
#include <string_view>

namespace pollchat::client {

class link_status {
 public:
  link_status(std::ostream& err, std::string server) : err_(err), server_(std::move(server)) {}

  // A request failed for a reason worth retrying.
  void lost(std::string_view why);
  // A request got an answer.
  void restored();

  bool down() const { return down_; }

 private:
  std::ostream& err_;
  std::string server_;
  bool down_ = false;
  std::chrono::steady_clock::time_point down_since_;
};

}  // namespace pollchat::client
