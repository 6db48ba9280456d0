// The HTTP session under attack (issue 13): what one client can make the server hold (bytes
// that are not body, kernel send buffers), framing a proxy could read another way, the health
// probe beyond the connection cap, the open-files limit, and requests in flight at SIGTERM.
// Each test asserts a figure against a bound generous enough for a loaded CI machine.

#include <fcntl.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "integration.hpp"
#include "raw_socket.hpp"

namespace pollchat::testing {

namespace {

constexpr std::size_t megabyte = 1024 * 1024;

struct flood_outcome {
  std::size_t sent = 0;
  std::string answer;   // what the server wrote back meanwhile
  bool closed = false;  // the server closed (or reset) the connection
};

// Writes `prefix`, then `pattern` over and over up to `total` bytes, reading whatever the server
// answers meanwhile; stops when the server closes the connection or `limit` passes.
flood_outcome flood(std::uint16_t port, const std::string& prefix, const std::string& pattern,
                    std::size_t total, std::chrono::seconds limit) {
  flood_outcome out;
  const int fd = connect_loopback(port);
  if (fd < 0) return out;
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  std::string filler;
  while (filler.size() < 64 * 1024) filler += pattern;
  std::string_view pending = prefix;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    const bool sending = out.sent < total + prefix.size();
    pollfd p{fd, static_cast<short>(POLLIN | (sending ? POLLOUT : 0)), 0};
    if (::poll(&p, 1, 100) < 0) break;
    if ((p.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      char chunk[4096];
      const ssize_t n = recv(fd, chunk, sizeof chunk, 0);
      if (n > 0) {
        out.answer.append(chunk, static_cast<std::size_t>(n));
      } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
        out.closed = true;
        break;
      }
    }
    if (sending && (p.revents & POLLOUT) != 0) {
      if (pending.empty()) pending = filler;
      const ssize_t n = ::send(fd, pending.data(), pending.size(), MSG_NOSIGNAL);
      if (n > 0) {
        out.sent += static_cast<std::size_t>(n);
        pending.remove_prefix(static_cast<std::size_t>(n));
      } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
        out.closed = true;
        break;
      }
    }
  }
  ::close(fd);
  return out;
}

// A normal user posting and reading at once, one fresh connection per request, for as long as
// `running` holds: the slowest post+poll pair, and how many pairs there were.
struct user_figures {
  std::chrono::milliseconds slowest{0};
  int pairs = 0;
  int failures = 0;
};

user_figures normal_user(std::uint16_t port, const std::atomic<bool>& running) {
  user_figures out;
  while (running.load()) {
    const auto start = std::chrono::steady_clock::now();
    const auto posted = request_once(port, "POST", "/chat", {}, "body=still here", 5s);
    const auto read = request_once(port, "GET", "/chat?since=0&limit=1&timeout=0", {}, {}, 5s);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    if (!posted || posted->result_int() != 200 || !read || read->result_int() != 200) ++out.failures;
    out.slowest = std::max(out.slowest, took);
    ++out.pairs;
    std::this_thread::sleep_for(20ms);
  }
  return out;
}

// Floods one connection with `prefix` + `pattern`... while sampling the server's RSS and timing
// a normal user; asserts the flood was refused with 400 and closed, RSS grew less than 20 MB,
// and the user never waited a second.
void expect_flood_refused(const std::string& prefix, const std::string& pattern) {
  server_process server{{"--post-rate", "0", "--io-timeout", "5"}};
  ASSERT_TRUE(server.started()) << server.log();
  ASSERT_TRUE(post(server, "/chat", "body=warm up"));
  const std::size_t rss_before = rss_bytes(server.pid());

  std::atomic<bool> running{true};
  std::size_t rss_peak = rss_before;
  std::thread sampler([&] {
    while (running.load()) {
      rss_peak = std::max(rss_peak, rss_bytes(server.pid()));
      std::this_thread::sleep_for(10ms);
    }
  });
  user_figures user;
  std::thread user_thread([&] { user = normal_user(server.port(), running); });
  const auto start = std::chrono::steady_clock::now();
  const flood_outcome flooded = flood(server.port(), prefix, pattern, 50 * megabyte, 12s);
  const auto took = std::chrono::steady_clock::now() - start;
  std::this_thread::sleep_for(300ms);  // the user goes on a moment after the flood
  running = false;
  sampler.join();
  user_thread.join();

  EXPECT_TRUE(flooded.answer.starts_with("HTTP/1.1 400 ")) << flooded.answer.substr(0, 200);
  EXPECT_NE(flooded.answer.find("bad_chunk"), std::string::npos);
  EXPECT_TRUE(flooded.closed);
  EXPECT_LT(took, 5s);
  const double grown_mb = static_cast<double>(rss_peak - std::min(rss_peak, rss_before)) / megabyte;
  EXPECT_LT(grown_mb, 20.0) << "sent " << flooded.sent / megabyte << " MB";
  EXPECT_GT(user.pairs, 0);
  EXPECT_EQ(user.failures, 0);
  EXPECT_LT(user.slowest, 1000ms) << user.pairs << " post+poll pairs";
  std::printf("flood: %zu bytes sent in %lld ms, RSS +%.1f MB; normal user: %d pairs, slowest %lld ms\n",
              flooded.sent, static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()),
              grown_mb, user.pairs, static_cast<long long>(user.slowest.count()));
}

