#pragma once
// Where "--last N" starts (SPEC §7): just before the N-th newest message of type "message", so
// that N messages are shown however many joins and leaves came between them (those after the
// first of them are shown too). Pure: answers in, the next query out.
//
// The server answers oldest first and knows no "type" filter, so the search reads the history
// backwards in windows of `window` ids, newest window first, each with one poll (since = the
// window's start, limit = window, timeout 0, not as a member), more when a server answers fewer.
// It stops at the N-th message, at id 0, or where the server's history begins (missed > 0):
// then it starts with everything the server keeps. Each window moves strictly towards id 0, so
// the search ends after at most (newest id / window) + 1 windows.

#include <cstdint>
#include <string>
#include <vector>

#include "poller-client/protocol.hpp"

namespace pollchat::client {

class last_messages {
 public:
  // Ids per window: the server's largest `limit`.
  static constexpr int window = 1000;

  // `newest`, `epoch`: what a poll without since answered (its next and epoch).
  last_messages(int n, std::int64_t newest, std::string epoch);

  bool done() const { return done_; }
  // While not done: the poll to make next (its answer goes to feed()).
  poll_query next_query() const;
  void feed(const poll_answer& answer);

  // Once done: the cursor and epoch to start showing from.
  std::int64_t start() const { return start_; }
  const std::string& epoch() const { return epoch_; }

 private:
  void finish(std::int64_t start);

  const std::size_t n_;
  std::string epoch_;
  std::int64_t low_ = 0;     // the window is (low_, high_]
  std::int64_t high_ = 0;
  std::int64_t cursor_ = 0;  // read up to here in this window
  std::vector<std::int64_t> window_ids_;  // of type "message" in (low_, cursor_], oldest first
  std::size_t found_ = 0;                 // of type "message" in the windows after this one
  bool older_gone_ = false;  // the server keeps nothing before this window's first message
  bool done_ = false;
  std::int64_t start_ = 0;
};

}  // namespace pollchat::client
