#include "store/sqlite/schema.hpp"

#include <array>
#include <fmt/format.h>

namespace pollchat::sqlite {
namespace {

// steps[k] takes a database from version k to version k + 1.
constexpr std::array<const char*, schema_version> steps = {
    R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE rooms(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE messages(
  room INTEGER NOT NULL REFERENCES rooms(id),
  id INTEGER NOT NULL,
  type INTEGER NOT NULL,
  sender TEXT NOT NULL,
  body TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  PRIMARY KEY(room, id)) WITHOUT ROWID;
CREATE TABLE post_keys(
  room INTEGER NOT NULL,
  key TEXT NOT NULL,
  id INTEGER NOT NULL,
  stored_ms INTEGER NOT NULL,
  PRIMARY KEY(room, key)) WITHOUT ROWID;
CREATE INDEX post_keys_by_age ON post_keys(stored_ms);
)sql",
};

}  // namespace

std::string upgrade(connection& db, const std::string& path) {
  int rc = SQLITE_OK;
  // The first read of the file: a file that is not SQLite at all fails here.
  const auto app = db.query_int("PRAGMA application_id", rc);
  if (rc != SQLITE_OK) {
    return fmt::format("--data-dir: '{}' is not a pollchat database ({})", path,
                       db.error_message());
  }
  const auto version = db.query_int("PRAGMA user_version", rc);
  const auto tables = db.query_int("SELECT count(*) FROM sqlite_schema", rc);
  if (rc != SQLITE_OK) {
    return fmt::format("--data-dir: cannot read '{}': {}", path, db.error_message());
  }
  const bool empty = app == 0 && version == 0 && tables == 0;
  if (!empty && app != application_id) {
    return fmt::format(
        "--data-dir: '{}' is an SQLite database of another program, not pollchat's; "
        "give pollchat a directory of its own",
        path);
  }
  if (version > schema_version) {
    return fmt::format(
        "--data-dir: '{}' has schema version {}, newer than this chat-server knows ({}); "
        "run the newer chat-server that wrote it",
        path, version, schema_version);
  }
  if (version == schema_version) {
    return {};
  }
  if (db.exec("BEGIN IMMEDIATE") != SQLITE_OK) {
    return fmt::format("--data-dir: cannot write '{}': {}", path, db.error_message());
  }
  for (auto v = version; v < schema_version; ++v) {
    if (db.exec(steps[static_cast<std::size_t>(v)]) != SQLITE_OK) {
      std::string error = fmt::format("--data-dir: cannot upgrade '{}' from version {}: {}",
                                      path, v, db.error_message());
      db.exec("ROLLBACK");
      return error;
    }
  }
  const std::string stamp = fmt::format("PRAGMA application_id = {}; PRAGMA user_version = {};",
                                        application_id, schema_version);
  if (db.exec(stamp.c_str()) != SQLITE_OK || db.exec("COMMIT") != SQLITE_OK) {
    std::string error = fmt::format("--data-dir: cannot write '{}': {}", path, db.error_message());
    db.exec("ROLLBACK");
    return error;
  }
  return {};
}

}  // namespace pollchat::sqlite
