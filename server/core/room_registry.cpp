#include "core/room_registry.hpp"

#include <algorithm>

namespace pollchat {

room_registry::room_registry(std::size_t max_rooms, std::size_t history_capacity)
    : max_rooms_(max_rooms), history_capacity_(history_capacity) {
  rooms_.emplace(lobby, std::make_shared<room>(std::string(lobby), history_capacity_));
}

std::shared_ptr<room> room_registry::find(std::string_view name) const {
  const std::lock_guard lock(mutex_);
  const auto it = rooms_.find(std::string(name));
  return it == rooms_.end() ? nullptr : it->second;
}

std::shared_ptr<room> room_registry::find_or_create(std::string_view name) {
  std::shared_ptr<room> created;
  bool closed = false;
  {
    const std::lock_guard lock(mutex_);
    const auto it = rooms_.find(std::string(name));
    if (it != rooms_.end()) {
      return it->second;
    }
    if (rooms_.size() >= max_rooms_) {
      return nullptr;
    }
    created = std::make_shared<room>(std::string(name), history_capacity_);
    rooms_.emplace(name, created);
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

std::vector<std::shared_ptr<room>> room_registry::list() const {
  std::vector<std::shared_ptr<room>> out;
  {
    const std::lock_guard lock(mutex_);
    out.reserve(rooms_.size());
    for (const auto& [name, r] : rooms_) {
      out.push_back(r);
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a->name() < b->name(); });
  return out;
}

void room_registry::close_all() {
  std::vector<std::shared_ptr<room>> to_close;
  {
    const std::lock_guard lock(mutex_);
    closed_ = true;
    for (const auto& [name, r] : rooms_) {
      to_close.push_back(r);
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

}  // namespace pollchat
