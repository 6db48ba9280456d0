#include "core/rate_limiter.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <cstdint>
#include <fmt/format.h>

namespace pollchat {

rate_limiter::rate_limiter(double rate, double burst, std::size_t max_tracked)
    : rate_(rate), burst_(std::max(burst, 1.0)), max_tracked_(max_tracked) {}

std::string rate_limiter::bucket_key(std::string_view address) {
  // A scope id (fe80::1%2) names an interface of ours, not the client.
  const std::string text(address.substr(0, address.find('%')));
  std::array<std::uint8_t, 16> v6{};
  if (inet_pton(AF_INET6, text.c_str(), v6.data()) != 1) {
    return text;  // IPv4, or not an address at all ("unknown")
  }
  const bool v4_mapped = std::all_of(v6.begin(), v6.begin() + 10, [](auto b) { return b == 0; }) &&
                         v6[10] == 0xff && v6[11] == 0xff;
  if (v4_mapped) {
    return fmt::format("{}.{}.{}.{}", v6[12], v6[13], v6[14], v6[15]);
  }
  return fmt::format("{:x}:{:x}:{:x}:{:x}::/64", v6[0] << 8 | v6[1], v6[2] << 8 | v6[3],
                     v6[4] << 8 | v6[5], v6[6] << 8 | v6[7]);
}

// An IPv4 address has no colon: the common case needs no parsing.
std::string rate_limiter::key_of(std::string_view address) {
  return address.find(':') == std::string_view::npos ? std::string(address) : bucket_key(address);
}

std::optional<rate_limiter::clock::duration> rate_limiter::acquire(std::string_view address,
                                                                   clock::time_point now,
                                                                   double cost) {
  if (rate_ <= 0) {
    return std::nullopt;
  }
  cost = std::clamp(cost, 0.0, burst_);  // more than a burst could never be paid
  std::string key = key_of(address);
  const std::lock_guard lock(mutex_);
  if (buckets_.size() >= max_tracked_ || now - last_sweep_ > std::chrono::minutes(1)) {
    sweep_locked(now);
  }
  auto [it, inserted] = buckets_.try_emplace(std::move(key), bucket{burst_, now});
  bucket& b = it->second;
  const std::chrono::duration<double> elapsed = now - b.updated;
  b.tokens = std::min(burst_, b.tokens + elapsed.count() * rate_);
  b.updated = now;
  if (b.tokens >= cost) {
    b.tokens -= cost;
    return std::nullopt;
  }
  const std::chrono::duration<double> wait((cost - b.tokens) / rate_);
  return std::chrono::duration_cast<clock::duration>(wait);
}

std::optional<rate_limiter::clock::duration> rate_limiter::wait_for(std::string_view address,
                                                                    clock::time_point now) const {
  if (rate_ <= 0) {
    return std::nullopt;
  }
  const std::string key = key_of(address);
  const std::lock_guard lock(mutex_);
  const auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    return std::nullopt;  // untracked: a full bucket
  }
  const std::chrono::duration<double> elapsed = now - it->second.updated;
  const double tokens = std::min(burst_, it->second.tokens + elapsed.count() * rate_);
  if (tokens >= 1.0) {
    return std::nullopt;
  }
  const std::chrono::duration<double> wait((1.0 - tokens) / rate_);
  return std::chrono::duration_cast<clock::duration>(wait);
}

void rate_limiter::sweep_locked(clock::time_point now) {
  last_sweep_ = now;
  std::erase_if(buckets_, [&](const auto& entry) {
    const std::chrono::duration<double> elapsed = now - entry.second.updated;
    return entry.second.tokens + elapsed.count() * rate_ >= burst_;
  });
  // Still full of active buckets: forget the whole table rather than grow without bound; the
  // worst case is a burst more for the addresses forgotten.
  if (buckets_.size() >= max_tracked_) {
    buckets_.clear();
  }
}

std::size_t rate_limiter::tracked() const {
  const std::lock_guard lock(mutex_);
  return buckets_.size();
}

}  // namespace pollchat
