#pragma once
// The SQLite store (--data-dir): every message is committed before anyone sees it or its
// poster is answered, and many messages share one commit.
//
// Group commit, with no timer
// ---------------------------
// append() only queues the message (any thread, under a short lock) and wakes the writer. The
// writer thread owns the only connection: it takes *everything* queued, numbers each message
// (one past its room's newest id), inserts them, prunes rows beyond --history and commits, all
// in one transaction; then it publishes the messages to their rooms in id order (the rooms wake
// their readers) and calls each poster back. While it commits, new posts queue up and go into
// the next transaction: under load a batch grows to whatever arrived during one fsync, and a
// lone post is committed at once. The event loop never waits for the disk.
//
// Ids are assigned in the writer only, from its own per-room counter; a transaction that fails
// puts the counters back, so the next one reuses the ids that never became visible and no id is
// ever skipped or given twice. A failed commit answers every message of its batch
// `store_unavailable` and marks the store unhealthy (healthz says so); the next commit that
// succeeds (a post, or the writer's probe once a second) makes it healthy again.
//
// close() (the last step of a clean stop) lets the writer commit what is queued, then joins
// it; an append after that fails at once.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/config.hpp"
#include "store/message_store.hpp"
#include "store/sqlite/data_dir.hpp"
#include "store/sqlite/sqlite_handle.hpp"

namespace pollchat {

class sqlite_store final : public message_store {
 public:
  // Creates or opens --data-dir, locks it, recognises or upgrades the database and loads it.
  // nullptr with `error` set (a line for an operator) when any of that fails.
  static std::unique_ptr<sqlite_store> open(const config& settings, std::string& error);
  ~sqlite_store() override;

  loaded_state take_loaded() override { return std::move(loaded_); }
  // Takes the server's memory budget, which the messages it commits are charged to.
  void bind(server_state& state) override;
  // Starts the writer thread.
  void start() override;

  std::optional<append_result> append(const std::shared_ptr<room>& target, message_draft draft,
                                      std::string_view key,
                                      std::shared_ptr<append_client> client) override;
  void room_created(const std::shared_ptr<room>& created) override;
  bool healthy() const override { return healthy_.load(); }
  std::string render_metrics() const override;
  void close() override;

 private:
  struct pending {
    std::shared_ptr<room> target;
    message_draft draft;
    std::string key;
    std::shared_ptr<append_client> client;
    bool room_only = false;  // record the room, store no message
  };
  struct room_row {
    std::int64_t id = 0;         // rooms.id
    std::uint64_t last_id = 0;   // the newest committed message id
  };

  sqlite_store(sqlite::data_dir dir, const config& settings);
  std::string prepare(const config& settings);
  std::string load(std::size_t history);
  void enqueue(pending p);

  // The writer thread.
  void run_writer();
  void commit(std::vector<pending>& batch);
  room_row* find_room(const std::string& name);  // inserting it when new; null on error
  // The message an Idempotency-Key of the last ten minutes answered with, read from the disk;
  // null when the key is new.
  message_ptr stored_key(const room_row& row, const std::string& room_name, const std::string& key,
                         std::chrono::system_clock::time_point now);
  void probe();
  void set_healthy(bool healthy, const std::string& why);

  sqlite::data_dir dir_;
  sqlite::connection db_;  // the writer's (and, before start(), the loader's)
  sqlite::statement begin_, commit_, rollback_;
  sqlite::statement insert_room_, insert_message_, insert_key_, prune_messages_, prune_keys_;
  sqlite::statement find_key_;
  sqlite::statement probe_;
  const std::size_t history_;
  const std::chrono::milliseconds test_commit_delay_;  // CHAT_TEST_COMMIT_DELAY_MS, tests only
  // The server's budget (--max-history-bytes): set by bind() before start(), then read by the
  // writer only; null in tests that run a store without a server.
  memory_budget* budget_ = nullptr;
  loaded_state loaded_;
  std::unordered_map<std::string, room_row> rooms_;  // writer thread only (after start)
  std::chrono::steady_clock::time_point keys_pruned_;  // writer thread only

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<pending> queue_;  // guarded by mutex_
  bool closing_ = false;        // guarded by mutex_: the writer drains, then stops
  std::thread writer_;

  // Thread-safe (atomic): read by healthz and /metrics.
  std::atomic<bool> healthy_{true};
  std::atomic<std::uint64_t> commits_{0};
  std::atomic<std::uint64_t> committed_messages_{0};
  std::atomic<std::uint64_t> commit_nanoseconds_{0};
  std::atomic<std::uint64_t> failed_commits_{0};
};

}  // namespace pollchat