const std::string chunked_post =
    "POST /chat HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n";

}  // namespace

// --- bytes that are not body --------------------------------------------------------------

TEST(HardeningHttp, AnEndlessChunkExtensionIsRefusedAndBuffersLittle) {
  expect_flood_refused(chunked_post + "1;a=", "a");
}

TEST(HardeningHttp, AnEndlessTrailerFieldIsRefusedAndBuffersLittle) {
  expect_flood_refused(chunked_post + "5\r\nhello\r\n0\r\nX-Pad: ", "a");
}

TEST(HardeningHttp, EndlesslyManyTrailerFieldsAreRefusedAndBufferLittle) {
  expect_flood_refused(chunked_post + "5\r\nhello\r\n0\r\n", "X-Pad: b\r\n");
}

TEST(HardeningHttp, LongChunkedBodiesInSmallChunksStillWork) {
  server_process server{{"--post-rate", "0"}};
  ASSERT_TRUE(server.started()) << server.log();
  std::string body;
  for (int k = 0; k < 2000; ++k) body += "1;ext=v\r\nx\r\n";  // 24 KB of framing for 2000 bytes
  const std::string closing_post =
      "POST /chat HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nConnection: close\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  const std::string answer = exchange(server.port(), closing_post + body + "0\r\nX-Trailer: ok\r\n\r\n", 5s);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200 ")) << answer.substr(0, 200);
  const auto stored = json_of(get(server, "/chat?since=0&timeout=0", {{"Accept", "application/json"}}));
  ASSERT_EQ(stored["messages"].size(), 1u);
  EXPECT_EQ(stored["messages"][0]["body"], std::string(2000, 'x'));
}

// --- framing (RFC 9112 §6) ----------------------------------------------------------------

TEST(HardeningHttp, FramingOtherThanExactlyChunkedIsRefusedAndClosed) {
  server_process server{{"--post-rate", "0"}};
  ASSERT_TRUE(server.started()) << server.log();
  const std::string smuggled = "GET /rooms HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string chunked_body = "d\r\nbody=smuggled\r\n0\r\n\r\n";
  const std::vector<std::string> shapes{
      "POST /chat HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\nContent-Length: 13\r\n\r\nbody=smuggled",
      "POST /chat HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nContent-Length: 13\r\n\r\nbody=smuggled",
      "POST /chat HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\nContent-Length: 13\r\n\r\nbody=smuggled",
      "POST /chat HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n" + chunked_body,
      "POST /chat HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n" + chunked_body,
      "POST /chat HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked_body,
      "POST /chat HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 13\r\n\r\n" + chunked_body,
      "POST /chat HTTP/1.1\r\nHost: x\r\nContent-Length: 24\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked_body,
      "POST /chat HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked_body,
  };
  for (const auto& shape : shapes) {
    const std::string answer = exchange(server.port(), shape + smuggled, 3s);
    EXPECT_EQ(count_answers(answer), 1) << shape << "\n--- answered:\n" << answer;
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 400 ") || answer.starts_with("HTTP/1.1 501 ") ||
                answer.starts_with("HTTP/1.0 400 "))
        << shape << "\n--- answered:\n" << answer.substr(0, 200);
    if (!answer.starts_with("HTTP/1.0")) {  // HTTP/1.0 closes unless it says otherwise
      EXPECT_NE(answer.find("Connection: close"), std::string::npos) << shape;
    }
  }
  EXPECT_EQ(json_of(get(server, "/rooms/lobby"))["last_id"], 0);
  // Exactly `chunked`, in any case, is fine.
  const std::string fine = exchange(
      server.port(), "POST /chat HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\nConnection: close\r\n\r\n" + chunked_body, 3s);
  EXPECT_TRUE(fine.starts_with("HTTP/1.1 200 ")) << fine;
}

// --- slow readers of large answers --------------------------------------------------------

