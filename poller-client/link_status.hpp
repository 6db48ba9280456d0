#pragma once
// The stderr lines about the connection to the server. Before its first answer: one line when it
// cannot be reached (SPEC §7: not "lost contact", there never was any), one when it is reached at
// last, or one when the client gives up. After that: one line when contact is lost (not one per
// retry), one when it is back. Shared by the poll loop and the poster, so one outage is one line
// even when both notice it.

#include <chrono>
#include <iosfwd>
#include <string>
#include <string_view>

namespace pollchat::client {

class link_status {
 public:
  // `connect_timeout`: how long the client keeps trying before the first answer (for the line).
  link_status(std::ostream& err, std::string server,
              std::chrono::seconds connect_timeout = std::chrono::seconds(10))
      : err_(err), server_(std::move(server)), connect_timeout_(connect_timeout) {}

  // A request failed for a reason worth retrying.
  void lost(std::string_view why);
  // A request got an answer (any status) that ends an outage.
  void restored();
  // A request got an answer, maybe one that is an outage itself (a 503): the server is reached,
  // and from now on a failure is "lost contact".
  void heard();
  // The server was never reached within the connect timeout; `why` is the last failure.
  void gave_up(std::string_view why);

  bool down() const { return down_; }
  // True once the server has answered anything.
  bool reached() const { return reached_; }

 private:
  std::ostream& err_;
  std::string server_;
  std::chrono::seconds connect_timeout_;
  bool reached_ = false;
  bool down_ = false;
  std::chrono::steady_clock::time_point down_since_;
};

}  // namespace pollchat::client
