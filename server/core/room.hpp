#pragma once
// A room: its history, its generation (the newest id) and its parked waiters.
//
// The generation barrier
// ----------------------
// A long-poll is the asynchronous form of `wait until generation > cursor`. Everything that
// decides whether a reader waits or answers happens under the room's one mutex, and none of it
// does I/O:
//
//  * poll(): if the room is closed, or holds messages after the reader's cursor, the reader
//    takes them at once; otherwise it is registered as a waiter. The check and the
//    registration share the mutex that post() holds while it bumps the generation, so no
//    message can slip in between them: a wake-up is never lost.
//  * post(): appends the message, bumps the generation, trims the history and swaps the whole
//    waiter list out. Only after the mutex is released is each waiter notified. notify() may
//    only schedule work on the waiter's own executor (its strand); it never completes a
//    response inline, so no handler ever runs under the lock.
//  * A woken waiter does not trust why it woke: it calls poll() again, which answers with
//    whatever is after its cursor. A stale or duplicate notify() therefore costs a lock and
//    nothing else, and timeouts, disconnects and shutdown all converge on the same call.
//  * The room holds waiters weakly: a parked session is kept alive by its own pending
//    operations (its poll timer, its read that notices the client leaving). A waiter removes
//    itself with cancel_wait() on timeout, on disconnect and in its destructor, so the list
//    never holds a dead entry and never grows past the readers actually parked.
//  * close() is level-triggered: it wakes every waiter, and every later poll() answers
//    `closed` at once, so a reader that parks during shutdown is not forgotten.
//
// Behind a store
// --------------
// post() numbers and appends a message at once: that is the in-memory store. A durable store
// (store/message_store.hpp) numbers messages itself, off the event loop, and hands them to
// publish() only once they are committed: publish() is post()'s second half (append, bump,
// trim, swap the waiters out, notify outside the lock), so a reader can never see a message
// that a crash would take back. Presence is split the same way: admit(), dismiss() and
// expire() change the membership and return the join or leave to hand to the store.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/names.hpp"
#include "core/history.hpp"
#include "core/idempotency_cache.hpp"
#include "core/memory_budget.hpp"
#include "core/message.hpp"
#include "core/presence.hpp"

namespace pollchat {

// Something parked in a room: a long-poll waiting for the generation to pass its cursor.
class room_waiter {
 public:
  room_waiter() = default;
  room_waiter(const room_waiter&) = delete;
  room_waiter& operator=(const room_waiter&) = delete;
  virtual ~room_waiter() = default;

  // Called on the posting thread, outside the room's lock. Must only schedule the waiter's own
  // work (asio::post to its strand) and return.
  virtual void notify() = 0;

 private:
  friend class room;
  // Index in the waiter list of the room this waiter last parked in. Guarded by that room's
  // mutex; may be stale after a post swapped the list out (room::is_parked checks identity).
  std::size_t slot_ = 0;
};

// What a reader receives: messages after its cursor and where to continue.
struct batch {
  std::vector<message_ptr> messages;
  std::uint64_t next = 0;    // the cursor to send next time
  std::uint64_t missed = 0;  // messages after the cursor that are no longer retained
};

enum class poll_state {
  ready,   // messages after the cursor: `batch` holds them
  parked,  // nothing yet: the waiter is registered and will be notified
  closed,  // the room is closing (shutdown): answer at once
};

struct poll_outcome {
  poll_state state = poll_state::parked;
  batch messages;
};

struct post_outcome {
  message_ptr message;
  bool repeated = false;  // an Idempotency-Key seen before: nothing was stored
};

// The memory a room may hold (SPEC §2 history; docs/security.md).
struct room_limits {
  std::size_t history = 1000;                   // messages retained
  std::size_t history_bytes = history::unlimited;  // bytes retained
  std::size_t idempotency_keys = idempotency_cache::default_capacity;
  memory_budget* budget = nullptr;  // the server's; charged for every message and key
};

class room {
 public:
  room(std::string name, std::size_t history_capacity);
  room(std::string name, const room_limits& limits);
  room(const room&) = delete;
  room& operator=(const room&) = delete;

  const std::string& name() const { return name_; }  // immutable: no lock needed

  // Stores a message and wakes every parked waiter. With a non-empty key already used in the
  // last ten minutes, stores nothing and returns the first message. Thread-safe.
  post_outcome post(message_draft draft, std::string_view idempotency_key = {});

  // Takes up to `limit` messages after `cursor`, or parks `waiter` until there are some.
  // Parking twice is harmless: a registered waiter stays registered once. Thread-safe.
  poll_outcome poll(std::uint64_t cursor, std::size_t limit,
                    const std::shared_ptr<room_waiter>& waiter);

  // Removes the waiter if it is parked here. Thread-safe; a no-op otherwise.
  void cancel_wait(room_waiter& waiter);

  // Messages after `cursor` without parking (a poll that ended by timeout). Thread-safe.
  batch read(std::uint64_t cursor, std::size_t limit) const;

  // Wakes every waiter; from now on every poll() answers `closed`. Thread-safe.
  void close();