TEST(HardeningHttp, ReadersThatDoNotReadHoldABoundedSendBufferAndAreClosed) {
  server_process server{{"--post-rate", "0", "--io-timeout", "3"}};
  ASSERT_TRUE(server.started()) << server.log();
  {
    test_connection poster(server.port());
    const std::string body = "body=" + std::string(4000, 'm');
    for (int k = 0; k < 260; ++k) {  // a history of ~1 MB
      ASSERT_TRUE(poster.send(make_request("POST", "/chat", {}, body)));
      ASSERT_TRUE(poster.read_response()) << k;
    }
  }
  constexpr int readers = 20;
  std::vector<std::unique_ptr<test_connection>> stalled;
  for (int k = 0; k < readers; ++k) {
    stalled.push_back(std::make_unique<test_connection>(server.port()));
    stalled.back()->shrink_receive_buffer(4096);
    stalled.back()->send(make_request("GET", "/chat?since=0&limit=1000", {{"Accept", "application/json"}}));
  }
  // Sample what the kernel holds for the server's sockets while the readers stall.
  send_queues worst;
  const auto sample_until = std::chrono::steady_clock::now() + 1500ms;
  while (std::chrono::steady_clock::now() < sample_until) {
    const send_queues now = server_send_queues(server.port());
    worst.total = std::max(worst.total, now.total);
    worst.largest = std::max(worst.largest, now.largest);
    std::this_thread::sleep_for(50ms);
  }
  std::printf("%d stalled readers of a ~1 MB answer: kernel send queues %zu KB in all, %zu KB at most\n",
              readers, worst.total / 1024, worst.largest / 1024);
  EXPECT_GT(worst.total, 0u);
  EXPECT_LT(worst.largest, 512u * 1024);  // 64 KiB asked, the kernel doubles it, plus one segment
  EXPECT_LT(worst.total, 8 * megabyte);

  // A normal user is not held up by them.
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(get(server, "/healthz")->result_int(), 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);

  // --io-timeout closes every one of them.
  EXPECT_TRUE(wait_until([&] { return metric(server, "pollchat_connections_open") == 1; }, 8s))
      << metric(server, "pollchat_connections_open");
}

// --- the health probe beyond the cap, and the open-files limit ----------------------------

TEST(HardeningHttp, HealthzAnswersBeyondTheConnectionCap) {
  server_process server{{"--max-connections", "2"}};
  ASSERT_TRUE(server.started()) << server.log();
  test_connection first(server.port());
  test_connection second(server.port());
  for (auto* c : {&first, &second}) {
    c->send(make_request("GET", "/healthz"));
    ASSERT_TRUE(c->read_response());  // both kept open: the cap is reached
  }
  const auto health = get(server, "/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->result_int(), 200);
  EXPECT_EQ(health->body(), "ok\n");
  EXPECT_FALSE((*health)[boost::beast::http::field::date].empty());

  const std::string head = exchange(server.port(), make_request("HEAD", "/healthz?probe=1"));
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200 ")) << head;
  EXPECT_TRUE(head.ends_with("\r\n\r\n")) << "a body after the answer to HEAD:\n" << head;
  EXPECT_NE(head.find("Content-Length: 3\r\n"), std::string::npos) << head;

  const auto other = get(server, "/rooms");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->result_int(), 503);
  EXPECT_EQ(json_of(other)["error"], "overloaded");

  const auto probe = run_command(server_process::binary() + " --healthcheck --listen 127.0.0.1:" +
                                 std::to_string(server.port()) + " 2>&1");
  EXPECT_EQ(probe.status, 0) << probe.out;
}

// Connections beyond the cap that send nothing are answered (each for up to 2 s) only 64 at a
// time; the rest are closed at once, so they cannot hold descriptors without bound.
TEST(HardeningHttp, SilentConnectionsBeyondTheCapHoldBoundedDescriptors) {
  server_process server{{"--max-connections", "2"}};
  ASSERT_TRUE(server.started()) << server.log();
  test_connection first(server.port());
  test_connection second(server.port());
  for (auto* c : {&first, &second}) {
    c->send(make_request("GET", "/healthz"));
    ASSERT_TRUE(c->read_response());
  }
  const auto descriptors = [&] {
    const auto dir = std::filesystem::path("/proc") / std::to_string(server.pid()) / "fd";
    return std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator{});
  };
  const auto before = descriptors();
  std::vector<std::unique_ptr<test_connection>> silent;
  for (int k = 0; k < 600; ++k) {
    silent.push_back(std::make_unique<test_connection>(server.port()));
    ASSERT_TRUE(silent.back()->connected()) << k;
  }
  std::this_thread::sleep_for(300ms);  // every one accepted
  const auto during = descriptors();
  std::printf("600 silent over-cap connections: %ld descriptors before, %ld during\n",
              static_cast<long>(before), static_cast<long>(during));
  EXPECT_LE(during, before + 64 + 8);
  silent.clear();
  // Once those answered have timed out, the health probe is answered again beyond the cap.
  EXPECT_TRUE(wait_until([&] {
    const auto health = get(server, "/healthz");
    return health && health->result_int() == 200;
  }, 5s));
}

