#include "poller-client/backoff.hpp"

#include <algorithm>

namespace pollchat::client {

backoff::backoff(duration first, duration cap, std::uint64_t seed)
    : first_(first), cap_(cap), step_(first), random_(seed) {}

backoff::duration backoff::next() {
  const duration step = step_;
  step_ = std::min(step_ * 2, cap_);
  std::uniform_int_distribution<duration::rep> pick(step.count() / 2, step.count());
  return duration(pick(random_));
}

}  // namespace pollchat::client
