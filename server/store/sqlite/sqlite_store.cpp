#include "store/sqlite/sqlite_store.hpp"

#include <algorithm>
#include <cstdlib>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/idempotency_cache.hpp"
#include "core/server_state.hpp"
#include "store/sqlite/room_loader.hpp"
#include "store/sqlite/schema.hpp"

namespace pollchat {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;

constexpr auto probe_interval = std::chrono::seconds(1);
constexpr auto key_prune_interval = std::chrono::seconds(60);

std::int64_t to_millis(system_clock::time_point t) {
  return std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
}

// A hook for the tests that prove readers never see an uncommitted message: every commit is
// held back this long. Unset outside tests.
milliseconds test_delay_from_env() {
  const char* value = std::getenv("CHAT_TEST_COMMIT_DELAY_MS");
  return value == nullptr ? milliseconds(0) : milliseconds(std::strtol(value, nullptr, 10));
}

}  // namespace

sqlite_store::sqlite_store(sqlite::data_dir dir, const config& settings)
    : dir_(std::move(dir)), history_(settings.history), test_commit_delay_(test_delay_from_env()) {}

sqlite_store::~sqlite_store() { close(); }

std::unique_ptr<sqlite_store> sqlite_store::open(const config& settings, std::string& error) {
  const auto began = std::chrono::steady_clock::now();
  auto dir = sqlite::data_dir::open(settings.data_dir, error);
  if (!dir.locked()) {
    return nullptr;
  }
  std::unique_ptr<sqlite_store> store(new sqlite_store(std::move(dir), settings));
  error = store->prepare(settings);
  if (error.empty()) {
    error = store->load(settings.history);
  }
  if (!error.empty()) {
    return nullptr;
  }
  store->loaded_.began = began;
  return store;
}

// Opens the database, recognises or creates its schema, sets the journal and prepares every
// statement the writer runs.
std::string sqlite_store::prepare(const config& settings) {
  const std::string path = dir_.database_path();
  if (db_.open(path) != SQLITE_OK) {
    return fmt::format("--data-dir: cannot open '{}': {}", path, db_.error_message());
  }
  if (std::string problem = sqlite::upgrade(db_, path); !problem.empty()) {
    return problem;
  }
  if (db_.read_only()) {
    return fmt::format("--data-dir: cannot write '{}': the file is read-only", path);
  }
  // WAL: readers never block the writer and a commit appends to one file; FULL syncs that file
  // at every commit (survives power loss), NORMAL only at checkpoints (survives kill -9).
  const std::string pragmas = fmt::format("PRAGMA journal_mode = WAL; PRAGMA synchronous = {};",
                                          settings.sync == "normal" ? "NORMAL" : "FULL");
  if (db_.exec(pragmas.c_str()) != SQLITE_OK) {
    return fmt::format("--data-dir: cannot set up '{}': {}", path, db_.error_message());
  }
  struct prepared {
    sqlite::statement& statement;
    std::string_view sql;
  };
  const prepared all[] = {
      {begin_, "BEGIN IMMEDIATE"},
      {commit_, "COMMIT"},
      {rollback_, "ROLLBACK"},
      {insert_room_, "INSERT INTO rooms(name) VALUES (?1)"},
      {insert_message_,
       "INSERT INTO messages(room, id, type, sender, body, time_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"},
      {insert_key_, "INSERT OR REPLACE INTO post_keys(room, key, id, stored_ms) VALUES (?1, ?2, ?3, ?4)"},
      // Rows beyond --history go, but not one that a recent Idempotency-Key still answers with.
      {prune_messages_,
       "DELETE FROM messages WHERE room = ?1 AND id <= ?2 "
       "AND id NOT IN (SELECT id FROM post_keys WHERE room = ?1)"},
      {prune_keys_, "DELETE FROM post_keys WHERE stored_ms < ?1"},
      {find_key_,
       "SELECT m.id, m.type, m.sender, m.body, m.time_ms FROM post_keys k "
       "JOIN messages m ON m.room = k.room AND m.id = k.id "
       "WHERE k.room = ?1 AND k.key = ?2 AND k.stored_ms > ?3"},
      {probe_, "INSERT OR REPLACE INTO meta(key, value) VALUES ('probed', ?1)"},
  };
  for (const auto& p : all) {
    if (p.statement.prepare(db_, p.sql) != SQLITE_OK) {
      return fmt::format("--data-dir: cannot prepare a statement on '{}': {}", path,
                         db_.error_message());
    }
  }
  return {};
}

