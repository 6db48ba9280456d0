#include "store/sqlite/sqlite_handle.hpp"

namespace pollchat::sqlite {

connection::~connection() {
  // v2: a statement left unfinalized keeps the file open until it goes, instead of failing.
  sqlite3_close_v2(db_);
}

int connection::open(const std::string& path) {
  const int rc = sqlite3_open_v2(path.c_str(), &db_,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  if (rc == SQLITE_OK) {
    // The startup load reads on several connections at once: one that meets another's brief
    // lock (the WAL index being rebuilt) waits for it instead of failing the start.
    sqlite3_busy_timeout(db_, 5000);
  }
  return rc;
}

int connection::exec(const char* sql) { return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr); }

std::int64_t connection::query_int(const char* sql, int& rc) {
  statement s;
  rc = s.prepare(*this, sql);
  if (rc != SQLITE_OK) {
    return 0;
  }
  rc = s.step();
  if (rc == SQLITE_ROW) {
    rc = SQLITE_OK;
    return s.column_int(0);
  }
  return 0;
}

std::string connection::error_message() const {
  return db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
}

bool connection::read_only() const { return sqlite3_db_readonly(db_, "main") == 1; }

statement::~statement() { sqlite3_finalize(stmt_); }

int statement::prepare(const connection& db, std::string_view sql) {
  sqlite3_finalize(stmt_);
  stmt_ = nullptr;
  return sqlite3_prepare_v3(db.get(), sql.data(), static_cast<int>(sql.size()),
                            SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
}

void statement::bind(int index, std::int64_t value) { sqlite3_bind_int64(stmt_, index, value); }

void statement::bind(int index, std::string_view text) {
  sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

int statement::step() { return sqlite3_step(stmt_); }

int statement::run() {
  const int rc = sqlite3_step(stmt_);
  sqlite3_reset(stmt_);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

void statement::reset() { sqlite3_reset(stmt_); }

std::int64_t statement::column_int(int index) const { return sqlite3_column_int64(stmt_, index); }

std::string_view statement::column_text(int index) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  const int size = sqlite3_column_bytes(stmt_, index);
  return text == nullptr ? std::string_view() : std::string_view(text, static_cast<std::size_t>(size));
}

}  // namespace pollchat::sqlite
