#include "latency.hpp"

#include <algorithm>
#include <cmath>

namespace pollchat::bench {

void latency_recorder::finish() {
  std::sort(samples_.begin(), samples_.end());
  sorted_ = true;
}

double latency_recorder::quantile_ms(double q) const {
  if (samples_.empty()) {
    return 0.0;
  }
  // Nearest-rank: the smallest sample with at least q of all samples at or below it.
  const auto n = static_cast<double>(samples_.size());
  auto rank = static_cast<std::size_t>(std::ceil(std::clamp(q, 0.0, 1.0) * n));
  rank = std::clamp<std::size_t>(rank, 1, samples_.size());
  return static_cast<double>(samples_[rank - 1]) / 1e6;
}

nlohmann::json latency_recorder::summary() const {
  return {{"p50", quantile_ms(0.50)}, {"p99", quantile_ms(0.99)}, {"max", max_ms()}};
}

nlohmann::json latency_recorder::cdf(int points) const {
  auto out = nlohmann::json::array();
  if (samples_.empty() || points < 1) {
    return out;
  }
  for (int i = 0; i <= points; ++i) {
    const double q = static_cast<double>(i) / points;
    out.push_back({q, quantile_ms(q)});
  }
  out.push_back({0.999, quantile_ms(0.999)});
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace pollchat::bench
