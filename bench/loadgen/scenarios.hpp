#pragma once
// The three benchmark scenarios. Each runs to completion on the calling thread, bounded by
// --max-seconds, and returns its report as one JSON object.

#include <nlohmann/json.hpp>

#include "options.hpp"
#include "scenario_support.hpp"

namespace pollchat::bench {

// N parked long-polls: server RSS per parked poll, then one post and the time until all N
// readers have it.
nlohmann::json run_park(const options& o, const server_address& addr);
// N readers re-polling with cursors while one schedule posts at a fixed rate: deliveries per
// second, latency, missed and duplicates.
nlohmann::json run_fanout(const options& o, const server_address& addr);
// Keep-alive posters back to back, no readers: posts per second and post latency.
nlohmann::json run_post(const options& o, const server_address& addr);

}  // namespace pollchat::bench
