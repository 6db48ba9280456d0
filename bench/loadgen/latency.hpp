#pragma once
// Keeps every latency sample of a run (a run is bounded, so the samples are too) and answers
// exact percentiles and a coarse CDF for the report's picture.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

namespace pollchat::bench {

class latency_recorder {
 public:
  explicit latency_recorder(std::size_t reserve = 0) { samples_.reserve(reserve); }

  void add(std::int64_t ns) { samples_.push_back(ns); }
  std::size_t count() const { return samples_.size(); }

  // Sorts the samples once; call after the run, before the queries below.
  void finish();
  // q in [0, 1]; milliseconds; 0 when there are no samples.
  double quantile_ms(double q) const;
  double max_ms() const { return quantile_ms(1.0); }
  // {"p50":…, "p99":…, "max":…} in milliseconds.
  nlohmann::json summary() const;
  // [[fraction, ms], …] at `points` evenly spaced quantiles plus the tail (99.9 %, max).
  nlohmann::json cdf(int points) const;

 private:
  std::vector<std::int64_t> samples_;
  bool sorted_ = false;
};

}  // namespace pollchat::bench
