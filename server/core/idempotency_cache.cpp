#include "core/idempotency_cache.hpp"

namespace pollchat {
namespace {

// A key is stored twice (table, order) with a hash node, a bucket and a deque slot around it.
constexpr std::size_t per_key_overhead = 128;

}  // namespace

void idempotency_cache::pop_oldest() {
  by_key_.erase(order_.front());
  order_.pop_front();
}

void idempotency_cache::expire(clock::time_point now) {
  while (!order_.empty()) {
    const auto it = by_key_.find(order_.front());
    const bool stale = it == by_key_.end() || now - it->second.stored >= ttl_;
    if (!stale && by_key_.size() <= capacity_) {
      break;
    }
    pop_oldest();
  }
}

std::size_t idempotency_cache::forget_before(std::uint64_t id) {
  std::size_t forgotten = 0;
  while (!order_.empty()) {
    const auto it = by_key_.find(order_.front());
    // Keys are remembered in post order, so their ids only grow along the order.
    if (it != by_key_.end() && it->second.message->id >= id) {
      break;
    }
    pop_oldest();
    ++forgotten;
  }
  return forgotten;
}

std::size_t idempotency_cache::forget_all() {
  const std::size_t forgotten = by_key_.size();
  by_key_.clear();
  order_.clear();
  return forgotten;
}

message_ptr idempotency_cache::find(std::string_view key, clock::time_point now) {
  expire(now);
  const auto it = by_key_.find(std::string(key));
  return it == by_key_.end() ? nullptr : it->second.message;
}

void idempotency_cache::remember(std::string key, message_ptr m, clock::time_point now) {
  memory_charge charge(budget_, 2 * key.size() + per_key_overhead);
  order_.push_back(key);
  by_key_.insert_or_assign(std::move(key), entry{std::move(m), now, std::move(charge)});
  expire(now);
}

}  // namespace pollchat
