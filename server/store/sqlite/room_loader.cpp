#include "store/sqlite/room_loader.hpp"

#include <sched.h>

#include <algorithm>
#include <exception>
#include <thread>

#include "store/sqlite/schema.hpp"

namespace pollchat::sqlite {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;

// Rooms below this many per thread are read on the calling thread alone: a thread costs more
// than it saves on a small database.
constexpr std::size_t rooms_per_thread = 64;
constexpr unsigned max_threads = 4;

// Through a memory map SQLite reads pages where they lie in the page cache instead of copying
// each into its own cache: a tenth of a restart's CPU with 1,000,000 messages. (The writer goes
// back to ordinary reads afterwards, so that a file shrunk under it can only fail a statement.)
constexpr const char* map_the_file = "PRAGMA mmap_size = 4294967296";

// Reads rooms through one connection with its two prepared statements.
class room_reader {
 public:
  explicit room_reader(connection& db) : db_(db) {}

  std::string prepare() {
    db_.exec(map_the_file);  // an optimisation only: reading works without it
    if (recent_.prepare(db_,
                        "SELECT id, type, sender, body, time_ms FROM messages WHERE room = ?1 "
                        "ORDER BY id DESC LIMIT ?2") != SQLITE_OK ||
        keys_.prepare(db_,
                      "SELECT k.key, k.stored_ms, m.id, m.type, m.sender, m.body, m.time_ms "
                      "FROM post_keys k JOIN messages m ON m.room = k.room AND m.id = k.id "
                      "WHERE k.room = ?1 AND k.stored_ms > ?2 ORDER BY k.stored_ms") != SQLITE_OK) {
      return db_.error_message();
    }
    return {};
  }

  std::string read(const room_row_ref& ref, std::size_t history, std::int64_t key_cutoff_ms,
                   loaded_room& r) {
    r.name = ref.name;
    recent_.bind(1, ref.id);
    recent_.bind(2, static_cast<std::int64_t>(history));
    int rc = 0;
    while ((rc = recent_.step()) == SQLITE_ROW) {
      r.recent.push_back(message_from_row(recent_, 0, r.name));
    }
    recent_.reset();
    if (rc != SQLITE_DONE) {
      return db_.error_message();
    }
    std::reverse(r.recent.begin(), r.recent.end());
    keys_.bind(1, ref.id);
    keys_.bind(2, key_cutoff_ms);
    while ((rc = keys_.step()) == SQLITE_ROW) {
      const auto id = static_cast<std::uint64_t>(keys_.column_int(2));
      message_ptr m;
      // The key's message is usually in the window already: share it.
      if (!r.recent.empty() && id >= r.recent.front()->id) {
        m = r.recent[id - r.recent.front()->id];
      } else {
        m = message_from_row(keys_, 2, r.name);
      }
      r.keys.push_back({std::string(keys_.column_text(0)), std::move(m),
                        system_clock::time_point(milliseconds(keys_.column_int(1)))});
    }
    keys_.reset();
    return rc == SQLITE_DONE ? std::string() : db_.error_message();
  }

 private:
  connection& db_;
  statement recent_, keys_;
};

// Thread `index` of `threads` reads rooms index, index + threads, ... (interleaved, so that
// big and small rooms spread evenly).
std::string read_share(connection& db, std::span<const room_row_ref> rooms, std::size_t history,
                       std::int64_t key_cutoff_ms, std::vector<loaded_room>& out,
                       std::size_t index, std::size_t threads) {
  room_reader reader(db);
  if (std::string error = reader.prepare(); !error.empty()) {
    return error;
  }
  for (std::size_t k = index; k < rooms.size(); k += threads) {
    if (std::string error = reader.read(rooms[k], history, key_cutoff_ms, out[k]); !error.empty()) {
      return error;
    }
  }
  return {};
}

}  // namespace

std::string load_rooms(const std::string& path, connection& main,
                       std::span<const room_row_ref> rooms, std::size_t history,
                       std::int64_t key_cutoff_ms, std::vector<loaded_room>& out) {
  out.assign(rooms.size(), loaded_room{});
  // The cores this process may run on (taskset, a container's cpuset), not all the machine's.
  std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
  if (cpu_set_t set; sched_getaffinity(0, sizeof(set), &set) == 0) {
    cores = static_cast<std::size_t>(std::max(1, CPU_COUNT(&set)));
  }
  const std::size_t threads =
      std::clamp<std::size_t>(rooms.size() / rooms_per_thread, 1, std::min<std::size_t>(cores, max_threads));
  // Threads 1.. read through their own connections; this thread is number 0, on `main`.
  std::vector<std::string> errors(threads);
  std::vector<std::thread> helpers;
  for (std::size_t t = 1; t < threads; ++t) {
    helpers.emplace_back([&, t] {
      // An exception must not leave a thread (std::terminate): it becomes the share's error.
      try {
        connection own;
        if (own.open(path) != SQLITE_OK) {
          errors[t] = own.error_message();
          return;
        }
        errors[t] = read_share(own, rooms, history, key_cutoff_ms, out, t, threads);
      } catch (const std::exception& e) {
        errors[t] = e.what();
      }
    });
  }
  try {
    errors[0] = read_share(main, rooms, history, key_cutoff_ms, out, 0, threads);
  } catch (const std::exception& e) {
    errors[0] = e.what();  // the helpers are joined below all the same
  }
  main.exec("PRAGMA mmap_size = 0");
  for (auto& h : helpers) {
    h.join();
  }
  for (const auto& e : errors) {
    if (!e.empty()) {
      return e;
    }
  }
  return {};
}

}  // namespace pollchat::sqlite
