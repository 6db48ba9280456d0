// What only the SQLite store does: keep everything across a reopen, prune on disk, and refuse
// every data directory it cannot use, with a message that says why.

#include <sqlite3.h>

#include <fstream>
#include <map>

#include "store/sqlite/schema.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store_fixture.hpp"

namespace pollchat::testing {
namespace {

std::unique_ptr<sqlite_store> open_store(const config& c, std::string& error) {
  return sqlite_store::open(c, error);
}

// Runs SQL on a database file directly, as a foreign program would.
void run_sql(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

std::int64_t count_rows(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, sql, -1, &s, nullptr);
  std::int64_t n = -1;
  if (sqlite3_step(s) == SQLITE_ROW) n = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  sqlite3_close(db);
  return n;
}

TEST(SqliteStore, ReopenKeepsEpochRoomsMessagesAndKeys) {
  scratch_dir dir;
  const auto c = settings_for(dir.path());
  std::string error;
  std::string epoch;
  message_ptr first;
  {
    auto store = open_store(c, error);
    ASSERT_TRUE(store) << error;
    epoch = store->take_loaded().epoch;
    store->start();
    auto lobby = std::make_shared<room>("lobby", 100);
    auto quiet = std::make_shared<room>("quiet", 100);
    store->room_created(quiet);  // a room with no message yet
    first = append_and_wait(*store, lobby, text("hello"), "key-1").message;
    append_and_wait(*store, lobby, {message_type::join, "bob", {}});
    store->close();
  }
  auto store = open_store(c, error);
  ASSERT_TRUE(store) << error;
  auto loaded = store->take_loaded();
  EXPECT_EQ(loaded.epoch, epoch);
  ASSERT_EQ(loaded.rooms.size(), 2u);
  const auto& lobby = loaded.rooms[0].name == "lobby" ? loaded.rooms[0] : loaded.rooms[1];
  const auto& quiet = loaded.rooms[0].name == "quiet" ? loaded.rooms[0] : loaded.rooms[1];
  EXPECT_EQ(quiet.name, "quiet");
  EXPECT_TRUE(quiet.recent.empty());
  ASSERT_EQ(lobby.recent.size(), 2u);
  EXPECT_EQ(lobby.recent[0]->json(), first->json());  // same id, body and time, to the byte
  EXPECT_EQ(lobby.recent[1]->type, message_type::join);
  ASSERT_EQ(lobby.keys.size(), 1u);
  EXPECT_EQ(lobby.keys[0].value, "key-1");
  EXPECT_EQ(lobby.keys[0].message->id, 1u);

  // The next id continues after the restored ones.
  auto r = std::make_shared<room>("lobby", 100);
  r->restore(lobby.recent);
  store->start();
  EXPECT_EQ(append_and_wait(*store, r, text("after")).message->id, 3u);
}

// What a restart loads is what was served, to the byte: each room's newest --history messages
// in id order, every type, names and bodies with quotes, line breaks, controls and multi-byte
// characters, rendered as JSON and as text exactly as when they were committed. Catches a load
// that renders differently, drops or reorders rows, or gets the window wrong.
TEST(SqliteStore, ReopenLoadsEveryRoomsWindowExactlyAsItWasServed) {
  scratch_dir dir;
  constexpr std::size_t history = 5;
  const auto c = settings_for(dir.path(), history);
  const std::vector<message_draft> drafts = {
      {message_type::join, "z\u00f6e \"q\"", {}},
      {message_type::message, "alice", "plain words"},
      {message_type::message, "b\xC3\xB6" "b", "quote \" back\\slash\nsecond line\ttab"},
      {message_type::message, "eve", "esc\x1B[31m bell\x07 del\x7F"},
      {message_type::message, "mallory", "bidi \xE2\x80\xAE zero\xE2\x80\x8Bwidth \xF0\x9F\x98\x80"},
      {message_type::message, "carol", std::string(3000, 'x') + "\xC3\xA9"},
      {message_type::leave, "z\u00f6e \"q\"", {}},
      {message_type::message, "dave", "</script><b>&amp;"},
  };
  std::map<std::string, std::vector<message_ptr>> served;  // room -> what the commits returned
  {
    std::string error;
    auto store = open_store(c, error);
    ASSERT_TRUE(store) << error;
    store->take_loaded();
    store->start();
    for (const std::string name : {"lobby", "dev", "a-much-longer-room-name-than-sso"}) {
      auto target = std::make_shared<room>(name, history);
      for (const auto& d : drafts) {
        served[name].push_back(append_and_wait(*store, target, d).message);
        ASSERT_TRUE(served[name].back());
      }
    }
    store->close();
  }
  std::string error;
  auto store = open_store(c, error);
  ASSERT_TRUE(store) << error;
  const auto loaded = store->take_loaded();
  ASSERT_EQ(loaded.rooms.size(), served.size());
  EXPECT_EQ(loaded.messages, served.size() * history);
  for (const auto& r : loaded.rooms) {
    const auto& all = served.at(r.name);
    ASSERT_EQ(r.recent.size(), history) << r.name;
    for (std::size_t k = 0; k < history; ++k) {
      const message& got = *r.recent[k];
      const message& want = *all[all.size() - history + k];
      EXPECT_EQ(got.id, want.id);
      EXPECT_EQ(got.room, r.name);
      EXPECT_EQ(got.type, want.type);
      EXPECT_EQ(got.from, want.from);
      EXPECT_EQ(got.body, want.body);
      EXPECT_EQ(got.time, want.time);
      EXPECT_EQ(got.json(), want.json());
      EXPECT_EQ(got.text(), want.text());
    }
  }
}

// Enough rooms that the load spreads them over several threads (one per core, 64 rooms a
// thread at least): every room comes back once, in the order it was created, with its own
// messages.
TEST(SqliteStore, ReopenWithManyRoomsLoadsEachRoomOnceInOrder) {
  scratch_dir dir;
  const auto c = settings_for(dir.path(), 10);
  constexpr int rooms = 200;
  {
    std::string error;
    auto store = open_store(c, error);
    ASSERT_TRUE(store) << error;
    store->take_loaded();
    store->start();
    for (int r = 0; r < rooms; ++r) {
      auto target = std::make_shared<room>("room-" + std::to_string(r), 10);
      for (int k = 0; k < 3; ++k) {
        ASSERT_TRUE(append_and_wait(*store, target,
                                    text(std::to_string(r) + "/" + std::to_string(k))).message);
      }
    }
    store->close();
  }
  std::string error;
  auto store = open_store(c, error);
  ASSERT_TRUE(store) << error;
  const auto loaded = store->take_loaded();
  ASSERT_EQ(loaded.rooms.size(), static_cast<std::size_t>(rooms));
  EXPECT_EQ(loaded.messages, static_cast<std::size_t>(rooms) * 3);
  for (int r = 0; r < rooms; ++r) {
    const auto& got = loaded.rooms[static_cast<std::size_t>(r)];
    ASSERT_EQ(got.name, "room-" + std::to_string(r));
    ASSERT_EQ(got.recent.size(), 3u) << got.name;
    for (std::size_t k = 0; k < 3; ++k) {
      EXPECT_EQ(got.recent[k]->id, k + 1);
      EXPECT_EQ(got.recent[k]->room, got.name);
      EXPECT_EQ(got.recent[k]->body, std::to_string(r) + "/" + std::to_string(k));
    }
  }
}

TEST(SqliteStore, KeepsOnlyTheNewestHistoryRowsOnDisk) {
  scratch_dir dir;
  const auto c = settings_for(dir.path(), 5);
  std::string error;
  auto store = open_store(c, error);
  ASSERT_TRUE(store) << error;
  store->take_loaded();
  store->start();
  auto r = std::make_shared<room>("lobby", 5);
  for (int k = 0; k < 20; ++k) append_and_wait(*store, r, text(std::to_string(k)));
  store->close();
  const std::string db = dir.path() + "/pollchat.db";
  EXPECT_EQ(count_rows(db, "SELECT count(*) FROM messages"), 5);
  EXPECT_EQ(count_rows(db, "SELECT min(id) FROM messages"), 16);
}

TEST(SqliteStore, RefusesAFileThatIsNotADatabase) {
  scratch_dir dir;
  std::ofstream(dir.path() + "/pollchat.db") << "these are my notes, not a database\n";
  std::string error;
  EXPECT_FALSE(open_store(settings_for(dir.path()), error));
  EXPECT_NE(error.find("is not a pollchat database"), std::string::npos) << error;
}

TEST(SqliteStore, RefusesAnotherProgramsDatabase) {
  scratch_dir dir;
  run_sql(dir.path() + "/pollchat.db", "CREATE TABLE invoices(id INTEGER PRIMARY KEY)");
  std::string error;
  EXPECT_FALSE(open_store(settings_for(dir.path()), error));
  EXPECT_NE(error.find("another program"), std::string::npos) << error;
}

TEST(SqliteStore, RefusesANewerSchema) {
  scratch_dir dir;
  std::string error;
  open_store(settings_for(dir.path()), error).reset();
  ASSERT_TRUE(error.empty()) << error;
  run_sql(dir.path() + "/pollchat.db", "PRAGMA user_version = 99");
  EXPECT_FALSE(open_store(settings_for(dir.path()), error));
  EXPECT_NE(error.find("schema version 99, newer"), std::string::npos) << error;
}

TEST(SqliteStore, RefusesADirectoryAnotherStoreHolds) {
  scratch_dir dir;
  std::string error;
  auto first = open_store(settings_for(dir.path()), error);
  ASSERT_TRUE(first) << error;
  EXPECT_FALSE(open_store(settings_for(dir.path()), error));
  EXPECT_NE(error.find("another chat-server is already using"), std::string::npos) << error;
  first.reset();  // the lock goes with it
  EXPECT_TRUE(open_store(settings_for(dir.path()), error)) << error;
}

TEST(SqliteStore, RefusesADirectoryThatCannotBeCreated) {
  scratch_dir dir;
  std::ofstream(dir.path() + "/file") << "x";
  std::string error;
  EXPECT_FALSE(open_store(settings_for(dir.path() + "/file/data"), error));
  EXPECT_NE(error.find("cannot create the directory"), std::string::npos) << error;
}

TEST(SqliteStore, StampsItsDatabaseSoItIsRecognised) {
  scratch_dir dir;
  std::string error;
  open_store(settings_for(dir.path()), error).reset();
  const std::string db = dir.path() + "/pollchat.db";
  EXPECT_EQ(count_rows(db, "PRAGMA application_id"), sqlite::application_id);
  EXPECT_EQ(count_rows(db, "PRAGMA user_version"), sqlite::schema_version);
  EXPECT_EQ(count_rows(db, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"), 1);
}

}  // namespace
}  // namespace pollchat::testing
