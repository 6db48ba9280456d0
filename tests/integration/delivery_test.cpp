// The no-loss property and the barrier's housekeeping, end to end: many pollers with cursors
// and many fast posts (every poller gets every message once, in order), and vanished parked
// clients dropped at once rather than at their timeout.

#include <atomic>
#include <mutex>

#include "integration.hpp"

namespace pollchat::testing {

namespace {

struct poller_outcome {
  std::vector<std::string> bodies;
  std::string failure;
};

// Re-polls with its cursor on one keep-alive connection until it has `expected` messages.
poller_outcome poll_all(std::uint16_t port, std::size_t expected) {
  poller_outcome out;
  test_connection c(port);
  std::uint64_t next = 0;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (out.bodies.size() < expected && std::chrono::steady_clock::now() < deadline) {
    c.send(make_request("GET", "/chat/nl?format=json&timeout=10&limit=37&since=" + std::to_string(next)));
    const auto doc = json_of(c.read_response(15s));
    if (!doc.is_object()) {
      out.failure = "no answer at cursor " + std::to_string(next);
      return out;
    }
    for (const auto& m : doc["messages"]) {
      if (m["id"].get<std::uint64_t>() != next + 1) {
        out.failure = "after " + std::to_string(next) + " came " + m["id"].dump();
        return out;
      }
      next = m["id"];
      out.bodies.push_back(m["body"]);
    }
    if (doc["missed"] != 0) {
      out.failure = "missed " + doc["missed"].dump();
      return out;
    }
  }
  return out;
}

void run_no_loss(const std::vector<std::string>& extra_args) {
  std::vector<std::string> args{"--post-rate", "0", "--history", "1000"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  server_process server(args);
  ASSERT_TRUE(server.started()) << server.log();
  constexpr int pollers = 20;
  constexpr int posters = 4;
  constexpr int per_poster = 100;
  constexpr std::size_t total = posters * per_poster;

  std::vector<poller_outcome> outcomes(pollers);
  std::vector<std::thread> threads;
  for (int k = 0; k < pollers; ++k) {
    threads.emplace_back([&, k] { outcomes[static_cast<std::size_t>(k)] = poll_all(server.port(), total); });
  }
  std::atomic<int> refused{0};
  for (int p = 0; p < posters; ++p) {
    threads.emplace_back([&, p] {
      test_connection c(server.port());
      for (int k = 0; k < per_poster; ++k) {
        c.send(make_request("POST", "/chat/nl", {}, "body=p" + std::to_string(p) + "-" + std::to_string(k)));
        const auto res = c.read_response();
        if (!res || res->result_int() != 200) ++refused;
      }
    });
  }
  for (auto& t : threads) t.join();

  EXPECT_EQ(refused.load(), 0);
  std::vector<std::string> reference;
  for (int k = 0; k < pollers; ++k) {
    const auto& o = outcomes[static_cast<std::size_t>(k)];
    EXPECT_EQ(o.failure, "") << "poller " << k;
    EXPECT_EQ(o.bodies.size(), total) << "poller " << k;
    if (k == 0) {
      reference = o.bodies;
    } else {
      EXPECT_EQ(o.bodies, reference) << "poller " << k << " saw another order";
    }
  }
  // Each poster's own messages arrive in the order it posted them, each exactly once.
  std::vector<int> seen(posters, -1);
  for (const auto& body : reference) {
    const int p = body[1] - '0';
    const int k = std::stoi(body.substr(body.find('-') + 1));
    EXPECT_EQ(k, seen[static_cast<std::size_t>(p)] + 1) << body;
    seen[static_cast<std::size_t>(p)] = k;
  }
}

}  // namespace

TEST(Delivery, EveryPollerGetsEveryMessageOnceInOrder) { run_no_loss({}); }

TEST(Delivery, EveryPollerGetsEveryMessageOnceInOrderOnFourThreads) { run_no_loss({"--threads", "4"}); }

TEST(Delivery, VanishedParkedClientsAreDroppedAtOnce) {
  server_process server;
  ASSERT_TRUE(server.started()) << server.log();
  constexpr int clients = 200;
  std::vector<std::unique_ptr<test_connection>> parked;
  for (int k = 0; k < clients; ++k) {
    parked.push_back(std::make_unique<test_connection>(server.port()));
    parked.back()->send(make_request("GET", "/chat?timeout=50"));
  }
  ASSERT_TRUE(wait_until([&] { return metric(server, "pollchat_polls_parked") == clients; }, 10s))
      << metric(server, "pollchat_polls_parked");
  for (int k = 0; k < clients; ++k) {
    if (k % 2 == 0) {
      parked[static_cast<std::size_t>(k)]->reset();  // abrupt
    } else {
      parked[static_cast<std::size_t>(k)]->close();  // polite
    }
  }
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(wait_until([&] { return metric(server, "pollchat_polls_parked") == 0; }, 5s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_EQ(json_of(get(server, "/rooms/lobby"))["parked"], 0);
  EXPECT_TRUE(wait_until([&] { return metric(server, "pollchat_connections_open") == 1; }, 5s));
}

// 20 KB pipelined behind a parked poll is past what the session buffers (16 KiB): the poll is
// answered then and the connection closed, so a client that then leaves is never left parked
// until the poll's timeout.
TEST(Delivery, AParkedPollWithMuchPipelinedBehindItIsStillDroppedWhenTheClientLeaves) {
  server_process server;
  ASSERT_TRUE(server.started()) << server.log();
  test_connection c(server.port());
  ASSERT_TRUE(c.send(make_request("GET", "/chat/r1?timeout=30")));
  ASSERT_TRUE(wait_until([&] { return metric(server, "pollchat_polls_parked") == 1; }, 5s));
  ASSERT_TRUE(c.send("GET /rooms HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(20000, 'a')));
  std::this_thread::sleep_for(200ms);
  c.close();
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(wait_until([&] { return metric(server, "pollchat_polls_parked") == 0; }, 5s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_EQ(json_of(get(server, "/rooms/r1"))["parked"], 0);
  EXPECT_TRUE(wait_until([&] { return metric(server, "pollchat_connections_open") == 1; }, 5s));
}

TEST(Delivery, ATimedOutPollLeavesItsRoom) {
  server_process server;
  ASSERT_TRUE(server.started()) << server.log();
  test_connection c(server.port());
  c.send(make_request("GET", "/chat?timeout=1"));
  ASSERT_TRUE(c.read_response(5s));
  EXPECT_EQ(json_of(get(server, "/rooms/lobby"))["parked"], 0);
  EXPECT_EQ(metric(server, "pollchat_polls_parked"), 0);
  // A post after the timeout writes nothing more on that connection.
  post(server, "/chat", "body=late");
  c.send(make_request("GET", "/healthz"));
  const auto next = c.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body(), "ok\n");
}

}  // namespace pollchat::testing
