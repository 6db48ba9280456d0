// chat-server: flags -> config, logging, then serve until a signal drains it.

#include <cstdio>
#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "core/config.hpp"
#include "app/healthcheck.hpp"
#include "app/server.hpp"
#include "net/trusted_proxies.hpp"

int main(int argc, char** argv) {
  const pollchat::command_line parsed = pollchat::parse_command_line(argc, argv);
  if (!parsed.settings) {
    std::fputs(parsed.output.c_str(), parsed.exit_code == 0 ? stdout : stderr);
    return parsed.exit_code;
  }
  const pollchat::config& settings = *parsed.settings;
  // Read here rather than in core/config: core has no address parser.
  auto trusted = pollchat::trusted_proxies::parse(settings.trusted_proxies);
  if (const auto* problem = std::get_if<std::string>(&trusted)) {
    fmt::print(stderr, "chat-server: {}: {}\n", settings.trusted_proxies_origin, *problem);
    return 2;
  }
  if (settings.healthcheck) {
    return pollchat::run_healthcheck(settings);
  }

  auto logger = spdlog::stderr_logger_mt("pollchat");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);

  pollchat::server server(settings, std::get<pollchat::trusted_proxies>(std::move(trusted)));
  if (!server.open()) {
    return 1;
  }
  return server.run();
}
