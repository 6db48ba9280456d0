#include "poller-client/link_status.hpp"

#include <cstdio>
#include <ostream>

namespace pollchat::client {
namespace {

// "3.2"
std::string seconds_since(std::chrono::steady_clock::time_point start) {
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.1f", elapsed.count());
  return seconds;
}

}  // namespace

void link_status::lost(std::string_view why) {
  if (down_)
    return;
  down_ = true;
  down_since_ = std::chrono::steady_clock::now();
  if (!reached_) {
    err_ << "poller-client: cannot reach " << server_ << " (" << why << "); trying for "
         << connect_timeout_.count() << " s" << std::endl;
    return;
  }
  err_ << "poller-client: lost contact with " << server_ << " (" << why << "); reconnecting"
       << std::endl;
}

void link_status::restored() {
  if (!reached_) {
    heard();
    return;
  }
  if (!down_)
    return;
  down_ = false;
  err_ << "poller-client: reconnected to " << server_ << " after " << seconds_since(down_since_)
       << " s" << std::endl;
}

void link_status::heard() {
  if (reached_)
    return;
  reached_ = true;
  if (down_) {
    down_ = false;
    err_ << "poller-client: reached " << server_ << " after " << seconds_since(down_since_) << " s"
         << std::endl;
  }
}

void link_status::gave_up(std::string_view why) {
  err_ << "poller-client: cannot reach " << server_ << " (" << why << "); gave up after "
       << connect_timeout_.count() << " s (--connect-timeout)" << std::endl;
}

}  // namespace pollchat::client
