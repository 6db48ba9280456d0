// pollchat-loadgen: one benchmark scenario against one long-poll server, one JSON report.

#include <fmt/format.h>

#include <cstdio>
#include <exception>
#include <iostream>

#include "options.hpp"
#include "process_stats.hpp"
#include "scenarios.hpp"
#include "server_url.hpp"

namespace {

using pollchat::bench::options;

// Connections one run opens, plus room for stdio and the /proc readings.
std::uint64_t connections_needed(const options& o) {
  if (o.scenario == "post") {
    return static_cast<std::uint64_t>(o.posters) + 16;
  }
  return static_cast<std::uint64_t>(o.pollers + o.post_connections) + 16;
}

// The one-line summary a person reads on stderr.
std::string summary_line(const options& o, const nlohmann::json& j) {
  std::string line = fmt::format("{} {}:", o.scenario, o.target);
  if (o.scenario == "park") {
    line += fmt::format(" parked {}/{}, received {}, wake_all {:.1f} ms", j.value("parked", 0),
                        o.pollers, j.value("received", 0), j.value("wake_all_ms", 0.0));
    if (j.contains("rss_per_poll_bytes")) {
      line += fmt::format(", {:.0f} B RSS per parked poll", j["rss_per_poll_bytes"].get<double>());
    }
  } else if (o.scenario == "fanout") {
    line += fmt::format(
        " {} pollers x {} msgs at {}/s: {:.0f} deliveries/s, p50 {:.1f} ms, "
        "p99 {:.1f} ms, max {:.1f} ms, missed {}, duplicates {}",
        o.pollers, j.value("posted", 0), o.rate, j.value("deliveries_per_s", 0.0),
        j["latency_ms"].value("p50", 0.0), j["latency_ms"].value("p99", 0.0),
        j["latency_ms"].value("max", 0.0), j.value("missed", 0), j.value("duplicates", 0));
  } else {
    line += fmt::format(" {} posters: {:.0f} posts/s, p50 {:.2f} ms, p99 {:.2f} ms", o.posters,
                        j.value("posts_per_s", 0.0), j["latency_ms"].value("p50", 0.0),
                        j["latency_ms"].value("p99", 0.0));
  }
  const auto& cpu = j["cpu"];
  line += fmt::format("; client cpu {:.0f}%", cpu.value("client_cpu_pct", 0.0));
  // /proc counts CPU in 10 ms ticks: a percentage over a shorter phase would be noise.
  if (cpu.contains("server_cpu_pct") && cpu.value("wall_s", 0.0) >= 1.0) {
    line += fmt::format(", server cpu {:.0f}%", cpu["server_cpu_pct"].get<double>());
  }
  if (cpu.value("client_bound", false)) {
    line += " CLIENT-BOUND: the load generator, not the server, was the limit";
  }
  if (j.value("errors", 0) > 0) {
    line += fmt::format("; {} errors, first: {}", j.value("errors", 0),
                        j.value("first_error", std::string{}));
  }
  return line;
}

// For --expect-clean: every message everywhere exactly once, nothing failed.
bool clean(const options& o, const nlohmann::json& j) {
  if (j.value("errors", 1) != 0 || j.value("posted", 0) == 0) {
    return false;
  }
  if (o.scenario == "post") {
    return j.value("post_failures", 1) == 0;
  }
  if (j.value("missed", 1) != 0 || j.value("duplicates", 1) != 0 || j.value("foreign", 1) != 0) {
    return false;
  }
  if (o.scenario == "fanout") {
    return j.value("complete", false) && j.value("server_missed", 1) == 0;
  }
  if (o.scenario == "park") {
    return j.value("all_received", false);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace pollchat::bench;
  auto parsed = parse_options(argc, argv);
  if (const int* code = std::get_if<int>(&parsed)) {
    return *code;
  }
  const auto& o = std::get<options>(parsed);
  auto addr = parse_server_url(o.url);
  if (const auto* error = std::get_if<std::string>(&addr)) {
    std::cerr << *error << "\n";
    return 2;
  }
  if (!o.post_url.empty()) {
    // Posters on another instance: pollers read what crossed over from it.
    auto post_addr = parse_server_url(o.post_url);
    if (const auto* error = std::get_if<std::string>(&post_addr)) {
      std::cerr << "--post-url: " << *error << "\n";
      return 2;
    }
    std::get<server_address>(addr).post_endpoint = std::get<server_address>(post_addr).endpoint;
  }
  // Each connection is a file; 10,000 parked polls need far more than the usual 1024.
  const auto files = raise_open_files_limit();
  if (connections_needed(o) > files) {
    std::cerr << fmt::format("this run needs about {} open files but the limit is {}\n",
                             connections_needed(o), files);
    return 2;
  }
  try {
    const auto& where = std::get<server_address>(addr);
    nlohmann::json report;
    if (o.scenario == "park") {
      report = run_park(o, where);
    } else if (o.scenario == "fanout") {
      report = run_fanout(o, where);
    } else {
      report = run_post(o, where);
    }
    std::cout << report.dump() << std::endl;
    std::cerr << summary_line(o, report) << std::endl;
    if (!report.value("finished", false)) {
      std::cerr << "pollchat-loadgen: stopped by --max-seconds before the scenario finished\n";
      return 1;
    }
    if (o.expect_clean && !clean(o, report)) {
      std::cerr << "--expect-clean: the run lost, doubled or failed something (see the JSON)\n";
      return 1;
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "pollchat-loadgen: " << e.what() << "\n";
    return 1;
  }
}
