#include "net/refusal_log.hpp"

#include <gtest/gtest.h>

namespace pollchat {

using namespace std::chrono_literals;

TEST(LogGate, LetsTheFirstEventThroughThenOneAMinuteWithTheCountHeldBack) {
  log_gate gate(1min);
  const auto t0 = log_gate::clock::time_point{} + 1h;
  EXPECT_EQ(gate.admit(t0), 1U);
  EXPECT_EQ(gate.admit(t0 + 1s), 0U);
  EXPECT_EQ(gate.admit(t0 + 59s), 0U);
  EXPECT_EQ(gate.admit(t0 + 60s), 3U);  // this one and the two held back
  EXPECT_EQ(gate.admit(t0 + 61s), 0U);
  EXPECT_EQ(gate.admit(t0 + 10min), 2U);
}

}  // namespace pollchat
