#pragma once
// Resource readings: the server's memory and CPU from /proc, the load generator's own CPU from
// getrusage (so a figure limited by the client is called out), and the open-files limit.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pollchat::bench {

// Sum of VmRSS over pids in KiB; nullopt when any pid cannot be read.
std::optional<std::int64_t> rss_kib(const std::vector<int>& pids);
// Sum of user+system CPU seconds over pids; nullopt when any pid cannot be read.
std::optional<double> process_cpu_seconds(const std::vector<int>& pids);
// This process's user+system CPU seconds.
double self_cpu_seconds();
// Raises the soft open-files limit to the hard one; returns the soft limit now in force.
std::uint64_t raise_open_files_limit();

}  // namespace pollchat::bench