TEST(HardeningHttp, TheOpenFilesSoftLimitIsRaisedToTheHardLimit) {
  rlimit original{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &original), 0);
  if (original.rlim_max != RLIM_INFINITY && original.rlim_max <= 1024) {
    GTEST_SKIP() << "the hard limit is " << original.rlim_max << ": nothing to raise";
  }
  rlimit lowered = original;
  lowered.rlim_cur = 1024;  // what most distributions start a process with
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lowered), 0);
  server_process server;  // inherits the lowered soft limit
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &original), 0);
  ASSERT_TRUE(server.started()) << server.log();

  std::ifstream limits("/proc/" + std::to_string(server.pid()) + "/limits");
  std::string line;
  while (std::getline(limits, line) && !line.starts_with("Max open files")) {
  }
  std::istringstream fields(line.substr(std::string_view("Max open files").size()));
  std::string soft, hard;
  fields >> soft >> hard;
  EXPECT_EQ(soft, hard) << line;
}

TEST(HardeningHttp, AWarningSaysWhenTheOpenFilesLimitIsBelowMaxConnections) {
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_max == RLIM_INFINITY || limit.rlim_max >= 1000000) {
    GTEST_SKIP() << "the hard limit is above the largest --max-connections";
  }
  server_process server{{"--max-connections", std::to_string(limit.rlim_max)}};
  ASSERT_TRUE(server.started()) << server.log();
  EXPECT_NE(server.log().find("open files limit is"), std::string::npos) << server.log();

  server_process quiet{{"--max-connections", "100"}};
  ASSERT_TRUE(quiet.started()) << quiet.log();
  EXPECT_EQ(quiet.log().find("open files limit is"), std::string::npos) << quiet.log();
}

// --- requests in flight at SIGTERM --------------------------------------------------------

TEST(HardeningHttp, SigtermAnswersRequestsInFlight503) {
  server_process server{{"--shutdown-grace", "5", "--io-timeout", "30"}};
  ASSERT_TRUE(server.started()) << server.log();
  test_connection half_header(server.port());
  half_header.send("GET /rooms HTTP/1.1\r\nHost: x\r\n");
  test_connection half_body(server.port());
  half_body.send("POST /chat HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nbody=");
  test_connection pipelined(server.port());
  pipelined.send(make_request("GET", "/chat?timeout=50") + make_request("GET", "/rooms"));
  std::string head_behind;  // every byte the server sends on that connection, once it closed
  std::atomic<bool> head_done{false};
  std::thread head_reader([&] {
    head_behind = exchange(server.port(), make_request("GET", "/chat?timeout=50") + make_request("HEAD", "/rooms"), 8s);
    head_done = true;
  });
  const struct joiner {
    std::thread& t;
    ~joiner() { t.join(); }
  } join_head_reader{head_reader};
  ASSERT_TRUE(wait_until([&] { return metric(server, "pollchat_polls_parked") == 2; }, 5s));
  ASSERT_TRUE(wait_until([&] { return metric(server, "pollchat_connections_open") == 5; }, 5s));

  kill(server.pid(), SIGTERM);
  for (auto* c : {&half_header, &half_body}) {
    const auto res = c->read_response(3s);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->result_int(), 503);
    EXPECT_EQ((*res)[boost::beast::http::field::retry_after], "1");
    EXPECT_TRUE(c->wait_closed(3s));
  }
  const auto poll = pipelined.read_response(3s);
  const auto behind = pipelined.read_response(3s);
  ASSERT_TRUE(poll && behind);
  EXPECT_EQ(poll->result_int(), 503);
  EXPECT_EQ(behind->result_int(), 503);
  EXPECT_EQ(json_of(behind)["error"], "shutting_down");

  ASSERT_TRUE(wait_until([&] { return head_done.load(); }, 8s));
  EXPECT_EQ(count_answers(head_behind), 2) << head_behind;
  EXPECT_TRUE(head_behind.ends_with("\r\n\r\n")) << "a body after the answer to HEAD:\n" << head_behind;

  const auto code = server.wait_exit(6s);
  ASSERT_TRUE(code) << server.log();
  EXPECT_EQ(*code, 0);
}

}  // namespace pollchat::testing
