#pragma once
// The Lua scripts that make each Redis step atomic (SPEC §9). Keys, for prefix P and room R:
//   P:epoch           the epoch: a string, set by the first instance that finds it missing
//   P:rooms           the set of room names (--max-rooms counts it)
//   P:room:R:last     the newest id of room R (INCR: ids 1, 2, 3, ... with no gap)
//   P:room:R:log      the newest --history messages of R, oldest first, as JSON objects with
//                     the message's fields and the epoch it was stored under
//   P:room:R:key:K    the message first stored under Idempotency-Key K, for 10 minutes
//   P:room:R:members  the room's members on every instance:
//                     member -> {name, via, since_ms, holders: {instance: 1, ...}}, where the
//                     holders are the instances that serve the member now (an HTTP client whose
//                     polls hop between instances has several; a TCP client one)
//   P:instance:I      a lease: present while instance I runs (refreshed, expires in 30 s)
//   P:instances       every instance by when its lease ends (a sorted set), for the sweep
//   P:instance:I:members  "room<TAB>member" of every member instance I holds
// and one pub/sub channel, P:messages, that carries every stored message to every instance.

#include <string_view>

namespace pollchat::redis {

// post: stores one message (a post, a join or a leave) and publishes it.
//   KEYS  epoch, rooms, last, log, members, the member's instance's members [, key]
//   ARGV  room, proposed epoch, max rooms, history, type, from, body, time (milliseconds since
//         1970, as text: exact, unlike Lua's numbers), channel,
//         the newest id this instance has seen in the room (0: none),
//         member ("" for a message), via, the instance that says it (a holder of the member),
//         for a leave "lapse" (that instance lets go) or "all" (the member asked to leave),
//         the prefix of an instance's members set ("P:instance:")
// Returns {"stored", epoch, json} | {"repeat", epoch, json} | {"too_many_rooms", epoch} |
// {"held", epoch}: a join of a member that another instance holds already; this instance is
//   now a holder too, and nothing is stored or published |
// {"kept", epoch}: a lapse while other instances still hold the member; nothing is said |
// {"gone", epoch}: a leave of a member that has left already (its instances' leases ran out and
//   another instance said so), stored once whoever says it twice.
// A lapse says the leave only when its instance was the last holder; "all" says it at once and
// names the holders in the message ("holders"), so that each forgets its own membership. A leave
// with an empty `from` takes the name the member joined with.
// A missing epoch means Redis was emptied: the proposed one becomes the epoch. An id that does
// not pass what the instance has seen means Redis went back in time (an older snapshot): the
// proposed epoch replaces the old one, so no id is ever reused within an epoch.
extern const std::string_view post_script;

// read: what a room holds after a cursor.
//   KEYS  epoch, last, log
//   ARGV  since, limit
// Returns {epoch or "", newest id, oldest retained id (0: none), json...}.
extern const std::string_view read_script;

}  // namespace pollchat::redis
