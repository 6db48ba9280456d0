#include "poller-client/room_view.hpp"

#include <algorithm>
#include <ostream>

#include "poller-client/render.hpp"

namespace pollchat::client {

void room_view::start_at(std::int64_t since, std::string epoch, bool quiet_missed) {
  since_ = since;
  epoch_ = std::move(epoch);
  quiet_missed_ = quiet_missed;
}

bool room_view::show(const poll_answer& answer) {
  if (!epoch_.empty() && answer.epoch != epoch_) {
    // The server restarted without its history: our cursor meant nothing to it, so it answered
    // the new epoch's history from the start (SPEC §2), which is what we show next. Ids of our
    // own posts from before are gone with the old epoch.
    err_ << "poller-client: the server restarted and lost the room's history (new epoch); "
            "following it from its new start"
         << std::endl;
    last_own_id_ = 0;
  }
  epoch_ = answer.epoch;
  if (answer.missed > 0 && !quiet_missed_) {
    err_ << "poller-client: " << answer.missed << " message" << (answer.missed == 1 ? "" : "s")
         << " missed: the server no longer keeps " << (answer.missed == 1 ? "it" : "them")
         << std::endl;
  }
  quiet_missed_ = false;

  bool done = false;
  for (const auto& message : answer.messages) {
    out_ << (json_ ? render_json(message) : render_text(message));
    since_ = message.id;
    if (message.type == "message" && count_ && ++shown_messages_ >= *count_) {
      done = true;
      break;
    }
  }
  if (!done)
    since_ = answer.next;
  out_.flush();
  return done;
}

void room_view::posted(std::int64_t id) {
  last_own_id_ = std::max(last_own_id_, id);
}

}  // namespace pollchat::client
