#include "core/room_registry.hpp"

#include <algorithm>
#include <utility>

namespace pollchat {

room_registry::room_registry(std::size_t max_rooms, const room_limits& limits,
                             clock::duration room_expiry)
    : max_rooms_(max_rooms), limits_(limits), room_expiry_(room_expiry) {
  rooms_.emplace(lobby, entry{std::make_shared<room>(std::string(lobby), limits_), clock::now()});
  if (limits_.budget != nullptr) {
    limits_.budget->on_over([this] { relieve(); });
  }
}

room_registry::room_registry(std::size_t max_rooms, std::size_t history_capacity)
    : room_registry(max_rooms, room_limits{.history = history_capacity}) {}

room_registry::~room_registry() {
  if (limits_.budget != nullptr) {
    limits_.budget->on_over(nullptr);
  }
}

std::shared_ptr<room> room_registry::find(std::string_view name) const {
  const std::lock_guard lock(mutex_);
  const auto it = rooms_.find(name);
  if (it == rooms_.end()) {
    return nullptr;
  }
  it->second.last_named = clock::now();
  return it->second.r;
}

std::shared_ptr<room> room_registry::find_or_create(std::string_view name) {
  std::shared_ptr<room> created;
  bool closed = false;
  {
    const std::lock_guard lock(mutex_);
    const auto now = clock::now();
    const auto it = rooms_.find(name);
    if (it != rooms_.end()) {
      it->second.last_named = now;
      return it->second.r;
    }
    if (rooms_.size() >= max_rooms_) {
      return nullptr;
    }
    created = std::make_shared<room>(std::string(name), limits_);
    rooms_.emplace(std::string(name), entry{created, now});
    closed = closed_;
  }
  if (on_create_) {
    on_create_(created);
  }
  if (closed) {
    created->close();  // created during shutdown: closed like the others
  }
  return created;
}

std::vector<std::shared_ptr<room>> room_registry::snapshot() const {
  std::vector<std::shared_ptr<room>> out;
  const std::lock_guard lock(mutex_);
  out.reserve(rooms_.size());
  for (const auto& [name, e] : rooms_) {
    out.push_back(e.r);
  }
  return out;
}

std::vector<std::shared_ptr<room>> room_registry::list() const { return snapshot(); }

std::vector<std::shared_ptr<room>> room_registry::page(std::string_view after, std::size_t limit,
                                                       bool& more) const {
  std::vector<std::shared_ptr<room>> out;
  const std::lock_guard lock(mutex_);
  auto it = after.empty() ? rooms_.begin() : rooms_.upper_bound(after);
  for (; it != rooms_.end() && out.size() < limit; ++it) {
    out.push_back(it->second.r);
  }
  more = it != rooms_.end();
  return out;
}

void room_registry::close_all() {
  std::vector<std::shared_ptr<room>> to_close;
  {
    const std::lock_guard lock(mutex_);
    closed_ = true;
    for (const auto& [name, e] : rooms_) {
      to_close.push_back(e.r);
    }
  }
  for (const auto& r : to_close) {
    r->close();
  }
}

std::size_t room_registry::size() const {
  const std::lock_guard lock(mutex_);
  return rooms_.size();
}

std::size_t room_registry::expire_rooms(clock::time_point now) {
  std::vector<std::shared_ptr<room>> removed;  // destroyed outside the lock
  const std::lock_guard lock(mutex_);
  for (auto it = rooms_.begin(); it != rooms_.end();) {
    auto& e = it->second;
    // Only the registry holds it (no request, parked poll or TCP client has it), nobody named it
    // for the expiry time, and it never had a message (a member's join is one): its removal is
    // unobservable but for the name being free again. The use count is exact here: new holders
    // only come through this mutex.
    const bool expired = it->first != lobby && e.r.use_count() == 1 &&
                         now - e.last_named >= room_expiry_ && e.r->last_id() == 0;
    if (expired) {
      removed.push_back(std::move(e.r));
      it = rooms_.erase(it);
    } else {
      ++it;
    }
  }
  return removed.size();
}

void room_registry::watch_members(std::shared_ptr<room> r) {
  const std::lock_guard lock(watched_mutex_);
  watched_.try_emplace(r->name(), std::move(r));
}

void room_registry::expire_members(
    std::chrono::steady_clock::duration grace,
    const std::function<void(const std::shared_ptr<room>&, message_draft)>& emit_leave) {
  std::vector<std::shared_ptr<room>> rooms;
  {
    const std::lock_guard lock(watched_mutex_);
    rooms.reserve(watched_.size());
    for (const auto& [name, r] : watched_) {
      rooms.push_back(r);
    }
  }
  for (const auto& r : rooms) {
    for (auto& leave : r->expire(grace)) {
      emit_leave(r, std::move(leave));
    }
  }
  // A room leaves the watch list only when it has no member, decided under the list's mutex:
  // a poll that joins adds its room after the join, so it is either counted here or re-added.
  const std::lock_guard lock(watched_mutex_);
  std::erase_if(watched_, [](const auto& item) { return item.second->member_count() == 0; });
}

void room_registry::expire_keys(clock::time_point now) {
  for (const auto& r : snapshot()) {
    r->expire_keys(now);
  }
}

void room_registry::relieve() {
  memory_budget* const budget = limits_.budget;
  if (budget == nullptr || !budget->over()) {
    return;
  }
  struct sized {
    std::size_t bytes;
    std::shared_ptr<room> r;
  };
  std::vector<sized> rooms;
  for (auto& r : snapshot()) {
    const std::size_t bytes = r->retained_bytes();
    if (bytes != 0) {
      rooms.push_back({bytes, std::move(r)});
    }
  }
  std::sort(rooms.begin(), rooms.end(), [](const sized& a, const sized& b) { return a.bytes > b.bytes; });

  // Level the largest histories down to one line L, just low enough to free what is needed:
  // a busy room keeps as much as the next busiest, and small rooms are not touched.
  const std::size_t used = budget->used();
  const std::size_t need = used > budget->low_water() ? used - budget->low_water() : 0;
  std::size_t top = 0;    // rooms above the line
  std::size_t above = 0;  // their bytes
  std::size_t line = 0;
  while (top < rooms.size()) {
    above += rooms[top].bytes;
    ++top;
    const std::size_t next = top < rooms.size() ? rooms[top].bytes : 0;
    if (above - top * next >= need) {
      line = (above - need) / top;
      break;
    }
  }
  for (std::size_t k = 0; k < top; ++k) {
    if (rooms[k].bytes > line) {
      rooms[k].r->shed(rooms[k].bytes - line);
    }
  }
  // What is still held past the limit is pinned by Idempotency-Keys (answers being written let go
  // by themselves): forget them, largest rooms first.
  for (std::size_t k = 0; k < rooms.size() && budget->used() > budget->low_water(); ++k) {
    rooms[k].r->forget_keys();
  }
}

}  // namespace pollchat
