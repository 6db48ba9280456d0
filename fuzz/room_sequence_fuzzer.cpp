// A structured sequence of posts (some with Idempotency-Keys), polls, reads, joins, leaves,
// renames, presence and key expiry, room expiry and memory reliefs across a few rooms with small
// bounds (so trimming and reliefs happen all the time), checked against a model of what a reader
// must observe:
//  * ids go up by one per room, from 1, never reused (even across room expiry);
//  * a read after a cursor returns only newer ids, consecutive, and nothing is lost: every id
//    after the cursor is either returned or counted in `missed`;
//  * a poll parks only when nothing is newer, and a parked waiter is woken by the next message;
//  * a repeated Idempotency-Key answers the first message, never another one;
//  * the memory budget stays within its limit plus the newest message of each room, and
//    returns to zero when everything is gone.

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/room_registry.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace pollchat;
using pollchat::fuzzing::counting_waiter;

constexpr std::array<const char*, 4> room_names = {"lobby", "a", "b", "c"};
constexpr std::size_t max_body = 2048;
constexpr int max_steps = 400;

struct model {
  std::map<std::string, std::uint64_t> last;  // newest id per room name
  std::map<std::string, std::map<std::string, std::uint64_t>> keys;  // room -> key -> id
  std::size_t largest_message = 0;
};

