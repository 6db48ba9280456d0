#pragma once
// What the fuzz targets share: a fuzz-only assertion that stops at once with a message (libFuzzer
// then saves the input), and a room waiter that only counts its wake-ups.

#include <cstdio>
#include <cstdlib>

#include "core/room.hpp"

namespace pollchat::fuzzing {

// Unlike assert(), active in every build type.
#define FUZZ_CHECK(condition, what)                                                       \
  do {                                                                                    \
    if (!(condition)) {                                                                   \
      std::fprintf(stderr, "fuzz check failed: %s (%s) at %s:%d\n", what, #condition,   \
                   __FILE__, __LINE__);                                                   \
      std::abort();                                                                       \
    }                                                                                     \
  } while (false)

class counting_waiter : public room_waiter {
 public:
  void notify() override { ++notified; }
  int notified = 0;
};

}  // namespace pollchat::fuzzing