  std::uint64_t last_id() const;
  std::size_t parked() const;

  // --- the store's side ---------------------------------------------------------------------
  // The message stored under `key` in the last ten minutes, or nullptr. Thread-safe.
  message_ptr find_key(std::string_view key);

  // A durable message and the Idempotency-Key it was posted with (empty: none).
  struct durable {
    message_ptr message;
    std::string_view key;
  };
  // Makes committed messages visible: appends them (each one past the newest id), remembers
  // their keys and wakes every parked waiter once. Thread-safe.
  void publish(std::span<const durable> messages);

  // Starts the room's sequence over after `last_id` with an empty window and no keys, and
  // wakes every waiter: the Redis store's answer to a new epoch, or to a gap it can no longer
  // fill (the messages were trimmed from Redis meanwhile; readers are told through `missed`).
  // Thread-safe.
  void restart_after(std::uint64_t last_id);

  // What the store kept from an earlier run, before anyone reads: the newest messages (oldest
  // first, contiguous ids) and the keys of the last ten minutes. Thread-safe.
  void restore(std::span<const message_ptr> recent);
  void restore_key(std::string key, message_ptr m, std::chrono::system_clock::time_point stored);

  // Memory (the budget's relief and the sweep). Thread-safe.
  std::size_t retained_bytes() const;
  // Drops the oldest retained messages (never the newest) worth up to `bytes`, and the
  // Idempotency-Keys of messages no longer retained; returns the history bytes dropped.
  std::size_t shed(std::size_t bytes);
  // Forgets every Idempotency-Key (the relief's last resort); returns how many.
  std::size_t forget_keys();
  // Drops the Idempotency-Keys older than their ten minutes.
  void expire_keys(idempotency_cache::clock::time_point now);

  // Presence (SPEC §4). Joining and leaving are messages in the room's history, emitted under
  // the same lock as the membership change, so they are ordered with everything else.
  // Returns the id of the join message, or 0 when `client` was a member already (refreshed).
  std::uint64_t join(const std::string& client, std::string_view name, member_via via);
  // The same membership changes for a room behind a store: each returns the join or leave
  // message to hand to the store (nothing when the membership did not change).
  std::optional<message_draft> admit(const std::string& client, std::string_view name,
                                     member_via via);
  // dismiss() also takes a mirrored member (served by another instance) that leaves here.
  std::optional<message_draft> dismiss(const std::string& client);
  // Drops this instance's membership of `client` without a leave: the store says the member
  // left everywhere already. True when it was a member here.
  bool forget(const std::string& client);
  // This instance's own members with their client keys (the Redis store checks them against
  // Redis's list after a link-up). Thread-safe.
  std::vector<presence::departed> own_members() const;
  std::vector<message_draft> expire(presence::clock::duration grace);
  std::vector<message_draft> dismiss_all();  // a clean stop: every member leaves
  void refresh(const std::string& client);  // a post: keeps an existing member's lease fresh
  presence::membership poll_began(const std::string& client);
  void poll_ended(const std::string& client, presence::membership held);
  bool leave(const std::string& client);  // true when it was a member: a leave was emitted
  bool rename(const std::string& client, std::string_view name);
  // Emits a leave for every HTTP member idle longer than `grace` with no poll parked.
  void expire_members(presence::clock::duration grace);
  // Members on other instances (Redis), mirrored from their joins and leaves: listed and
  // counted with this room's own (once, when a client is a member here and there), never
  // expired here (their own instance, or its lease in Redis, ends them). `key` names the member
  // across instances: an HTTP member's is the same on every instance. Thread-safe.
  void mirror_join(std::string key, member_info info);
  void mirror_leave(const std::string& key);
  void mirror_reset(std::unordered_map<std::string, member_info> members);

  std::vector<member_info> members() const;  // this instance's and the mirrored, by join time
  std::size_t member_count() const;
  bool is_member(const std::string& client) const;

 private:
  struct parked_waiter {
    room_waiter* identity;  // compared only, never dereferenced outside the lock
    std::weak_ptr<room_waiter> handle;
  };

  batch read_locked(std::uint64_t cursor, std::size_t limit) const;
  message_ptr append_locked(message_draft draft);
  void append_locked(message_ptr m);
  bool is_parked_locked(const room_waiter& waiter) const;
  static void notify_all(const std::vector<parked_waiter>& waiters);
  void relieve_memory() const;  // with no lock held: the budget sheds when it is over

  const std::string name_;
  memory_budget* const budget_;  // may be null (unit tests); thread-safe
  mutable std::mutex mutex_;
  history history_;                     // guarded by mutex_
  std::uint64_t last_id_ = 0;           // guarded by mutex_: the generation
  std::vector<parked_waiter> waiters_;  // guarded by mutex_
  idempotency_cache idempotency_;       // guarded by mutex_
  presence members_;                    // guarded by mutex_
  std::unordered_map<std::string, member_info> remote_members_;  // guarded by mutex_
  bool closed_ = false;                 // guarded by mutex_
};

}  // namespace pollchat
