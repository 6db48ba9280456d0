#pragma once
// What a restart restores from the database: each room's newest --history messages, oldest
// first, and the Idempotency-Keys it answered in the last ten minutes.
//
// Turning a million rows into messages (each rendered once to JSON and to text, as every reader
// shares them) is CPU work, so the rooms are spread over up to four threads, one per core: each
// reads its share through a connection of its own (WAL lets readers run side by side) and fills
// its rooms' slots in place, so the result is the same, in the same order, whatever the number
// of threads. Runs before the server listens and before the writer thread starts.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "store/message_store.hpp"
#include "store/sqlite/sqlite_handle.hpp"

namespace pollchat::sqlite {

struct room_row_ref {
  std::int64_t id = 0;  // rooms.id
  std::string name;
};

// Fills out[k] from rooms[k] (out is resized to match), reading through `main` and, for the other
// threads, connections of their own to `path`. Keys stored before `key_cutoff_ms` are left out.
// Empty on success, else SQLite's reason.
std::string load_rooms(const std::string& path, connection& main,
                       std::span<const room_row_ref> rooms, std::size_t history,
                       std::int64_t key_cutoff_ms, std::vector<loaded_room>& out);

}  // namespace pollchat::sqlite