void check_batch(const batch& got, std::uint64_t cursor, std::size_t limit, std::uint64_t last) {
  FUZZ_CHECK(got.messages.size() <= limit, "at most `limit` messages");
  std::uint64_t expect = 0;
  for (const auto& m : got.messages) {
    FUZZ_CHECK(m->id > cursor, "a read returns only ids after the cursor");
    FUZZ_CHECK(m->id <= last, "no id beyond the newest");
    FUZZ_CHECK(expect == 0 || m->id == expect, "ids are consecutive");
    expect = m->id + 1;
  }
  if (!got.messages.empty()) {
    // Every id after the cursor up to the first one returned is counted as missed.
    FUZZ_CHECK(got.messages.front()->id - 1 - cursor == got.missed, "nothing lost: missed exact");
    FUZZ_CHECK(got.next == got.messages.back()->id, "next is the last id returned");
  } else {
    FUZZ_CHECK(got.next == cursor, "no message: the cursor is unchanged");
    FUZZ_CHECK(cursor >= last, "no message only when nothing is newer");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const std::size_t budget_limit = in.ConsumeIntegralInRange<std::size_t>(16, 512) << 10;
  memory_budget budget(budget_limit);
  {
    room_limits limits;
    limits.history = in.ConsumeIntegralInRange<std::size_t>(1, 16);
    limits.history_bytes = in.ConsumeIntegralInRange<std::size_t>(1, 64) << 10;
    limits.idempotency_keys = in.ConsumeIntegralInRange<std::size_t>(1, 8);
    limits.budget = &budget;
    const auto expiry = std::chrono::seconds(1);
    room_registry rooms(room_names.size(), limits, expiry);
    model expected;
    // Parked waiters, by room: each must be woken by the next message of its room. Like a
    // session's poll, a parked waiter's room is held while it waits.
    std::map<std::string, std::vector<std::shared_ptr<counting_waiter>>> parked;
    std::map<std::string, std::shared_ptr<room>> held;
    auto clock = room_registry::clock::now();

    for (int step = 0; step < max_steps && in.remaining_bytes() > 0; ++step) {
      const std::string name = room_names[in.ConsumeIntegralInRange<std::size_t>(0, room_names.size() - 1)];
      const std::string client = "c" + std::to_string(in.ConsumeIntegralInRange<int>(0, 3));
      const auto op = in.ConsumeIntegralInRange<int>(0, 9);
      auto r = rooms.find_or_create(name);
      FUZZ_CHECK(r != nullptr, "a room under --max-rooms is created");
      const std::uint64_t before = expected.last[name];
      FUZZ_CHECK(r->last_id() == before, "the room's newest id is the model's");
      bool emitted = false;  // a message was appended: parked waiters must wake

      switch (op) {
        case 0:
        case 1: {  // post, maybe keyed
          const std::string key = in.ConsumeBool() ? "k" + std::to_string(in.ConsumeIntegralInRange<int>(0, 5)) : "";
          std::string body = in.ConsumeRandomLengthString(max_body);
          if (body.empty()) body = "x";
          const auto outcome = r->post({message_type::message, "alice", body}, key);
          if (outcome.repeated) {
            const auto known = expected.keys[name].find(key);
            FUZZ_CHECK(!key.empty() && known != expected.keys[name].end(), "a repeat of a key used");
            FUZZ_CHECK(outcome.message->id == known->second, "a repeat answers the first message");
          } else {
            FUZZ_CHECK(outcome.message->id == before + 1, "ids go up by one");
            expected.last[name] = before + 1;
            if (!key.empty()) expected.keys[name][key] = before + 1;
            expected.largest_message = std::max(expected.largest_message, outcome.message->charge.bytes());
            emitted = true;
          }
          break;
        }
        case 2: {  // poll (park when nothing is newer)
          const std::uint64_t cursor = in.ConsumeIntegralInRange<std::uint64_t>(0, before + 1);
          const std::size_t limit = in.ConsumeIntegralInRange<std::size_t>(1, 20);
          auto waiter = std::make_shared<counting_waiter>();
          auto outcome = r->poll(std::min(cursor, before), limit, waiter);
          if (outcome.state == poll_state::parked) {
            FUZZ_CHECK(std::min(cursor, before) >= before, "parks only when nothing is newer");
            parked[name].push_back(std::move(waiter));
            held[name] = r;
          } else {
            FUZZ_CHECK(outcome.state == poll_state::ready, "no room is closed here");
            check_batch(outcome.messages, std::min(cursor, before), limit, before);
          }
          break;
        }
        case 3: {  // read after a cursor
          const std::uint64_t cursor = in.ConsumeIntegralInRange<std::uint64_t>(0, before);
          const std::size_t limit = in.ConsumeIntegralInRange<std::size_t>(1, 20);
          check_batch(r->read(cursor, limit), cursor, limit, before);
          break;
        }
        case 4: {  // join (a member joins once)
          const bool was = r->is_member(client);
          const std::uint64_t id = r->join(client, client, member_via::http);
          FUZZ_CHECK((id != 0) == !was, "a join message only for a new member");
          if (id != 0) {
            FUZZ_CHECK(id == before + 1, "a join takes the next id");
            expected.last[name] = id;
            emitted = true;
            rooms.watch_members(r);
          }
          break;
        }
        case 5: {  // leave
          const bool was = r->is_member(client);
          FUZZ_CHECK(r->leave(client) == was, "a leave only for a member");
          if (was) {
            expected.last[name] = before + 1;
            emitted = true;
          }
          FUZZ_CHECK(!r->is_member(client), "gone after leaving");
          break;
        }
        case 6: {  // a parked waiter gives up (timeout, disconnect)
          auto& list = parked[name];
          if (!list.empty()) {
            r->cancel_wait(*list.back());
            list.pop_back();
          }
          if (list.empty()) held.erase(name);
          break;
        }
        case 7: {  // time passes: presence, keys, empty rooms
          clock += std::chrono::seconds(in.ConsumeIntegralInRange<int>(0, 900));
          rooms.expire_keys(clock);
          rooms.expire_members(std::chrono::hours(1),  // nobody's grace is over
                               [](const std::shared_ptr<pollchat::room>& in,
                                  pollchat::message_draft leave) { in->post(std::move(leave)); });
          r.reset();  // held by nobody but the registry, parked waiters aside
          rooms.expire_rooms(clock);
          FUZZ_CHECK(rooms.find("lobby") != nullptr, "the lobby never expires");
          for (const auto& [room_name, last] : expected.last) {
            if (!rooms.find(room_name)) {
              FUZZ_CHECK(last == 0, "only rooms that never had a message expire");
              FUZZ_CHECK(!held.contains(room_name), "nor one a poll is parked in");
            }
          }
          break;
        }
        case 8:  // memory pressure from elsewhere
          r->shed(in.ConsumeIntegralInRange<std::size_t>(0, 1 << 16));
          break;
        default:  // a relief, as the budget would call it
          rooms.relieve();
          break;
      }
      if (emitted) {
        for (auto& w : parked[name]) {
          FUZZ_CHECK(w->notified > 0, "a parked waiter wakes on the next message");
        }
        parked[name].clear();  // woken: they would poll again
        held.erase(name);
      }
      // The budget holds, but for the newest message of each room (always kept) and the
      // relief's own slack.
      FUZZ_CHECK(budget.used() <= budget_limit + room_names.size() * expected.largest_message,
                 "the memory budget holds");
    }
    for (auto& [name, list] : parked) {
      if (const auto it = held.find(name); it != held.end()) {
        for (auto& w : list) it->second->cancel_wait(*w);
      }
    }
    held.clear();
  }
  FUZZ_CHECK(budget.used() == 0, "every charge is given back");
  return 0;
}
