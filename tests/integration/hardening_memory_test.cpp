// Issue 13, rows 3, 5 (HTTP) and 9, against the real server: what anonymous clients can make it
// hold is bounded, and what it does for them stays cheap. Each test asserts a figure (RSS growth,
// rooms created, time, CPU) against a bound generous enough for a loaded CI machine.

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "integration.hpp"
#include "raw_socket.hpp"

namespace pollchat::testing {

namespace {

// CPU time a process used, user and system, in milliseconds (/proc/<pid>/stat).
long long cpu_ms(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));  // after "pid (comm) "
  std::string skip;
  for (int k = 3; k < 14; ++k) fields >> skip;  // fields 3..13
  long long utime = 0, stime = 0;
  fields >> utime >> stime;
  return (utime + stime) * 1000 / sysconf(_SC_CLK_TCK);
}

// Sends `requests` pipelined on one connection, `batch` at a time; the statuses answered.
std::vector<int> pipeline(std::uint16_t port, const std::vector<std::string>& requests,
                          std::size_t batch = 200) {
  std::vector<int> statuses;
  test_connection c(port);
  for (std::size_t at = 0; at < requests.size(); at += batch) {
    std::string bytes;
    const std::size_t end = std::min(requests.size(), at + batch);
    for (std::size_t k = at; k < end; ++k) bytes += requests[k];
    if (!c.send(bytes)) break;
    for (std::size_t k = at; k < end; ++k) {
      const auto res = c.read_response(30s);
      if (!res) return statuses;
      statuses.push_back(static_cast<int>(res->result_int()));
    }
  }
  return statuses;
}

// A 4 KB body that renders as large as a body can: every byte a control character (six bytes
// each in JSON, two in the text rendering), form-encoded.
std::string worst_case_form_body() {
  std::string body = "body=";
  for (int k = 0; k < 4000; ++k) body += "%01";
  return body;
}

}  // namespace

// Row 3: keyed posts of the largest rendering, far more than the budget, into a few rooms. Before
// the fix the histories (1000 each) and the keys (10,000 a room, whole messages) kept all of it.
TEST(HardeningMemory, KeyedPostsStayWithinTheMemoryBudget) {
  constexpr long long budget = 4 << 20;
  server_process server{{"--post-rate", "0", "--max-history-bytes", std::to_string(budget),
                         "--max-room-bytes", std::to_string(1 << 20)}};
  ASSERT_TRUE(server.started()) << server.log();
  const auto rss_before = static_cast<long long>(rss_bytes(server.pid()));
  const std::string body = worst_case_form_body();

  // ~53 KB held each before the fix: 2000 posts grew RSS by ~106 MiB (6000: 318 MiB).
  constexpr int posts = 2000;
  std::vector<std::string> requests;
  for (int k = 0; k < posts; ++k) {
    requests.push_back(make_request("POST", "/chat/room" + std::to_string(k % 5),
                                    {{"Idempotency-Key", "key-" + std::to_string(k)}}, body));
  }
  const auto statuses = pipeline(server.port(), requests, 50);
  ASSERT_EQ(statuses.size(), requests.size());
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 200), posts);

  const long long growth = static_cast<long long>(rss_bytes(server.pid())) - rss_before;
  std::cout << "[ figure   ] RSS growth after " << posts << " keyed worst-case posts: "
            << growth / (1 << 20) << " MiB (budget " << budget / (1 << 20) << " MiB)\n";
#ifndef CHAT_SERVER_UNDER_ASAN
  EXPECT_LT(growth, 3 * budget);  // the budget, the allocator's slack and the connection
#else
  // AddressSanitizer holds freed memory in its quarantine (256 MiB): RSS measures that, not the
  // server. The plain build asserts the figure; this one checks the answers below.
  (void)growth;
#endif

  // A retry of a recent key still answers its first message; readers are told what was trimmed.
  const auto again = post(server, "/chat/room4", body, {{"Idempotency-Key", "key-1999"}});
  ASSERT_TRUE(again);
  EXPECT_EQ(json_of(again)["id"], posts / 5);
  const auto read = json_of(get(server, "/chat/room4?since=0&format=json&limit=1"));
  EXPECT_GT(read["missed"].get<long long>(), 0);
}

