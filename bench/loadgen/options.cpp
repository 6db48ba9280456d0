#include "options.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

namespace pollchat::bench {

std::variant<options, int> parse_options(int argc, char** argv) {
  options o;
  CLI::App app{
      "pollchat-loadgen: drives one benchmark scenario against a long-poll server on loopback and "
      "prints one JSON object on stdout (a one-line summary on stderr). Every message carries "
      "\"seq=N t=NS\", so latency, losses and duplicates are measured by the client itself. Exit "
      "status: 0 the run finished, 1 it failed (or --expect-clean found a loss), 2 usage error."};
  app.add_option("--scenario", o.scenario,
                 "park: N parked polls, server RSS per poll, one post reaching all; fanout: "
                 "pollers re-polling with cursors while a poster posts at --rate; post: "
                 "--posters keep-alive posters, no readers")
      ->required()
      ->check(CLI::IsMember({"park", "fanout", "post"}));
  app.add_option("--target", o.target,
                 "API spoken: pollchat (chat-server and the Go peer) or nchan (nginx + Nchan)")
      ->capture_default_str()
      ->check(CLI::IsMember({"pollchat", "nchan"}));
  app.add_option("--url", o.url, "server base URL, http://127.0.0.1:PORT (loopback only)")
      ->capture_default_str();
  app.add_option("--post-url", o.post_url,
                 "where posters post, http://127.0.0.1:PORT (default: --url): another instance "
                 "of the same service, so that deliveries cross from one instance to the other")
      ->capture_default_str();
  app.add_option("--room", o.room, "room / channel name (default: a fresh one per run)")
      ->check([](const std::string& r) -> std::string {
        if (r.empty() || r.size() > 64 ||
            r.find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") !=
                std::string::npos) {
          return "a room name is 1 to 64 of [A-Za-z0-9_.-]";
        }
        return {};
      });
  app.add_option("--server-pid", o.server_pids,
                 "server process to read VmRSS and CPU from (repeat to sum several, e.g. nginx "
                 "master and worker)")
      ->check(CLI::PositiveNumber);
  app.add_option("--pollers", o.pollers, "park/fanout: parked readers, one connection each")
      ->capture_default_str()
      ->check(CLI::Range(1, 19000));
  app.add_option("--posters", o.posters, "post: keep-alive posting connections")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--post-connections", o.post_connections,
                 "fanout: connections sharing the fixed-rate posting schedule")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--rate", o.rate, "fanout: messages posted per second")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 100000.0));
  app.add_option("--duration", o.duration_s, "fanout: seconds of posting; post: seconds measured")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 600.0));
  app.add_option("--messages", o.messages,
                 "fanout: post exactly this many messages at --rate (0: rate x duration)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  app.add_option("--settle", o.settle_s,
                 "park, fanout: seconds to wait after the last first poll is sent (park: then RSS "
                 "is read; fanout: then posting starts)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 60.0));
  app.add_option("--drain", o.drain_s,
                 "fanout: longest wait in seconds for deliveries after the last post")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 120.0));
  app.add_option("--poll-timeout", o.poll_timeout_s, "pollchat: timeout=S asked per poll")
      ->capture_default_str()
      ->check(CLI::Range(1, 55));
  app.add_option("--io-timeout", o.io_timeout_s,
                 "seconds a single connect, write or read may take before it counts as an error")
      ->capture_default_str()
      ->check(CLI::Range(1, 600));
  app.add_option("--connect-concurrency", o.connect_concurrency, "connects in flight at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  app.add_option("--max-seconds", o.max_seconds, "hard limit on the whole run, in seconds")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 3600.0));
  app.add_option("--cdf-points", o.cdf_points, "points of the latency CDF in the JSON (0: none)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  app.add_flag("--expect-clean", o.expect_clean,
               "exit 1 unless every message reached every reader exactly once and no request "
               "failed (for smoke tests)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  if (o.scenario == "fanout") {
    const double count = o.messages > 0 ? o.messages : o.rate * o.duration_s;
    if (count < 1 || count > 100000) {
      std::cerr << "--rate x --duration must give 1 to 100000 messages (got " << count << ")\n";
      return 2;
    }
    if (count * o.pollers > 50'000'000) {
      std::cerr << "--pollers x messages is over 50,000,000 deliveries: shorten the run\n";
      return 2;
    }
  }
  return o;
}

}  // namespace pollchat::bench
