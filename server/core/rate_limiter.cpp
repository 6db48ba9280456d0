#include "core/rate_limiter.hpp"

#include <algorithm>

namespace pollchat {

rate_limiter::rate_limiter(double rate, double burst, std::size_t max_tracked)
    : rate_(rate), burst_(std::max(burst, 1.0)), max_tracked_(max_tracked) {}

std::optional<rate_limiter::clock::duration> rate_limiter::acquire(std::string_view address,
                                                                   clock::time_point now) {
  if (rate_ <= 0) {
    return std::nullopt;
  }
  const std::lock_guard lock(mutex_);
  if (buckets_.size() >= max_tracked_ || now - last_sweep_ > std::chrono::minutes(1)) {
    sweep_locked(now);
  }
  auto [it, inserted] = buckets_.try_emplace(std::string(address), bucket{burst_, now});
  bucket& b = it->second;
  const std::chrono::duration<double> elapsed = now - b.updated;
  b.tokens = std::min(burst_, b.tokens + elapsed.count() * rate_);
  b.updated = now;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::nullopt;
  }
  const std::chrono::duration<double> wait((1.0 - b.tokens) / rate_);
  return std::chrono::duration_cast<clock::duration>(wait);
}

std::optional<rate_limiter::clock::duration> rate_limiter::wait_for(std::string_view address,
                                                                    clock::time_point now) const {
  if (rate_ <= 0) {
    return std::nullopt;
  }
  const std::lock_guard lock(mutex_);
  const auto it = buckets_.find(std::string(address));
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
