// --data-dir end to end (SPEC §8): the real chat-server, killed and restarted on the same
// directory, keeps every acknowledged message with its id, body and time; readers never see
// what is not committed; bad directories stop it with exit code 2 before it listens; a disk
// that fills up answers 503 and recovers.

#include <sys/mount.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <numeric>

#include "integration.hpp"

namespace pollchat::testing {
namespace {

namespace fs = std::filesystem;

class scratch {
 public:
  scratch() {
    std::string pattern = (fs::temp_directory_path() / "pollchat-persist-XXXXXX").string();
    path_ = mkdtemp(pattern.data()) != nullptr ? pattern : std::string();
  }
  ~scratch() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  scratch(const scratch&) = delete;
  scratch& operator=(const scratch&) = delete;
  std::string path() const { return path_; }
  std::string data() const { return path_ + "/data"; }

 private:
  std::string path_;
};

std::string fmt_body(int poster, int k) {
  return "body=p" + std::to_string(poster) + "-" + std::to_string(k) + "&name=poster" +
         std::to_string(poster);
}

std::vector<std::string> with_data(const std::string& dir, std::vector<std::string> more = {}) {
  std::vector<std::string> args{"--data-dir", dir, "--post-rate", "0", "--sync", "normal"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

nlohmann::json history_of(const server_process& s, const std::string& room = "lobby") {
  return json_of(get(s, "/chat/" + room + "?since=0&timeout=0&limit=1000",
                     {{"Accept", "application/json"}}));
}

TEST(Persistence, KillNineKeepsEveryAcknowledgedPost) {
  scratch dir;
  std::map<std::uint64_t, nlohmann::json> acknowledged;  // id -> the message a 200 returned
  std::string epoch;
  std::uint64_t reader_cursor = 0;
  nlohmann::json reader_saw;
  {
    server_process server(with_data(dir.data()));
    ASSERT_TRUE(server.started()) << server.log();
    std::mutex mutex;
    std::atomic<bool> stop{false};
    std::vector<std::thread> posters;
    for (int t = 0; t < 5; ++t) {
      posters.emplace_back([&, t] {
        for (int k = 0; k < 2000 && !stop.load(); ++k) {
          const auto res = post(server, "/chat", fmt_body(t, k));
          if (!res || res->result_int() != 200) break;  // the server is gone
          const auto m = nlohmann::json::parse(res->body());
          const std::lock_guard lock(mutex);
          acknowledged[m["id"].get<std::uint64_t>()] = m;
        }
      });
    }
    // Let the posters get going, read as a reader would, then kill it in the middle.
    ASSERT_TRUE(wait_until([&] { const std::lock_guard lock(mutex); return acknowledged.size() >= 30; }, 10s));
    const auto seen = history_of(server);
    epoch = seen["epoch"];
    reader_cursor = seen["next"];
    reader_saw = seen["messages"].back();
    std::this_thread::sleep_for(100ms);
    server.stop(SIGKILL);
    stop = true;
    for (auto& p : posters) p.join();
  }
  ASSERT_GE(acknowledged.size(), 30u);

  server_process again(with_data(dir.data()));
  ASSERT_TRUE(again.started()) << again.log();
  const auto after = history_of(again);
  EXPECT_EQ(after["epoch"], epoch);
  std::map<std::uint64_t, nlohmann::json> kept;
  for (const auto& m : after["messages"]) kept[m["id"].get<std::uint64_t>()] = m;
  for (const auto& [id, m] : acknowledged) {
    ASSERT_TRUE(kept.contains(id)) << "acknowledged id " << id << " lost";
    EXPECT_EQ(kept[id], m);  // same body, sender and time, to the millisecond
  }
  EXPECT_EQ(kept[reader_saw["id"].get<std::uint64_t>()], reader_saw);
  // 1, 2, 3, ... with no gap, and the next id continues from the newest.
  std::uint64_t expected = 1;
  for (const auto& [id, m] : kept) EXPECT_EQ(id, expected++);
  const auto next = post(again, "/chat", "body=after the crash");
  ASSERT_TRUE(next);
  EXPECT_EQ(nlohmann::json::parse(next->body())["id"], kept.rbegin()->first + 1);

  // The reader's cursor and epoch from before the crash continue: no reset, no gap.
  const auto resumed = json_of(get(again,
                                   "/chat?since=" + std::to_string(reader_cursor) + "&epoch=" +
                                       epoch + "&timeout=0&limit=1000",
                                   {{"Accept", "application/json"}}));
  ASSERT_FALSE(resumed["messages"].empty());
  EXPECT_EQ(resumed["messages"][0]["id"], reader_cursor + 1);
  EXPECT_EQ(resumed["missed"], 0);
}

TEST(Persistence, AReaderSeesAMessageOnlyOnceItIsCommitted) {
  scratch dir;
  // Every commit is held back 600 ms (a test hook): a parked poll must not wake before.
  server_process server(with_data(dir.data()), {{"CHAT_TEST_COMMIT_DELAY_MS", "600"}});
  ASSERT_TRUE(server.started()) << server.log();
  test_connection reader(server.port());
  ASSERT_TRUE(reader.send(make_request("GET", "/chat?since=0&timeout=20&format=text")));
  std::this_thread::sleep_for(100ms);  // parked

  const auto started = std::chrono::steady_clock::now();
  std::optional<http_response> posted;
  std::thread poster([&] { posted = post(server, "/chat", "body=slow"); });
  // Half-way through the commit: neither a plain poll nor the parked one has it.
  std::this_thread::sleep_for(300ms);
  const auto early = get(server, "/chat?since=0&timeout=0&format=text");
  ASSERT_TRUE(early);
  EXPECT_EQ(early->result_int(), 204) << early->body();
  const auto woken = reader.read_response(10s);
  const auto waited = std::chrono::steady_clock::now() - started;
  poster.join();
  ASSERT_TRUE(woken);
  EXPECT_EQ(woken->body(), "anonymous: slow\n");
  EXPECT_GE(waited, 550ms);
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->result_int(), 200);
}

TEST(Persistence, CleanStopLeavesEveryMemberAndKeepsTheEpoch) {
  scratch dir;
  std::string epoch;
  {
    server_process server(with_data(dir.data(), {"--tcp-listen", "127.0.0.1:0"}));
    ASSERT_TRUE(server.started()) << server.log();
    test_connection line(server.tcp_port());
    ASSERT_TRUE(line.connected());
    test_connection poller(server.port());
    ASSERT_TRUE(poller.send(make_request("GET", "/chat?client=c1&name=alice&timeout=30")));
    ASSERT_TRUE(wait_until([&] { return history_of(server)["messages"].size() == 2; }, 5s))
        << history_of(server).dump();
    epoch = history_of(server)["epoch"];
    EXPECT_EQ(server.stop(SIGTERM), 0);
  }
  server_process again(with_data(dir.data()));
  ASSERT_TRUE(again.started()) << again.log();
  const auto h = history_of(again);
  EXPECT_EQ(h["epoch"], epoch);
  std::map<std::string, int> balance;
  for (const auto& m : h["messages"]) {
    if (m["type"] == "join") ++balance[m["from"]];
    if (m["type"] == "leave") --balance[m["from"]];
  }
  EXPECT_EQ(balance.size(), 2u) << h.dump();
  for (const auto& [name, n] : balance) EXPECT_EQ(n, 0) << name << " joined without leaving";
}

TEST(Persistence, AnIdempotencyKeyIsRecognisedAfterARestart) {
  scratch dir;
  nlohmann::json first;
  {
    server_process server(with_data(dir.data()));
    ASSERT_TRUE(server.started()) << server.log();
    first = json_of(post(server, "/chat/dev", "body=once", {{"Idempotency-Key", "retry-1"}}));
    server.stop(SIGKILL);
  }
  server_process again(with_data(dir.data()));
  ASSERT_TRUE(again.started()) << again.log();
  const auto retried = json_of(post(again, "/chat/dev", "body=once", {{"Idempotency-Key", "retry-1"}}));
  EXPECT_EQ(retried, first);
  EXPECT_EQ(history_of(again, "dev")["messages"].size(), 1u);
}

TEST(Persistence, OnlyTheNewestHistoryMessagesAreKeptOnDisk) {
  scratch dir;
  {
    server_process server(with_data(dir.data(), {"--history", "5"}));
    ASSERT_TRUE(server.started()) << server.log();
    for (int k = 1; k <= 20; ++k) post(server, "/chat", "body=" + std::to_string(k));
    server.stop(SIGKILL);
  }
  // A larger --history after the restart shows what the disk kept: the newest five.
  server_process again(with_data(dir.data(), {"--history", "100"}));
  ASSERT_TRUE(again.started()) << again.log();
  const auto h = history_of(again);
  ASSERT_EQ(h["messages"].size(), 5u) << h.dump();
  EXPECT_EQ(h["messages"][0]["id"], 16);
  EXPECT_EQ(h["missed"], 15);
}

// Starts a server that must refuse `dir`; its stderr.
std::string refused(const std::vector<std::string>& args) {
  server_process server(args);
  EXPECT_FALSE(server.started()) << server.log();
  EXPECT_EQ(server.wait_exit(10s), 2) << server.log();
  return server.log();
}

TEST(Persistence, EveryUnusableDataDirectoryExitsTwoWithItsReason) {
  scratch dir;
  // Not a database at all.
  fs::create_directories(dir.path() + "/notes");
  std::ofstream(dir.path() + "/notes/pollchat.db") << "my notes\n";
  EXPECT_NE(refused(with_data(dir.path() + "/notes")).find("is not a pollchat database"),
            std::string::npos);
  // A parent that cannot be created (a file stands where a directory should).
  std::ofstream(dir.path() + "/plain") << "x";
  EXPECT_NE(refused(with_data(dir.path() + "/plain/data")).find("cannot create the directory"),
            std::string::npos);
  // A second server on the same directory.
  server_process first(with_data(dir.data()));
  ASSERT_TRUE(first.started()) << first.log();
  EXPECT_NE(refused(with_data(dir.data())).find("another chat-server is already using"),
            std::string::npos);
  first.stop(SIGTERM);
  // A newer schema than this server knows.
  ASSERT_EQ(run_command("python3 -c \"import sqlite3; c = sqlite3.connect('" + dir.data() +
                        "/pollchat.db'); c.execute('PRAGMA user_version = 7'); c.commit()\"")
                .status,
            0);
  EXPECT_NE(refused(with_data(dir.data())).find("schema version 7, newer"), std::string::npos);
}

// A tmpfs mounted for one test (root only); unmounted with the object.
class small_filesystem {
 public:
  small_filesystem(const std::string& path, const char* options) : path_(path) {
    fs::create_directories(path);
    mounted_ = ::mount("tmpfs", path.c_str(), "tmpfs", 0, options) == 0;
  }
  ~small_filesystem() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  small_filesystem(const small_filesystem&) = delete;
  small_filesystem& operator=(const small_filesystem&) = delete;
  bool mounted() const { return mounted_; }

 private:
  std::string path_;
  bool mounted_ = false;
};

TEST(Persistence, AReadOnlyDirectoryExitsTwo) {
  scratch dir;
  small_filesystem ro(dir.data(), "size=64k,mode=0755");
  if (!ro.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root)";
  ASSERT_EQ(::mount("tmpfs", dir.data().c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, "size=64k"), 0);
  EXPECT_NE(refused(with_data(dir.data())).find("cannot write in"), std::string::npos);
}

TEST(Persistence, AFullDiskAnswers503KeepsReadsAndRecovers) {
  scratch dir;
  small_filesystem disk(dir.data(), "size=1m");
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root)";
  server_process server(with_data(dir.data()));
  ASSERT_TRUE(server.started()) << server.log();
  ASSERT_EQ(json_of(post(server, "/chat", "body=before"))["id"], 1);

  // Fill the disk to the last byte.
  const std::string filler = dir.data() + "/filler";
  {
    std::ofstream out(filler, std::ios::binary);
    const std::string block(4096, 'x');
    const auto block_size = static_cast<std::streamsize>(block.size());
    for (int k = 0; k < 1024 && out.write(block.data(), block_size); ++k) {
    }
  }
  const std::string big(3000, 'y');
  std::optional<http_response> refused_post;
  for (int k = 0; k < 20; ++k) {  // the WAL may have room left for a few small pages
    refused_post = post(server, "/chat", "body=" + big);
    if (!refused_post || refused_post->result_int() != 200) break;
  }
  ASSERT_TRUE(refused_post);
  EXPECT_EQ(refused_post->result_int(), 503) << refused_post->body();
  EXPECT_EQ(json_of(refused_post)["error"], "store_unavailable");
  EXPECT_EQ((*refused_post)[boost::beast::http::field::retry_after], "1");
  const auto health = get(server, "/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->result_int(), 503);
  EXPECT_EQ(health->body(), "store_unavailable\n");
  const auto reads = history_of(server);
  ASSERT_FALSE(reads["messages"].empty());  // reads go on
  const std::uint64_t newest = reads["messages"].back()["id"];

  // Room again: healthy by itself, and the next post takes the next id: nothing half-stored.
  fs::remove(filler);
  EXPECT_TRUE(wait_until([&] { const auto h = get(server, "/healthz"); return h && h->result_int() == 200; }, 5s));
  const auto ok = json_of(post(server, "/chat", "body=after"));
  EXPECT_EQ(ok["id"], newest + 1);
  EXPECT_EQ(server.stop(SIGTERM), 0);
}

TEST(Persistence, MaxHistoryBytesBoundsWhatIsHeldAsInMemory) {
  scratch dir;
  // Two rooms of 100 posts of 4,000 bytes (~12 KB held each: body, JSON and text): ~1.2 MB a
  // room, under each room's own bound (2 MiB) and --history, but together over the 2 MiB
  // budget: only the budget makes them shed.
  server_process server(with_data(dir.data(), {"--max-history-bytes", "2097152",
                                               "--max-room-bytes", "2097152"}));
  ASSERT_TRUE(server.started()) << server.log();
  const std::string body = "body=" + std::string(4000, 'x');
  for (const std::string room : {"a", "b"}) {
    for (int k = 0; k < 100; ++k) {
      const auto res = post(server, "/chat/" + room, body);
      ASSERT_TRUE(res && res->result_int() == 200) << (res ? res->body() : "no answer");
    }
  }
  const auto a = history_of(server, "a");
  const auto b = history_of(server, "b");
  EXPECT_LT(a["messages"].size() + b["messages"].size(), 200u) << "nothing was shed";
  EXPECT_GT(a["missed"].get<std::uint64_t>() + b["missed"].get<std::uint64_t>(), 0u);
}

// A key whose message the budget shed from memory is still answered from the disk: a retry
// within its ten minutes never stores a second message.
TEST(Persistence, AKeyShedFromMemoryIsStillAnsweredFromTheDisk) {
  scratch dir;
  server_process server(with_data(dir.data(), {"--max-history-bytes", "2097152",
                                               "--max-room-bytes", "2097152"}));
  ASSERT_TRUE(server.started()) << server.log();
  const header_list key{{"Idempotency-Key", "retry-me"}};
  const auto first = post(server, "/chat/a", "body=the first", key);
  ASSERT_TRUE(first && first->result_int() == 200);
  const auto first_doc = nlohmann::json::parse(first->body());
  const std::string body = "body=" + std::string(4000, 'x');
  for (const std::string room : {"a", "b"}) {
    for (int k = 0; k < 100; ++k) {
      const auto res = post(server, "/chat/" + room, body);
      ASSERT_TRUE(res && res->result_int() == 200) << (res ? res->body() : "no answer");
    }
  }
  ASSERT_GT(history_of(server, "a")["missed"].get<std::uint64_t>(), 0u) << "nothing was shed";
  const auto last_before = history_of(server, "a")["next"].get<std::uint64_t>();

  const auto again = post(server, "/chat/a", "body=the first", key);
  ASSERT_TRUE(again && again->result_int() == 200);
  EXPECT_EQ(nlohmann::json::parse(again->body()), first_doc);
  EXPECT_EQ(history_of(server, "a")["next"].get<std::uint64_t>(), last_before) << "stored twice";
}

// --- the writer thread beside four I/O threads (also run under ThreadSanitizer) -------------
// scripts/test runs the PersistenceThreads suite in its TSan build: the store's writer thread
// hands results to sessions on four I/O threads, and a stop joins it while commits are queued.

// Reads the lobby from id 0 until `total` messages came (or 30 s passed); the ids in order.
std::vector<std::uint64_t> read_all(const server_process& server, std::size_t total) {
  std::vector<std::uint64_t> ids;
  std::uint64_t cursor = 0;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (ids.size() < total && std::chrono::steady_clock::now() < deadline) {
    const auto res = get(server, "/chat?since=" + std::to_string(cursor) + "&timeout=5&limit=1000",
                         {{"Accept", "application/json"}});
    if (!res || (res->result_int() != 200 && res->result_int() != 204)) break;
    if (res->result_int() == 204) continue;
    const auto page = nlohmann::json::parse(res->body());
    for (const auto& m : page["messages"]) ids.push_back(m["id"]);
    cursor = page["next"];
  }
  return ids;
}

TEST(PersistenceThreads, ConcurrentPostersAndPollersSeeEveryMessageOnceOnFourThreads) {
  scratch dir;
  constexpr int posters = 4, per_poster = 25, pollers = 4;
  constexpr std::size_t total = posters * per_poster;
  std::vector<std::vector<std::uint64_t>> seen(pollers);
  std::atomic<int> refused{0};
  {
    server_process server(with_data(dir.data(), {"--threads", "4"}));
    ASSERT_TRUE(server.started()) << server.log();
    std::vector<std::thread> threads;
    for (int r = 0; r < pollers; ++r) {
      threads.emplace_back([&, r] { seen[static_cast<std::size_t>(r)] = read_all(server, total); });
    }
    for (int t = 0; t < posters; ++t) {
      threads.emplace_back([&, t] {
        for (int k = 0; k < per_poster; ++k) {
          const auto res = post(server, "/chat", fmt_body(t, k));
          if (!res || res->result_int() != 200) ++refused;
        }
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(server.stop(SIGTERM), 0) << server.log();
  }
  EXPECT_EQ(refused.load(), 0);
  std::vector<std::uint64_t> every(total);
  std::iota(every.begin(), every.end(), 1);
  for (const auto& ids : seen) EXPECT_EQ(ids, every);  // each once, in order, none missing
  server_process again(with_data(dir.data()));
  ASSERT_TRUE(again.started()) << again.log();
  EXPECT_EQ(history_of(again)["messages"].size(), total);
}

TEST(PersistenceThreads, StopWhileCommitsAreInFlightKeepsEveryAnsweredPost) {
  scratch dir;
  std::map<std::uint64_t, nlohmann::json> acknowledged;
  {
    // Slow commits (a test hook): the stop lands while posts wait for one.
    server_process server(with_data(dir.data(), {"--threads", "4"}),
                          {{"CHAT_TEST_COMMIT_DELAY_MS", "20"}});
    ASSERT_TRUE(server.started()) << server.log();
    std::mutex mutex;
    std::vector<std::thread> posters;
    test_connection parked(server.port());
    ASSERT_TRUE(parked.send(make_request("GET", "/chat/quiet?since=0&timeout=30")));
    for (int t = 0; t < 6; ++t) {
      posters.emplace_back([&, t] {
        for (int k = 0; k < 500; ++k) {
          const auto res = post(server, "/chat", fmt_body(t, k));
          if (!res || res->result_int() != 200) break;  // stopping: refused or closed
          const auto m = nlohmann::json::parse(res->body());
          const std::lock_guard lock(mutex);
          acknowledged[m["id"].get<std::uint64_t>()] = m;
        }
      });
    }
    ASSERT_TRUE(wait_until([&] { const std::lock_guard lock(mutex); return acknowledged.size() >= 20; }, 20s));
    EXPECT_EQ(server.stop(SIGTERM, 30s), 0) << server.log();
    for (auto& p : posters) p.join();
    EXPECT_TRUE(parked.read_response(5s));  // answered by the drain, not left hanging
  }
  server_process again(with_data(dir.data()));
  ASSERT_TRUE(again.started()) << again.log();
  const auto after = history_of(again);
  std::map<std::uint64_t, nlohmann::json> kept;
  for (const auto& m : after["messages"]) kept[m["id"].get<std::uint64_t>()] = m;
  for (const auto& [id, m] : acknowledged) {
    ASSERT_TRUE(kept.contains(id)) << "answered id " << id << " lost";
    EXPECT_EQ(kept[id], m);
  }
  std::uint64_t expected = 1;
  for (const auto& [id, m] : kept) EXPECT_EQ(id, expected++);
}

}  // namespace
}  // namespace pollchat::testing
