#include "poller-client/backoff.hpp"

#include <gtest/gtest.h>

namespace pollchat::client {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, DoublesFromOneHundredMillisecondsUpToFiveSecondsWithJitter) {
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    backoff delays(milliseconds(100), milliseconds(5000), seed);
    const milliseconds steps[] = {milliseconds(100),  milliseconds(200),  milliseconds(400),
                                  milliseconds(800),  milliseconds(1600), milliseconds(3200),
                                  milliseconds(5000), milliseconds(5000), milliseconds(5000)};
    for (const auto step : steps) {
      const auto wait = delays.next();
      EXPECT_GE(wait, step / 2) << "seed " << seed;
      EXPECT_LE(wait, step) << "seed " << seed;
    }
  }
}

TEST(Backoff, JitterSpreadsClientsApart) {
  backoff a(milliseconds(100), milliseconds(5000), 1);
  backoff b(milliseconds(100), milliseconds(5000), 2);
  int different = 0;
  for (int i = 0; i < 8; ++i)
    different += a.next() != b.next() ? 1 : 0;
  EXPECT_GE(different, 6);
}

TEST(Backoff, ResetStartsOverAtTheFirstStep) {
  backoff delays(milliseconds(100), milliseconds(5000), 7);
  for (int i = 0; i < 10; ++i)
    delays.next();
  EXPECT_GT(delays.next(), milliseconds(2500));
  delays.reset();
  EXPECT_LE(delays.next(), milliseconds(100));
}

}  // namespace
}  // namespace pollchat::client
