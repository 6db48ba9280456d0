#include "core/room.hpp"

#include <algorithm>
#include <chrono>

namespace pollchat {

room::room(std::string name, std::size_t history_capacity)
    : room(std::move(name), room_limits{.history = history_capacity}) {}

room::room(std::string name, const room_limits& limits)
    : name_(std::move(name)),
      budget_(limits.budget),
      history_(limits.history, limits.history_bytes),
      idempotency_(limits.idempotency_keys, idempotency_cache::default_ttl, limits.budget) {}

post_outcome room::post(message_draft draft, std::string_view idempotency_key) {
  std::vector<parked_waiter> woken;
  post_outcome outcome;
  {
    const std::lock_guard lock(mutex_);
    if (!idempotency_key.empty()) {
      const auto steady_now = idempotency_cache::clock::now();  // read only when a key needs it
      if (auto first = idempotency_.find(idempotency_key, steady_now)) {
        return {std::move(first), true};
      }
      outcome.message = append_locked(std::move(draft));
      idempotency_.remember(std::string(idempotency_key), outcome.message, steady_now);
    } else {
      outcome.message = append_locked(std::move(draft));
    }
    woken.swap(waiters_);
  }
  notify_all(woken);
  relieve_memory();
  return outcome;
}

poll_outcome room::poll(std::uint64_t cursor, std::size_t limit,
                        const std::shared_ptr<room_waiter>& waiter) {
  const std::lock_guard lock(mutex_);
  const bool parked = is_parked_locked(*waiter);
  if (closed_ || last_id_ > cursor) {
    if (parked) {
      // Leave the list as a fresh poll would find it; the swap keeps removal O(1).
      const std::size_t slot = waiter->slot_;
      waiters_[slot] = waiters_.back();
      waiters_[slot].identity->slot_ = slot;
      waiters_.pop_back();
    }
    if (closed_) {
      return {poll_state::closed, {}};
    }
    return {poll_state::ready, read_locked(cursor, limit)};
  }
  if (!parked) {
    waiter->slot_ = waiters_.size();
    waiters_.push_back({waiter.get(), waiter});
  }
  return {poll_state::parked, {}};
}

void room::cancel_wait(room_waiter& waiter) {
  const std::lock_guard lock(mutex_);
  if (!is_parked_locked(waiter)) {
    return;
  }
  const std::size_t slot = waiter.slot_;
  waiters_[slot] = waiters_.back();
  waiters_[slot].identity->slot_ = slot;
  waiters_.pop_back();
}

batch room::read(std::uint64_t cursor, std::size_t limit) const {
  const std::lock_guard lock(mutex_);
  return read_locked(cursor, limit);
}

void room::close() {
  std::vector<parked_waiter> woken;
  {
    const std::lock_guard lock(mutex_);
    closed_ = true;
    woken.swap(waiters_);
  }
  notify_all(woken);
}

std::uint64_t room::last_id() const {
  const std::lock_guard lock(mutex_);
  return last_id_;
}

std::size_t room::parked() const {
  const std::lock_guard lock(mutex_);
  return waiters_.size();
}

std::size_t room::retained_bytes() const {
  const std::lock_guard lock(mutex_);
  return history_.bytes();
}

std::size_t room::shed(std::size_t bytes) {
  const std::lock_guard lock(mutex_);
  const std::size_t dropped = history_.shed(bytes);
  idempotency_.forget_before(history_.oldest_id());
  return dropped;
}

std::size_t room::forget_keys() {
  const std::lock_guard lock(mutex_);
  return idempotency_.forget_all();
}

void room::expire_keys(idempotency_cache::clock::time_point now) {
  const std::lock_guard lock(mutex_);
  idempotency_.expire(now);
}

void room::relieve_memory() const {
  if (budget_ != nullptr) {
    budget_->relieve();
  }
}

message_ptr room::append_locked(message_draft draft) {
  auto m = make_message(last_id_ + 1, name_, std::move(draft), std::chrono::system_clock::now(),
                        budget_);
  append_locked(m);
  return m;
}

void room::append_locked(message_ptr m) {
  last_id_ = m->id;
  history_.append(std::move(m));
}

message_ptr room::find_key(std::string_view key) {
  const std::lock_guard lock(mutex_);
  return idempotency_.find(key, idempotency_cache::clock::now());
}

void room::publish(std::span<const durable> messages) {
  std::vector<parked_waiter> woken;
  {
    const std::lock_guard lock(mutex_);
    const auto steady_now = idempotency_cache::clock::now();
    for (const auto& d : messages) {
      append_locked(d.message);
      if (!d.key.empty()) {
        idempotency_.remember(std::string(d.key), d.message, steady_now);
      }
    }
    woken.swap(waiters_);
  }
  notify_all(woken);
}

void room::restart_after(std::uint64_t last_id) {
  std::vector<parked_waiter> woken;
  {
    const std::lock_guard lock(mutex_);
    history_.clear();
    last_id_ = last_id;
    idempotency_ = idempotency_cache{};
    woken.swap(waiters_);
  }
  notify_all(woken);
}

void room::restore(std::span<const message_ptr> recent) {
  const std::lock_guard lock(mutex_);
  for (const auto& m : recent) {
    append_locked(m);
  }
}

void room::restore_key(std::string key, message_ptr m,
                       std::chrono::system_clock::time_point stored) {
  // The cache runs on the steady clock: place the key as far in its past as it is old.
  const auto age = std::chrono::system_clock::now() - stored;
  const std::lock_guard lock(mutex_);
  idempotency_.remember(std::move(key), std::move(m),
                        idempotency_cache::clock::now() -
                            std::chrono::duration_cast<idempotency_cache::clock::duration>(age));
}

std::optional<message_draft> room::admit(const std::string& client, std::string_view name,
                                         member_via via) {
  const std::lock_guard lock(mutex_);
  if (!members_.touch(client, name, via, presence::clock::now())) {
    return std::nullopt;
  }
  return message_draft{message_type::join, std::string(name), {}, client, via};
}

std::optional<message_draft> room::dismiss(const std::string& client) {
  const std::lock_guard lock(mutex_);
  auto gone = members_.leave(client);
  if (!gone) {
    // A member that another instance serves (Redis) may ask to leave here too.
    const auto mirrored = remote_members_.find(client);
    if (mirrored == remote_members_.end()) {
      return std::nullopt;
    }
    gone = std::move(mirrored->second);
    remote_members_.erase(mirrored);
  }
  return message_draft{message_type::leave, std::move(gone->name), {}, client, gone->via};
}

std::vector<presence::departed> room::own_members() const {
  const std::lock_guard lock(mutex_);
  return members_.entries();
}

bool room::forget(const std::string& client) {
  const std::lock_guard lock(mutex_);
  return members_.leave(client).has_value();
}

std::vector<message_draft> room::expire(presence::clock::duration grace) {
  std::vector<message_draft> out;
  const std::lock_guard lock(mutex_);
  for (auto& gone : members_.expire(presence::clock::now(), grace)) {
    out.push_back({message_type::leave,
                   std::move(gone.info.name),
                   {},
                   std::move(gone.client),
                   gone.info.via,
                   /*lapsed=*/true});
  }
  return out;
}

std::vector<message_draft> room::dismiss_all() {
  std::vector<message_draft> out;
  const std::lock_guard lock(mutex_);
  for (auto& gone : members_.clear()) {
    out.push_back({message_type::leave,
                   std::move(gone.info.name),
                   {},
                   std::move(gone.client),
                   gone.info.via,
                   /*lapsed=*/true});
  }
  return out;
}

void room::mirror_join(std::string key, member_info info) {
  const std::lock_guard lock(mutex_);
  remote_members_.insert_or_assign(std::move(key), std::move(info));
}

void room::mirror_leave(const std::string& key) {
  const std::lock_guard lock(mutex_);
  remote_members_.erase(key);
}

void room::mirror_reset(std::unordered_map<std::string, member_info> members) {
  const std::lock_guard lock(mutex_);
  remote_members_ = std::move(members);
}

std::uint64_t room::join(const std::string& client, std::string_view name, member_via via) {
  std::vector<parked_waiter> woken;
  std::uint64_t id = 0;
  {
    const std::lock_guard lock(mutex_);
    if (!members_.touch(client, name, via, presence::clock::now())) {
      return 0;
    }
    id = append_locked({message_type::join, std::string(name), {}})->id;
    woken.swap(waiters_);
  }
  notify_all(woken);
  relieve_memory();
  return id;
}

void room::refresh(const std::string& client) {
  const std::lock_guard lock(mutex_);
  members_.refresh(client, presence::clock::now());
}

presence::membership room::poll_began(const std::string& client) {
  const std::lock_guard lock(mutex_);
  return members_.poll_began(client);
}

void room::poll_ended(const std::string& client, presence::membership held) {
  const std::lock_guard lock(mutex_);
  members_.poll_ended(client, held, presence::clock::now());
}

bool room::leave(const std::string& client) {
  std::vector<parked_waiter> woken;
  {
    const std::lock_guard lock(mutex_);
    auto gone = members_.leave(client);
    if (!gone) {
      return false;
    }
    append_locked({message_type::leave, std::move(gone->name), {}});
    woken.swap(waiters_);
  }
  notify_all(woken);
  relieve_memory();
  return true;
}

bool room::rename(const std::string& client, std::string_view name) {
  const std::lock_guard lock(mutex_);
  return members_.rename(client, name);
}

void room::expire_members(presence::clock::duration grace) {
  std::vector<parked_waiter> woken;
  {
    const std::lock_guard lock(mutex_);
    const auto gone = members_.expire(presence::clock::now(), grace);
    if (gone.empty()) {
      return;
    }
    for (const auto& member : gone) {
      append_locked({message_type::leave, member.info.name, {}});
    }
    woken.swap(waiters_);
  }
  notify_all(woken);
  relieve_memory();
}

std::vector<member_info> room::members() const {
  const std::lock_guard lock(mutex_);
  if (remote_members_.empty()) {
    return members_.list();
  }
  // A client served by this instance and others (Redis) is in both lists: shown once, as all
  // instances show it (the mirror holds the shared entry).
  auto out = members_.list_except(remote_members_);
  for (const auto& [key, info] : remote_members_) {
    out.push_back(info);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.since < b.since; });
  return out;
}

bool room::is_member(const std::string& client) const {
  const std::lock_guard lock(mutex_);
  return members_.contains(client);
}

std::size_t room::member_count() const {
  const std::lock_guard lock(mutex_);
  return members_.count_except(remote_members_) + remote_members_.size();
}

batch room::read_locked(std::uint64_t cursor, std::size_t limit) const {
  batch out;
  out.messages = history_.after(cursor, limit);
  out.next = out.messages.empty() ? cursor : out.messages.back()->id;
  const std::uint64_t oldest = history_.oldest_id();
  out.missed = oldest > cursor + 1 ? oldest - 1 - cursor : 0;
  return out;
}

bool room::is_parked_locked(const room_waiter& waiter) const {
  // A slot left over from a list that post() swapped out may point anywhere; the identity
  // check makes it exact.
  return waiter.slot_ < waiters_.size() && waiters_[waiter.slot_].identity == &waiter;
}

void room::notify_all(const std::vector<parked_waiter>& waiters) {
  for (const auto& w : waiters) {
    // A waiter destroyed since it parked has removed itself; one being destroyed right now
    // no longer locks.
    if (auto alive = w.handle.lock()) {
      alive->notify();
    }
  }
}

}  // namespace pollchat
