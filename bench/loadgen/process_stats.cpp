#include "process_stats.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace pollchat::bench {

std::optional<std::int64_t> rss_kib(const std::vector<int>& pids) {
  std::int64_t total = 0;
  for (int pid : pids) {
    std::ifstream status{"/proc/" + std::to_string(pid) + "/status"};
    std::string line;
    bool found = false;
    while (std::getline(status, line)) {
      if (line.starts_with("VmRSS:")) {
        std::istringstream fields{line.substr(6)};
        std::int64_t kib = 0;
        if (fields >> kib) {
          total += kib;
          found = true;
        }
        break;
      }
    }
    if (!found) {
      return std::nullopt;
    }
  }
  return total;
}

std::optional<double> process_cpu_seconds(const std::vector<int>& pids) {
  const auto ticks_per_s = static_cast<double>(sysconf(_SC_CLK_TCK));
  double total = 0;
  for (int pid : pids) {
    std::ifstream stat{"/proc/" + std::to_string(pid) + "/stat"};
    std::string text;
    std::getline(stat, text);
    // The command name (field 2) may hold spaces; the fields after its ')' are plain.
    const auto close = text.rfind(')');
    if (close == std::string::npos) {
      return std::nullopt;
    }
    std::istringstream fields{text.substr(close + 2)};
    std::string skip;
    // Fields 3..13 come before utime (14) and stime (15).
    for (int i = 3; i <= 13 && fields >> skip; ++i) {
    }
    double utime = 0;
    double stime = 0;
    if (!(fields >> utime >> stime)) {
      return std::nullopt;
    }
    total += (utime + stime) / ticks_per_s;
  }
  return total;
}

double self_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::uint64_t raise_open_files_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    return 0;
  }
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      lim = raised;
    }
  }
  return lim.rlim_cur;
}

}  // namespace pollchat::bench
