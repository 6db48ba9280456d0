#pragma once
// The Redis store (--redis): several instances share their rooms through one Redis (SPEC §9).
//
// How a message travels
// ---------------------
// append() hands the message to the store's own event-loop thread, which runs the post script
// (store/redis/scripts.hpp): Redis numbers it, appends it to the room's log, remembers its
// Idempotency-Key and publishes it on the instances' channel, all in one atomic step. When the
// script returns, the message is durable as far as Redis is (its AOF setting); the store
// delivers it to its room here and answers the poster. Every instance, this one included,
// also receives it from the channel and delivers it to its own room: whichever copy comes first
// is published, the other is recognised by its id and dropped.
//
// Delivery keeps each room's ids contiguous: a message whose id is not one past the room's
// newest waits in the room's `pending` set while the store reads the missing ones from Redis
// (the read script). Messages trimmed from Redis before this instance saw them restart the
// room after them, and readers are told through `missed`.
//
// Epochs: the first instance that finds Redis without an epoch sets one; a message or a read
// that names another epoch than ours means Redis was emptied, and every room starts over. A
// room whose newest id in Redis is below what we published means Redis went back to an older
// snapshot: this instance sets a new epoch in Redis, so no id is reused within one.
//
// While Redis is away (or not yet reached at start) appends fail at once (503
// store_unavailable), healthy() is false, and reads are served from the rooms' windows. Each
// time the link comes back, every room is read again from where this instance stands: the
// channel drops what is published while an instance is not subscribed.
//
// Presence: one client is one member, whichever instances serve it. An HTTP member is named by
// its client key alone (its polls may land on any instance behind a balancer); a TCP member,
// whose connection lives on one instance, as "<instance>/<client key>". Joins and leaves go
// through the post script, which keeps the room's member list in Redis and, per member, the
// instances that hold it now ("holders"):
//  * the first instance to take a member stores and publishes its join; another instance that
//    takes it (the client's next poll landed there) only becomes a holder: no second join;
//  * an instance that lets go (the client stopped polling there: its presence grace ran out,
//    or the instance stops) leaves the holders; the leave is said when the last one lets go;
//  * an explicit leave (POST /rooms/R/leave, TCP /quit) ends the member at once on every
//    instance: the message names the holders, and each forgets its own membership.
// Every instance mirrors Redis's member list into its rooms from those joins and leaves (and
// reads it whole after each link-up); a room shows a client that it serves and mirrors once.
// Each instance holds a lease in Redis, refreshed every few seconds; an instance that finds
// another's lease run out (it died without saying goodbye) removes it as a holder of each of its
// members, so that a member leaves only when no live instance serves it, once however many
// instances notice.
//
// Threads: one thread runs the store's io_context; hiredis and every member marked "loop" are
// touched by it only. append() and the other entry points are thread-safe.

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "core/config.hpp"
#include "store/message_store.hpp"
#include "store/redis/link.hpp"
#include "store/redis/stored_message.hpp"

namespace pollchat::redis {

class redis_store final : public message_store {
 public:
  // Checks --redis and --redis-prefix (nothing is connected yet: an unreachable Redis at start
  // is not fatal). nullptr with `error` set when they are malformed.
  static std::unique_ptr<redis_store> open(const config& settings, std::string& error);
  ~redis_store() override;

  void bind(server_state& state) override { state_ = &state; }
  void start() override;
  std::optional<append_result> append(const std::shared_ptr<room>& target, message_draft draft,
                                      std::string_view key,
                                      std::shared_ptr<append_client> client) override;
  bool shared() const override { return true; }
  void room_created(const std::shared_ptr<room>& created) override;
  bool healthy() const override { return ready_.load(); }
  std::string render_metrics() const override;
  void close() override;

 private:
  // Where a room's delivery stands. Loop thread only.
  struct room_sync {
    std::map<std::uint64_t, stored_message> pending;  // received, waiting for the ids before them
    bool fetching = false;                         // a read of the missing ids is on its way
  };

  redis_store(endpoint where, std::string prefix, const config& settings);

  // All on the loop thread.
  void on_link(bool up, const std::string& why);
  void adopt_epoch();
  void resync_all();
  void store_message(std::shared_ptr<room> target, message_draft draft, std::string key,
                     std::shared_ptr<append_client> client);
  void deliver(const stored_message& stored);
  void drain(const std::shared_ptr<room>& target, room_sync& sync);
  void fetch(const std::shared_ptr<room>& target, std::uint64_t since);
  void change_epoch(const std::string& next);
  void start_new_epoch();
  std::string key(std::string_view room_name, std::string_view what) const;
  void answer(const std::shared_ptr<append_client>& client, append_result result);
  void mirror(const std::shared_ptr<room>& target, const stored_message& stored);
  void read_members(const std::shared_ptr<room>& target);
  void renew_lease();
  void sweep_dead_instances();
  std::vector<std::string> post_keys(const std::string& room_name, const std::string& instance,
                                     const std::string& idempotency_key) const;
  // The post script's arguments (scripts.hpp); `instance` is the holder that says a join or a
  // leave, `scope` "lapse" or "all" for a leave.
  std::vector<std::string> post_args(const std::string& room_name, const message_draft& draft,
                                     std::uint64_t newest_seen, const std::string& member,
                                     const std::string& instance, std::string_view scope) const;
  std::string member_key(const message_draft& draft) const;

  const endpoint where_;
  const std::string prefix_;
  const std::string instance_;  // random per run: names this instance's lease and members
  const std::chrono::milliseconds lease_;  // how long a lease lasts unrenewed
  const std::size_t history_;
  const std::size_t max_rooms_;
  server_state* state_ = nullptr;  // set by start(), before the loop runs

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread loop_;
  std::shared_ptr<link> link_;                         // loop
  boost::asio::steady_timer lease_timer_;              // loop: renews the lease, sweeps
  std::unordered_map<std::string, room_sync> syncs_;   // loop
  std::string proposed_epoch_;  // loop: offered when Redis has none; never the current one
  // Loop: epochs this instance has left. A late copy of a message stored before Redis was
  // emptied names one of them and is dropped, never taken for a change back.
  std::unordered_set<std::string> retired_epochs_;
  bool epoch_known_ = false;  // loop: an epoch was read from Redis once
  // Loop: this instance's lease was renewed on the current link. When a renewal finds it gone
  // anyway (the process stood still past the lease: another instance swept it), its members'
  // holds are said again.
  bool lease_held_ = false;

  // Thread-safe.
  std::atomic<bool> ready_{false};   // linked, epoch known: appends are taken
  std::atomic<std::size_t> in_flight_{0};  // appends not yet answered (close() waits for them)
  std::atomic<std::uint64_t> outages_{0};
  std::atomic<std::uint64_t> epochs_started_{0};
  std::atomic<std::uint64_t> gaps_filled_{0};
};

}  // namespace pollchat::redis
