#pragma once
// A chat message, rendered once when it is stored: every response that carries it shares the
// same bytes (one message woken to 10,000 readers is not 10,000 serializations).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/memory_budget.hpp"

namespace pollchat {

enum class message_type { message, join, leave };

std::string_view to_string(message_type type);

// How a member reads the room (SPEC §4): polling over HTTP, or connected to the TCP room.
enum class member_via { http, tcp };

std::string_view to_string(member_via via);

// What a poster supplies; the room adds the id and the time.
struct message_draft {
  message_type type = message_type::message;
  std::string from;
  std::string body;
  // A join or leave: which member (its client key, never shown) and how it reads. A store that
  // shares presence between instances (Redis) keeps the list of members by it.
  std::string member{};
  member_via via = member_via::http;
  // A leave because the member stopped polling here (or this instance stops), not because it
  // asked to: a store shared by instances (Redis) says it only when no other instance still
  // serves the member.
  bool lapsed = false;
};

struct message {
  std::uint64_t id = 0;
  std::string room;
  message_type type = message_type::message;
  std::string from;
  std::string body;
  std::chrono::system_clock::time_point time;

  // The JSON object, no trailing newline.
  std::string_view json() const { return std::string_view(rendered).substr(0, json_size); }
  // The terminal-safe text line(s), ending in '\n'.
  std::string_view text() const { return std::string_view(rendered).substr(json_size); }

  // Both renderings in one block (one allocation to make and to free, not two): the JSON,
  // then the text.
  std::string rendered;
  std::size_t json_size = 0;

  // Its share of the server's message memory (what it holds, estimated), given back when the
  // last holder lets go of it.
  memory_charge charge;
};

using message_ptr = std::shared_ptr<const message>;

// Builds the message and its two renderings, charged to `budget` when one is given.
message_ptr make_message(std::uint64_t id, std::string_view room, message_draft draft,
                         std::chrono::system_clock::time_point time,
                         memory_budget* budget = nullptr);

// RFC 3339 UTC with milliseconds: 2026-11-22T14:33:00.123Z
std::string format_time(std::chrono::system_clock::time_point time);

// The text rendering shared by GET ?format=text and the TCP room:
// "alice: hi", "alice joined.", "alice has left."; a body's own line breaks continue on lines
// indented by two spaces, and control characters are shown in caret notation.
std::string render_text(message_type type, std::string_view from, std::string_view body);

}  // namespace pollchat
