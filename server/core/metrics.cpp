#include "core/metrics.hpp"

#include <fmt/format.h>

namespace pollchat {

void metrics::count_response(unsigned status) {
  if (status < responses_.size()) {
    responses_[status].fetch_add(1, std::memory_order_relaxed);
  }
}

std::string metrics::render(const gauges& now) const {
  std::string out;
  const auto counter = [&](const char* name, const char* help, auto value) {
    out += fmt::format("# HELP {0} {1}\n# TYPE {0} counter\n{0} {2}\n", name, help, value);
  };
  const auto gauge = [&](const char* name, const char* help, auto value) {
    out += fmt::format("# HELP {0} {1}\n# TYPE {0} gauge\n{0} {2}\n", name, help, value);
  };
  counter("pollchat_posts_total", "Messages stored by POST.", posts_total.load());
  counter("pollchat_polls_total", "GET /chat requests answered or parked.", polls_total.load());
  counter("pollchat_deliveries_total", "Messages handed to readers.", deliveries_total.load());
  gauge("pollchat_polls_parked", "Long-polls parked now.", polls_parked.load());
  gauge("pollchat_connections_open", "Open connections (HTTP and TCP).", now.connections_open);
  gauge("pollchat_rooms", "Rooms that exist.", now.rooms);
  gauge("pollchat_tcp_clients", "Connected TCP line-room clients.", now.tcp_clients);
  out +=
      "# HELP pollchat_http_responses_total HTTP responses by status code.\n"
      "# TYPE pollchat_http_responses_total counter\n";
  for (std::size_t code = 100; code < responses_.size(); ++code) {
    if (const auto n = responses_[code].load(std::memory_order_relaxed); n != 0) {
      out += fmt::format("pollchat_http_responses_total{{code=\"{}\"}} {}\n", code, n);
    }
  }
  return out;
}

}  // namespace pollchat
