#pragma once
// Per-address token buckets for posts: `rate` tokens a second up to `burst`. Memory is bounded:
// buckets that have refilled completely carry no information and are swept away.
//
// An IPv4 address is one client; an IPv6 client owns its whole /64 (a host picks any address in
// it at will), so IPv6 addresses share the bucket of their /64 prefix.

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace pollchat {

class rate_limiter {
 public:
  using clock = std::chrono::steady_clock;

  // rate == 0 turns limiting off.
  rate_limiter(double rate, double burst, std::size_t max_tracked = 100000);

  // Takes `cost` tokens (at most a burst) for `address`, or none. Returns nothing when allowed,
  // else how long until there are enough (for Retry-After). Thread-safe.
  std::optional<clock::duration> acquire(std::string_view address, clock::time_point now,
                                         double cost = 1.0);

  // The bucket an address draws from: itself for IPv4 (IPv4-mapped IPv6 too), its /64 prefix
  // ("2001:db8:1:2::/64") for IPv6, the text itself for anything else.
  static std::string bucket_key(std::string_view address);

  // Whether `address` has a token, without taking it: nothing when it has, else how long until
  // it has one. Thread-safe.
  std::optional<clock::duration> wait_for(std::string_view address, clock::time_point now) const;

  std::size_t tracked() const;

 private:
  struct bucket {
    double tokens;
    clock::time_point updated;
  };
  void sweep_locked(clock::time_point now);
  static std::string key_of(std::string_view address);

  const double rate_;
  const double burst_;
  const std::size_t max_tracked_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, bucket> buckets_;  // guarded by mutex_
  clock::time_point last_sweep_;                     // guarded by mutex_
};

// The bucket a client's wrong tokens (HTTP bearer, TCP /auth) draw on, at the post rate: apart
// from its posts, so that posting never locks a client out of reading, nor guessing out of
// posting; an IPv6 client's whole /64 shares it, as its posts do.
inline std::string wrong_token_bucket(std::string_view address) {
  return "token " + rate_limiter::bucket_key(address);
}

}  // namespace pollchat