// Reads the epoch (making one for a new database), every room, its newest --history messages
// and the keys of the last ten minutes.
std::string sqlite_store::load(std::size_t history) {
  const std::string path = dir_.database_path();
  const auto failed = [&] {
    return fmt::format("--data-dir: cannot read '{}': {}", path, db_.error_message());
  };
  sqlite::statement epoch;
  if (epoch.prepare(db_, "SELECT value FROM meta WHERE key = 'epoch'") != SQLITE_OK) {
    return failed();
  }
  int rc = epoch.step();
  if (rc == SQLITE_ROW) {
    loaded_.epoch = std::string(epoch.column_text(0));
  } else if (rc != SQLITE_DONE) {
    return failed();
  }
  // Also the proof that the file takes writes, before the server listens.
  const bool fresh = loaded_.epoch.empty();
  if (fresh) {
    loaded_.epoch = make_epoch();
  }
  sqlite::statement stamp;
  if (stamp.prepare(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES ('epoch', ?1)") != SQLITE_OK) {
    return failed();
  }
  stamp.bind(1, loaded_.epoch);
  if (stamp.run() != SQLITE_OK) {
    return fmt::format("--data-dir: cannot write '{}': {}", path, db_.error_message());
  }

  sqlite::statement rooms;
  if (rooms.prepare(db_, "SELECT id, name FROM rooms ORDER BY id") != SQLITE_OK) {
    return failed();
  }
  std::vector<sqlite::room_row_ref> refs;
  while ((rc = rooms.step()) == SQLITE_ROW) {
    refs.push_back({rooms.column_int(0), std::string(rooms.column_text(1))});
  }
  if (rc != SQLITE_DONE) {
    return failed();
  }
  const std::int64_t key_cutoff =
      to_millis(system_clock::now() - idempotency_cache::default_ttl);
  if (std::string why = sqlite::load_rooms(path, db_, refs, history, key_cutoff, loaded_.rooms);
      !why.empty()) {
    return fmt::format("--data-dir: cannot read '{}': {}", path, why);
  }
  for (std::size_t k = 0; k < refs.size(); ++k) {
    const auto& recent = loaded_.rooms[k].recent;
    rooms_[refs[k].name] = room_row{refs[k].id, recent.empty() ? 0 : recent.back()->id};
    loaded_.messages += recent.size();
  }
  return {};
}

void sqlite_store::bind(server_state& state) { budget_ = &state.memory; }

void sqlite_store::start() {
  loaded_ = {};  // the rooms hold what they need now (normally taken already)
  keys_pruned_ = std::chrono::steady_clock::now();
  writer_ = std::thread([this] { run_writer(); });
}

std::optional<append_result> sqlite_store::append(const std::shared_ptr<room>& target,
                                                  message_draft draft, std::string_view key,
                                                  std::shared_ptr<append_client> client) {
  // A key the room already answered needs no write: the first message, at once.
  if (!key.empty()) {
    if (auto first = target->find_key(key)) {
      return append_result{std::move(first), true, false};
    }
  }
  {
    const std::lock_guard lock(mutex_);
    if (closing_) {
      return append_result::failure();
    }
    queue_.push_back({target, std::move(draft), std::string(key), std::move(client), false});
  }
  wake_.notify_one();
  return std::nullopt;
}

void sqlite_store::room_created(const std::shared_ptr<room>& created) {
  {
    const std::lock_guard lock(mutex_);
    if (closing_) {
      return;
    }
    queue_.push_back({created, {}, {}, nullptr, true});
  }
  wake_.notify_one();
}

void sqlite_store::close() {
  {
    const std::lock_guard lock(mutex_);
    if (closing_) {
      return;
    }
    closing_ = true;
  }
  wake_.notify_one();
  if (writer_.joinable()) {
    writer_.join();
  }
}

// --- the writer thread --------------------------------------------------------------------

void sqlite_store::run_writer() {
  std::vector<pending> batch;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      const auto ready = [this] { return !queue_.empty() || closing_; };
      if (healthy_.load()) {
        wake_.wait(lock, ready);
      } else {
        wake_.wait_for(lock, probe_interval, ready);  // unhealthy: probe once a second
      }
      batch.swap(queue_);
      if (batch.empty() && closing_) {
        return;
      }
    }
    if (batch.empty()) {
      probe();
      continue;
    }
    commit(batch);
    batch.clear();
  }
}

