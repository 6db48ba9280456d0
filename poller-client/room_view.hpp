#pragma once
// What the reader has seen of the room: the cursor (next id and epoch) it resumes from after any
// failure, and the printing of each poll answer. Pure: answers in, lines out.
//
// Every message is printed from the poll stream, in id order, and only there: the server's
// cursor is what makes it "nothing lost, nothing twice", own messages included. A post's answer
// only tells the view the id of an own message, so that the client can wait, before it exits,
// until its own lines have been shown.

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

#include "poller-client/protocol.hpp"

namespace pollchat::client {

class room_view {
 public:
  room_view(std::ostream& out, std::ostream& err, bool json, std::optional<std::int64_t> count)
      : out_(out), err_(err), json_(json), count_(count) {}

  // Where the first poll starts: after `since` (0: everything retained) in `epoch` ("" when not
  // known). `quiet_missed` keeps the first answer from announcing what the server no longer
  // keeps, for starts that asked for "the last N" or "all" rather than for a precise id.
  void start_at(std::int64_t since, std::string epoch, bool quiet_missed);

  // The cursor to poll with; empty before start_at().
  std::optional<std::int64_t> since() const { return since_; }
  const std::string& epoch() const { return epoch_; }

  // Prints one answer and moves the cursor past it: an epoch change and missed messages are
  // announced on stderr first. True when --count is reached: nothing after that message is
  // printed, and the caller should stop.
  bool show(const poll_answer& answer);

  // A post of ours was stored as message `id`.
  void posted(std::int64_t id);

  // True when every message we posted has been shown (or can no longer be: its epoch is gone).
  bool caught_up() const { return since_ && *since_ >= last_own_id_; }

 private:
  std::ostream& out_;
  std::ostream& err_;
  const bool json_;
  const std::optional<std::int64_t> count_;

  std::optional<std::int64_t> since_;
  std::string epoch_;
  bool quiet_missed_ = false;
  std::int64_t shown_messages_ = 0;  // of type "message", for --count
  std::int64_t last_own_id_ = 0;     // newest id a post of ours returned, in the current epoch
};

}  // namespace pollchat::client
