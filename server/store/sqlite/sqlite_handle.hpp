#pragma once
// Debian's libsqlite3 C API behind two small RAII types: a connection and a prepared statement.
// No exceptions: every call returns SQLite's result code, and the connection says what went
// wrong (error_message()). Neither is thread-safe: the store's writer thread owns both once
// the server serves (the startup load runs before that thread starts).

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace pollchat::sqlite {

class connection {
 public:
  connection() = default;
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // Opens (creating when missing) the database file read-write. SQLITE_OK or an error code.
  int open(const std::string& path);

  // Runs one or more statements that return no rows.
  int exec(const char* sql);

  // The first column of the first row of `sql` as an integer (PRAGMA user_version); `rc`
  // gets the result code.
  std::int64_t query_int(const char* sql, int& rc);

  std::string error_message() const;
  bool read_only() const;
  sqlite3* get() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

class statement {
 public:
  statement() = default;
  ~statement();
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  int prepare(const connection& db, std::string_view sql);

  // Binding (1-based, as SQLite counts). Text is copied by SQLite (SQLITE_TRANSIENT), so the
  // caller's buffer may go away before step().
  void bind(int index, std::int64_t value);
  void bind(int index, std::string_view text);

  // SQLITE_ROW, SQLITE_DONE or an error. After DONE or an error, reset() before reuse.
  int step();
  // Runs a statement that returns no rows and resets it: SQLITE_OK or the error.
  int run();
  void reset();

  std::int64_t column_int(int index) const;
  std::string_view column_text(int index) const;

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace pollchat::sqlite