sqlite_store::room_row* sqlite_store::find_room(const std::string& name) {
  if (const auto it = rooms_.find(name); it != rooms_.end()) {
    return &it->second;
  }
  insert_room_.bind(1, name);
  if (insert_room_.run() != SQLITE_OK) {
    return nullptr;
  }
  auto& row = rooms_[name];
  row.id = sqlite3_last_insert_rowid(db_.get());
  return &row;
}

message_ptr sqlite_store::stored_key(const room_row& row, const std::string& room_name,
                                     const std::string& key, system_clock::time_point now) {
  find_key_.bind(1, row.id);
  find_key_.bind(2, key);
  find_key_.bind(3, to_millis(now - idempotency_cache::default_ttl));
  message_ptr first;
  if (find_key_.step() == SQLITE_ROW) {
    first = sqlite::message_from_row(find_key_, 0, room_name);
  }
  find_key_.reset();
  return first;
}

void sqlite_store::commit(std::vector<pending>& batch) {
  const auto started = std::chrono::steady_clock::now();
  // What this transaction changed in rooms_, to put back if it fails.
  std::unordered_map<std::string, std::optional<room_row>> undo;
  std::vector<append_result> results(batch.size());
  std::unordered_map<std::string, message_ptr> keys_in_batch;  // "room\nkey" -> message
  std::uint64_t stored = 0;
  std::string why;

  bool ok = begin_.run() == SQLITE_OK;
  const auto now = system_clock::now();
  const auto time = std::chrono::floor<milliseconds>(now);  // what the disk keeps
  for (std::size_t k = 0; ok && k < batch.size(); ++k) {
    pending& p = batch[k];
    const std::string& name = p.target->name();
    if (!undo.contains(name)) {
      const auto it = rooms_.find(name);
      undo.emplace(name, it == rooms_.end() ? std::nullopt : std::optional(it->second));
    }
    room_row* row = find_room(name);
    if (row == nullptr) {
      ok = false;
      break;
    }
    if (p.room_only) {
      continue;
    }
    // A repeated key: an earlier transaction's message (the room knows it) or this one's.
    if (!p.key.empty()) {
      std::string batch_key = name + '\n' + p.key;
      message_ptr first = p.target->find_key(p.key);
      if (!first) {
        if (const auto it = keys_in_batch.find(batch_key); it != keys_in_batch.end()) {
          first = it->second;
        }
      }
      if (!first) {
        // The room may have let go of the key (--max-history-bytes sheds keys with messages);
        // the disk keeps it for its ten minutes.
        first = stored_key(*row, name, p.key, now);
      }
      if (first) {
        results[k] = {std::move(first), true, false};
        continue;
      }
    }
    const std::uint64_t id = row->last_id + 1;
    const message_draft& d = p.draft;
    insert_message_.bind(1, row->id);
    insert_message_.bind(2, static_cast<std::int64_t>(id));
    insert_message_.bind(3, sqlite::type_to_column(d.type));
    insert_message_.bind(4, d.from);
    insert_message_.bind(5, d.body);
    insert_message_.bind(6, to_millis(time));
    if (insert_message_.run() != SQLITE_OK) {
      ok = false;
      break;
    }
    if (!p.key.empty()) {
      insert_key_.bind(1, row->id);
      insert_key_.bind(2, p.key);
      insert_key_.bind(3, static_cast<std::int64_t>(id));
      insert_key_.bind(4, to_millis(now));
      if (insert_key_.run() != SQLITE_OK) {
        ok = false;
        break;
      }
    }
    row->last_id = id;
    results[k].message = make_message(id, name, std::move(p.draft), time, budget_);
    if (!p.key.empty()) {
      keys_in_batch.emplace(name + '\n' + p.key, results[k].message);
    }
    ++stored;
  }
  // Keep each room touched to its newest --history rows (an index range delete: cheap).
  for (auto it = undo.begin(); ok && it != undo.end(); ++it) {
    const room_row& row = rooms_[it->first];
    if (row.last_id > history_) {
      prune_messages_.bind(1, row.id);
      prune_messages_.bind(2, static_cast<std::int64_t>(row.last_id - history_));
      ok = prune_messages_.run() == SQLITE_OK;
    }
  }
  if (ok && std::chrono::steady_clock::now() - keys_pruned_ > key_prune_interval) {
    prune_keys_.bind(1, to_millis(now - idempotency_cache::default_ttl));
    ok = prune_keys_.run() == SQLITE_OK;
    keys_pruned_ = std::chrono::steady_clock::now();
  }
  if (ok && test_commit_delay_.count() > 0) {
    std::this_thread::sleep_for(test_commit_delay_);
  }
  ok = ok && commit_.run() == SQLITE_OK;

  if (!ok) {
    why = db_.error_message();
    rollback_.run();  // may fail when SQLite rolled back by itself: nothing left to undo then
    for (auto& [name, before] : undo) {
      if (before) {
        rooms_[name] = *before;
      } else {
        rooms_.erase(name);
      }
    }
    failed_commits_.fetch_add(1, std::memory_order_relaxed);
    set_healthy(false, why);
    for (auto& p : batch) {
      if (p.client) {
        p.client->on_appended(append_result::failure());
      }
    }
    return;
  }
  const auto elapsed = std::chrono::steady_clock::now() - started;
  commits_.fetch_add(1, std::memory_order_relaxed);
  committed_messages_.fetch_add(stored, std::memory_order_relaxed);
  commit_nanoseconds_.fetch_add(
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()),
      std::memory_order_relaxed);
  set_healthy(true, {});

  // Durable: publish room by room, in id order, before anyone is answered, so that a poster
  // that reads right after its 200 finds its message.
  std::vector<std::pair<room*, std::vector<room::durable>>> by_room;
  for (std::size_t k = 0; k < batch.size(); ++k) {
    if (batch[k].room_only || results[k].repeated) {
      continue;
    }
    room* target = batch[k].target.get();
    auto it = std::find_if(by_room.begin(), by_room.end(),
                           [&](const auto& entry) { return entry.first == target; });
    if (it == by_room.end()) {
      by_room.emplace_back(target, std::vector<room::durable>{});
      it = by_room.end() - 1;
    }
    it->second.push_back({results[k].message, batch[k].key});
  }
  for (const auto& [target, messages] : by_room) {
    target->publish(messages);
  }
  // Past --max-history-bytes the largest rooms shed their oldest messages, as after an
  // in-memory post (no room is locked here).
  if (budget_ != nullptr) {
    budget_->relieve();
  }
  for (std::size_t k = 0; k < batch.size(); ++k) {
    if (batch[k].client) {
      batch[k].client->on_appended(std::move(results[k]));
    }
  }
}

