#pragma once
// pollchat's HTTP API as the client sees it (SPEC §2): the requests it sends and the answers it
// reads. Pure: strings in, strings out; the sockets live in http_channel.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "poller-client/options.hpp"

namespace pollchat::client {

// One message object, as the server sent it.
struct chat_message {
  std::int64_t id = 0;
  std::string type;  // "message", "join" or "leave"
  std::string from;
  std::string body;
  std::string time;               // RFC 3339 UTC, e.g. 2026-11-22T14:33:00.123Z
  nlohmann::ordered_json object;  // the whole object, key order kept, for --json
};

// The JSON answer of GET /chat/<room>.
struct poll_answer {
  std::string epoch;
  std::vector<chat_message> messages;
  std::int64_t next = 0;
  std::int64_t missed = 0;
};

// nullopt when `body` is not a message object / a poll answer of the SPEC's shape.
std::optional<chat_message> parse_message(std::string_view body);
std::optional<poll_answer> parse_poll_answer(std::string_view body);

// The "message" of the server's JSON error body, or "" when the body is not one.
std::string error_message(std::string_view body);

// What one poll asks for. `since` empty: "from the newest message on" (no since parameter).
struct poll_query {
  std::optional<std::int64_t> since;
  std::string epoch;  // "" when not known yet
  int timeout = 30;
  bool member = true;  // carries client= and name=: the poll keeps us in the room (SPEC §4)
  int limit = 0;       // at most this many messages; 0: the server's default (100)
};

// /chat/<room>?since=..&epoch=..&timeout=..&limit=..&format=json&client=..&name=.. under the URL's
// prefix.
std::string poll_target(const client_options& options, std::string_view client_id,
                        const poll_query& query);
std::string post_target(const client_options& options);
std::string leave_target(const client_options& options);

// The JSON body of a post: {"body", "name", "client"}; invalid UTF-8 in `line` becomes U+FFFD.
std::string post_body(std::string_view line, std::string_view name, std::string_view client_id);

// 32 lowercase hex digits from a fresh random 128 bits: client ids and idempotency keys.
std::string random_token();

}  // namespace pollchat::client
