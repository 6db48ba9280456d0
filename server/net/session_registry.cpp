#include "net/session_registry.hpp"

namespace pollchat {

std::uint64_t session_registry::add(std::weak_ptr<connection> session) {
  const std::lock_guard lock(mutex_);
  const std::uint64_t id = ++next_id_;
  open_.emplace(id, std::move(session));
  return id;
}

void session_registry::remove(std::uint64_t id) {
  const std::lock_guard lock(mutex_);
  open_.erase(id);
}

std::vector<std::shared_ptr<connection>> session_registry::snapshot() const {
  std::vector<std::shared_ptr<connection>> out;
  const std::lock_guard lock(mutex_);
  out.reserve(open_.size());
  for (const auto& [id, weak] : open_) {
    if (auto s = weak.lock()) {
      out.push_back(std::move(s));
    }
  }
  return out;
}

std::size_t session_registry::size() const {
  const std::lock_guard lock(mutex_);
  return open_.size();
}

}  // namespace pollchat
