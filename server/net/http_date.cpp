#include "net/http_date.hpp"

#include <array>
#include <chrono>
#include <ctime>
#include <fmt/format.h>
#include <limits>

namespace pollchat {

std::string_view http_date_now() {
  static constexpr std::array<const char*, 7> days{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  // Answers come many to the second: the calendar part is worked out once per second, as the
  // message time is (core/message.cpp). A fixed array, so the view never moves.
  thread_local std::time_t cached_second = std::numeric_limits<std::time_t>::min();
  thread_local std::array<char, 32> cached{};
  thread_local std::size_t cached_size = 0;
  // The kernel's coarse clock (its last tick, a few milliseconds behind at most) costs a fifth
  // of a precise read, and the header only names the second.
  timespec now{};
  clock_gettime(CLOCK_REALTIME_COARSE, &now);
  const std::time_t second = now.tv_sec;
  if (second != cached_second) {
    std::tm utc{};
    gmtime_r(&second, &utc);
    const auto end = fmt::format_to_n(cached.data(), cached.size(), "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
                                      days[static_cast<std::size_t>(utc.tm_wday) % 7], utc.tm_mday,
                                      months[static_cast<std::size_t>(utc.tm_mon) % 12],
                                      utc.tm_year + 1900, utc.tm_hour, utc.tm_min, utc.tm_sec);
    cached_size = end.size;
    cached_second = second;
  }
  return {cached.data(), cached_size};
}

}  // namespace pollchat