// While unhealthy and idle: try a small write, so health comes back without waiting for a post.
void sqlite_store::probe() {
  probe_.bind(1, format_time(system_clock::now()));
  const bool ok = probe_.run() == SQLITE_OK;
  set_healthy(ok, ok ? std::string() : db_.error_message());
}

void sqlite_store::set_healthy(bool healthy, const std::string& why) {
  const bool was = healthy_.exchange(healthy);
  if (was && !healthy) {
    spdlog::error("store: cannot write to {}: {}; posts answer 503 until writes succeed again",
                  dir_.database_path(), why);
  } else if (!was && healthy) {
    spdlog::info("store: writes succeed again");
  }
}

std::string sqlite_store::render_metrics() const {
  std::string out;
  const auto counter = [&](const char* name, const char* help, auto value) {
    out += fmt::format("# HELP {0} {1}\n# TYPE {0} counter\n{0} {2}\n", name, help, value);
  };
  counter("pollchat_store_commits_total", "Transactions committed by the store's writer.",
          commits_.load());
  counter("pollchat_store_batch_messages_total",
          "Messages committed (divided by commits: the mean batch).", committed_messages_.load());
  counter("pollchat_store_commit_seconds_sum",
          "Seconds spent committing (divided by commits: the mean commit time).",
          static_cast<double>(commit_nanoseconds_.load()) / 1e9);
  counter("pollchat_store_failed_commits_total", "Transactions that failed (nothing stored).",
          failed_commits_.load());
  out += fmt::format(
      "# HELP pollchat_store_healthy 1 while writes succeed.\n"
      "# TYPE pollchat_store_healthy gauge\npollchat_store_healthy {}\n",
      healthy_.load() ? 1 : 0);
  return out;
}

}  // namespace pollchat
