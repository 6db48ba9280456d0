#pragma once
// The load generator's command line: every flag, its default and its allowed range.

#include <string>
#include <variant>
#include <vector>

namespace pollchat::bench {

struct options {
  std::string scenario;                       // park | fanout | post
  std::string target = "pollchat";            // pollchat | nchan
  std::string url = "http://127.0.0.1:9000";  // loopback only
  std::string post_url;                       // posters' server; empty: --url
  std::string room;                           // default: a fresh name per run
  std::vector<int> server_pids;               // for RSS and CPU readings
  int pollers = 1000;                         // park, fanout
  int posters = 50;                           // post
  int post_connections = 4;                   // fanout: connections the scheduled poster uses
  double rate = 20;                           // fanout: messages per second
  double duration_s = 10;                     // fanout: posting time; post: measuring time
  int messages = 0;                           // fanout: exact message count (0: rate x duration)
  double settle_s = 1.0;                      // park: wait after the last poll is sent
  double drain_s = 5.0;                       // fanout: longest wait for stragglers
  int poll_timeout_s = 30;                    // pollchat `timeout` per poll
  int io_timeout_s = 60;                      // deadline of one connect, write or read
  int connect_concurrency = 256;              // connects in flight at once
  double max_seconds = 300;                   // hard limit on the whole run
  int cdf_points = 50;                        // points of the latency CDF in the report
  bool expect_clean = false;                  // exit 1 unless nothing was lost, doubled or failed
};

// Result of parsing: the options, or the exit code to leave with (0 after --help, 2 on a
// usage error, the message already printed).
std::variant<options, int> parse_options(int argc, char** argv);

}  // namespace pollchat::bench
