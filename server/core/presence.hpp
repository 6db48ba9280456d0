#pragma once
// Who is in a room. An HTTP reader is a member while it has a poll parked, or polled within
// the grace period; a TCP client while it is connected. Pure bookkeeping, guarded by the
// room's mutex: joining and leaving are decided here, and the room turns them into messages.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/message.hpp"

namespace pollchat {

struct member_info {
  std::string name;
  member_via via = member_via::http;
  std::chrono::system_clock::time_point since;  // when it joined
};

class presence {
 public:
  using clock = std::chrono::steady_clock;

  // Makes `client` a member (true: it just joined) or refreshes it. The name is kept from the
  // join, so a member's name in join and leave messages always matches.
  bool touch(const std::string& client, std::string_view name, member_via via, clock::time_point now);

  // Restarts an existing member's grace (a post); does nothing for a non-member.
  void refresh(const std::string& client, clock::time_point now);

  // A parked poll holds its member in the room regardless of the grace. poll_began returns the
  // membership the poll holds (0: none); poll_ended takes it back, and does nothing when the
  // client has left and joined again since: that poll held the old membership, not the new one.
  using membership = std::uint64_t;
  membership poll_began(const std::string& client);
  void poll_ended(const std::string& client, membership held, clock::time_point now);

  // Renames a member (TCP /nick); false when it is not one.
  bool rename(const std::string& client, std::string_view name);

  // Removes `client`; what it was when it was a member.
  std::optional<member_info> leave(const std::string& client);

  // A member that left: its client key, and what its join said.
  struct departed {
    std::string client;
    member_info info;
  };

  // Removes HTTP members with no parked poll whose last poll ended more than `grace` ago, in
  // no particular order.
  std::vector<departed> expire(clock::time_point now, clock::duration grace);

  // Removes every member (a clean stop), earliest join first.
  std::vector<departed> clear();

  std::vector<member_info> list() const;  // sorted by join time
  std::vector<departed> entries() const;  // every member with its client key, in no order
  // The members whose key `others` does not hold (a room's mirror of other instances), and
  // how many there are. Not sorted.
  std::vector<member_info> list_except(
      const std::unordered_map<std::string, member_info>& others) const;
  std::size_t count_except(const std::unordered_map<std::string, member_info>& others) const;
  std::size_t size() const { return members_.size(); }
  bool contains(const std::string& client) const { return members_.contains(client); }

 private:
  struct member {
    member_info info;
    membership id = 0;  // a new one at every join
    std::size_t polls_parked = 0;
    clock::time_point last_seen;
  };
  std::unordered_map<std::string, member> members_;  // by client id, never shown to anyone
  membership last_membership_ = 0;
};

}  // namespace pollchat