// Row 5 (HTTP): rooms cost a token of the post rate, and empty ones go away.
TEST(HardeningMemory, CreatingRoomsCostsRateTokensAndEmptyRoomsExpire) {
  server_process server{{"--room-expiry", "3"}};  // the default rate: 10 a second, burst 50
  ASSERT_TRUE(server.started()) << server.log();
  std::vector<std::string> requests;
  for (int k = 0; k < 500; ++k) {
    requests.push_back(make_request("GET", "/chat/flood" + std::to_string(k) + "?timeout=0"));
  }
  const auto started = std::chrono::steady_clock::now();
  const auto statuses = pipeline(server.port(), requests);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_EQ(statuses.size(), requests.size());
  const auto created = std::count(statuses.begin(), statuses.end(), 204);
  std::cout << "[ figure   ] rooms created by 500 anonymous GETs in " << seconds << " s: " << created
            << "\n";
  EXPECT_LE(created, 50 + static_cast<long>(10 * seconds) + 2);
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 429), 500 - created);
  EXPECT_EQ(json_of(get(server, "/rooms"))["rooms"].size(), static_cast<std::size_t>(created) + 1);

  // A room with a message stays; the empty ones expire (swept every 3 s for this expiry).
  std::this_thread::sleep_for(1100ms);  // a token for the post below
  ASSERT_EQ(post(server, "/chat/flood0", "body=keep me")->result_int(), 200);
  EXPECT_TRUE(wait_until([&] { return json_of(get(server, "/rooms"))["rooms"].size() == 2; }, 15s))
      << get(server, "/rooms")->body();
  EXPECT_EQ(json_of(get(server, "/chat/flood0?since=0&format=json"))["messages"][0]["body"],
            "keep me");
  EXPECT_EQ(get(server, "/rooms/flood1")->result_int(), 404);
}

// Row 9: many rooms. GET /rooms answers a page, fast; an idle server with many rooms does not
// spend CPU visiting them every second.
TEST(HardeningMemory, ManyRoomsCostLittleToListAndNothingToKeep) {
  // Before the fix, 100,000 rooms: GET /rooms 7.6 s and 5.3 MB; idle CPU 560 ms every 4 s.
  constexpr int rooms = 60000;
  server_process server{{"--post-rate", "0", "--max-rooms", "200000"}};
  ASSERT_TRUE(server.started()) << server.log();
  std::vector<std::string> requests;
  requests.reserve(rooms);
  for (int k = 0; k < rooms; ++k) {
    requests.push_back(make_request("GET", "/chat/r" + std::to_string(k) + "?timeout=0"));
  }
  const auto statuses = pipeline(server.port(), requests, 500);
  ASSERT_EQ(statuses.size(), requests.size());
  ASSERT_EQ(std::count(statuses.begin(), statuses.end(), 204), rooms);

  const auto started = std::chrono::steady_clock::now();
  const auto first = get(server, "/rooms");
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started).count();
  ASSERT_TRUE(first);
  std::cout << "[ figure   ] GET /rooms with " << rooms << " rooms: " << ms << " ms, "
            << first->body().size() << " bytes\n";
  EXPECT_LT(ms, 500);
  EXPECT_LT(first->body().size(), 200000u);
  const auto doc = json_of(first);
  EXPECT_EQ(doc["rooms"].size(), 1000u);
  ASSERT_TRUE(doc.contains("next"));
  // Following `next` lists every room once.
  std::size_t listed = doc["rooms"].size();
  std::string next = doc["next"];
  for (int page = 0; page < 200 && !next.empty(); ++page) {
    const auto more = json_of(get(server, "/rooms?after=" + next));
    listed += more["rooms"].size();
    next = more.contains("next") ? more["next"].get<std::string>() : "";
  }
  EXPECT_EQ(listed, static_cast<std::size_t>(rooms) + 1);

  // Idle: the presence sweep visits only rooms with members (none here).
  const long long cpu_before = cpu_ms(server.pid());
  std::this_thread::sleep_for(4s);
  const long long idle_cpu = cpu_ms(server.pid()) - cpu_before;
  std::cout << "[ figure   ] idle CPU over 4 s with " << rooms << " rooms: " << idle_cpu << " ms\n";
  EXPECT_LT(idle_cpu, 150);
}

}  // namespace pollchat::testing
