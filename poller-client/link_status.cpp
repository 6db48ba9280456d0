#include "poller-client/link_status.hpp"

#include <cstdio>
#include <ostream>

namespace pollchat::client {

void link_status::lost(std::string_view why) {
  if (down_)
    return;
  down_ = true;
  down_since_ = std::chrono::steady_clock::now();
  err_ << "poller-client: lost contact with " << server_ << " (" << why << "); reconnecting"
       << std::endl;
}

void link_status::restored() {
  if (!down_)
    return;
  down_ = false;
  const std::chrono::duration<double> outage = std::chrono::steady_clock::now() - down_since_;
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.1f", outage.count());
  err_ << "poller-client: reconnected to " << server_ << " after " << seconds << " s" << std::endl;
}

}  // namespace pollchat::client
