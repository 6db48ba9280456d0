#pragma once
// pollchat's database: its tables, how a file is recognised as pollchat's, and how an older
// one is upgraded.
//
//   meta(key, value)                       the epoch; anything else about the database
//   rooms(id, name)                        every room that ever existed
//   messages(room, id, type, sender, body, time_ms)
//                                          primary key (room, id): the startup load's and the
//                                          newest-N read's index, and the pruning's range
//   post_keys(room, key, id, stored_ms)    Idempotency-Keys of the last ten minutes
//
// `PRAGMA application_id` marks the file as pollchat's; `PRAGMA user_version` is the schema's
// version. upgrade() runs every step from the file's version to schema_version in one
// transaction, so a new version adds a step to the list and nothing else.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/message.hpp"
#include "store/sqlite/sqlite_handle.hpp"

namespace pollchat::sqlite {

// messages.type: 0 a message, 1 a join, 2 a leave.
inline std::int64_t type_to_column(message_type type) {
  return type == message_type::join ? 1 : type == message_type::leave ? 2 : 0;
}
inline message_type type_from_column(std::int64_t value) {
  return value == 1 ? message_type::join : value == 2 ? message_type::leave : message_type::message;
}

// A message from the columns (id, type, sender, body, time_ms) of `row` starting at `first`.
inline message_ptr message_from_row(const statement& row, int first, std::string_view room_name) {
  return make_message(static_cast<std::uint64_t>(row.column_int(first)), room_name,
                      message_draft{type_from_column(row.column_int(first + 1)),
                                    std::string(row.column_text(first + 2)),
                                    std::string(row.column_text(first + 3))},
                      std::chrono::system_clock::time_point(
                          std::chrono::milliseconds(row.column_int(first + 4))));
}

inline constexpr int schema_version = 1;
inline constexpr int application_id = 0x70636874;  // "pcht"

// Recognises, creates or upgrades the schema of `db` (at `path`, for messages). Empty on
// success, else what is wrong, for an operator.
std::string upgrade(connection& db, const std::string& path);

}  // namespace pollchat::sqlite
