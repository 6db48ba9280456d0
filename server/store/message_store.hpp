#pragma once
// The store seam: where a message becomes durable and which id it gets.
//
// A room keeps the generation barrier, its parked waiters and an in-memory window of recent
// messages; a store decides when a message is safe and numbers it. Every message (a post, a TCP
// line, a join, a leave) takes one path:
//
//   validate -> store.append() -> (durable) -> room.publish(): the window grows, the generation
//   moves, the waiters wake -> the poster is answered.
//
// A message is visible to readers only once published, so with a durable store no reader ever
// sees what a crash could take back.
//
// Two stores plug in here today:
//  * memory (store/memory/): append() runs room::post() inline and returns its result: the
//    room numbers the message under its own lock, exactly as before the seam existed; no thread
//    hop, no allocation beyond the message itself.
//  * sqlite (store/sqlite/): append() queues the message for one writer thread that commits
//    every queued message in one transaction (group commit), numbers them there, publishes them
//    to their rooms in id order and then calls each poster back.
// A new store (Redis) implements message_store, load() and the three counters below; nothing
// above this header changes.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/message.hpp"
#include "core/room.hpp"

namespace pollchat {

struct server_state;

// What an append came to.
struct append_result {
  message_ptr message;    // the stored message, or the earlier one for a repeated key
  bool repeated = false;  // the Idempotency-Key was seen before: nothing was stored
  bool failed = false;    // nothing was stored: the store could not write (store_unavailable)
  bool rooms_full = false;  // ... or, with `failed`, a shared store holds --max-rooms rooms

  static append_result failure() { return {nullptr, false, true, false}; }
  static append_result refused_room() { return {nullptr, false, true, true}; }
};

// Who waits for an append that does not complete inline (a session). Called on the store's
// thread after the message was published to its room: it must only schedule its own work
// (asio::post to its strand) and return.
class append_client {
 public:
  append_client() = default;
  append_client(const append_client&) = delete;
  append_client& operator=(const append_client&) = delete;
  virtual ~append_client() = default;
  virtual void on_appended(append_result result) = 0;
};

// A room as the store found it at start.
struct loaded_room {
  std::string name;
  std::vector<message_ptr> recent;  // its newest --history messages, oldest first
  // Idempotency-Keys of the last ten minutes and the messages they stored, oldest first.
  struct key {
    std::string value;
    message_ptr message;
    std::chrono::system_clock::time_point stored;
  };
  std::vector<key> keys;
};

struct loaded_state {
  std::chrono::steady_clock::time_point began;  // when opening the store began, for the log
  std::string epoch;
  std::vector<loaded_room> rooms;
  std::size_t messages = 0;  // how many were loaded, for the startup log
};

class message_store {
 public:
  message_store() = default;
  message_store(const message_store&) = delete;
  message_store& operator=(const message_store&) = delete;
  virtual ~message_store() = default;

  // Stores `draft` in `target` (remembering `key` when not empty) and publishes it there.
  // Returns the result when the store finished inline (memory); otherwise nullopt, and
  // `client`, when not null, is called back once the message is durable and published, or
  // has failed. A null client makes it fire-and-forget (presence messages). Thread-safe.
  virtual std::optional<append_result> append(const std::shared_ptr<room>& target,
                                              message_draft draft, std::string_view key,
                                              std::shared_ptr<append_client> client) = 0;

  // True when append() always answers inline (memory): callers then need no client.
  virtual bool answers_inline() const { return false; }

  // True when other instances append too (Redis): this instance's newest id may trail theirs
  // by a few milliseconds, so a cursor beyond it is not necessarily wrong.
  virtual bool shared() const { return false; }

  // What the store held at start (epoch, rooms, their messages and keys); taken once, before
  // start(). Empty for a store that starts empty.
  virtual loaded_state take_loaded() { return {}; }

  // The server's state, for a store that learns of rooms and epochs from elsewhere (Redis);
  // given once, before start().
  virtual void bind(server_state& /*state*/) {}

  // Begins taking appends; the rooms of take_loaded() have been restored by then.
  virtual void start() {}

  // A room came into being (so that a room with no message yet survives a restart).
  // Thread-safe.
  virtual void room_created(const std::shared_ptr<room>& /*created*/) {}

  // False while writes fail (healthz says so); true again after the next good write.
  virtual bool healthy() const { return true; }

  // Lines for GET /metrics (Prometheus text), empty for a store with nothing to report.
  virtual std::string render_metrics() const { return {}; }

  // Waits until everything appended so far is durable (or failed), then stops taking work.
  virtual void close() {}
};

// The store of a server: the one it was given, or the in-memory one.
message_store& store_of(server_state& state);

// Hands a presence message (join, leave) to the store without waiting for it.
void emit(message_store& store, const std::shared_ptr<room>& target, message_draft draft);

}  // namespace pollchat
