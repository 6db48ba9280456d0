#include "core/server_state.hpp"

#include <fmt/format.h>
#include <random>

namespace pollchat {

server_state::server_state(config c, std::string stored_epoch)
    : settings(std::move(c)),
      epoch(stored_epoch.empty() ? make_epoch() : std::move(stored_epoch)),
      memory(settings.max_history_bytes),
      rooms(settings.max_rooms,
            room_limits{.history = settings.history,
                        .history_bytes = settings.max_room_bytes,
                        .budget = &memory},
            std::chrono::seconds(settings.room_expiry)),
      post_limiter(settings.post_rate, settings.post_burst) {}

std::string make_epoch() {
  std::random_device entropy;
  const std::uint64_t high = entropy();
  const std::uint64_t low = entropy();
  return fmt::format("{:016x}", (high << 32) | low);
}

}  // namespace pollchat
