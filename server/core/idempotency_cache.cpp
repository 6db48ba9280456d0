#include "core/idempotency_cache.hpp"

namespace pollchat {

void idempotency_cache::expire(clock::time_point now) {
  while (!order_.empty()) {
    const auto it = by_key_.find(order_.front());
    const bool stale = it == by_key_.end() || now - it->second.stored >= ttl_;
    if (!stale && by_key_.size() <= capacity_) {
      break;
    }
    if (it != by_key_.end()) {
      by_key_.erase(it);
    }
    order_.pop_front();
  }
}

message_ptr idempotency_cache::find(std::string_view key, clock::time_point now) {
  expire(now);
  const auto it = by_key_.find(std::string(key));
  return it == by_key_.end() ? nullptr : it->second.message;
}

void idempotency_cache::remember(std::string key, message_ptr m, clock::time_point now) {
  order_.push_back(key);
  by_key_.insert_or_assign(std::move(key), entry{std::move(m), now});
  expire(now);
}

}  // namespace pollchat
