#include "core/presence.hpp"

#include <algorithm>
#include <optional>

namespace pollchat {

std::string_view to_string(member_via via) { return via == member_via::tcp ? "tcp" : "http"; }

bool presence::touch(const std::string& client, std::string_view name, member_via via,
                     clock::time_point now) {
  auto [it, joined] = members_.try_emplace(client);
  if (joined) {
    it->second.info = {std::string(name), via, std::chrono::system_clock::now()};
    it->second.id = ++last_membership_;
  }
  it->second.last_seen = now;
  return joined;
}

void presence::refresh(const std::string& client, clock::time_point now) {
  if (const auto it = members_.find(client); it != members_.end()) {
    it->second.last_seen = now;
  }
}

presence::membership presence::poll_began(const std::string& client) {
  const auto it = members_.find(client);
  if (it == members_.end()) {
    return 0;
  }
  ++it->second.polls_parked;
  return it->second.id;
}

void presence::poll_ended(const std::string& client, membership held, clock::time_point now) {
  if (const auto it = members_.find(client); it != members_.end() && it->second.id == held) {
    if (it->second.polls_parked > 0) {
      --it->second.polls_parked;
    }
    it->second.last_seen = now;
  }
}

bool presence::rename(const std::string& client, std::string_view name) {
  const auto it = members_.find(client);
  if (it == members_.end()) {
    return false;
  }
  it->second.info.name = std::string(name);
  return true;
}

std::optional<member_info> presence::leave(const std::string& client) {
  const auto it = members_.find(client);
  if (it == members_.end()) {
    return std::nullopt;
  }
  member_info info = std::move(it->second.info);
  members_.erase(it);
  return info;
}

std::vector<presence::departed> presence::expire(clock::time_point now, clock::duration grace) {
  std::vector<departed> gone;
  std::erase_if(members_, [&](auto& entry) {
    const member& m = entry.second;
    const bool expired =
        m.info.via == member_via::http && m.polls_parked == 0 && now - m.last_seen > grace;
    if (expired) {
      gone.push_back({entry.first, m.info});
    }
    return expired;
  });
  return gone;
}

std::vector<presence::departed> presence::entries() const {
  std::vector<departed> out;
  out.reserve(members_.size());
  for (const auto& [client, m] : members_) {
    out.push_back({client, m.info});
  }
  return out;
}

std::vector<presence::departed> presence::clear() {
  std::vector<departed> gone;
  gone.reserve(members_.size());
  for (auto& [client, m] : members_) {
    gone.push_back({client, std::move(m.info)});
  }
  std::sort(gone.begin(), gone.end(),
            [](const auto& a, const auto& b) { return a.info.since < b.info.since; });
  members_.clear();
  return gone;
}

std::vector<member_info> presence::list() const {
  std::vector<member_info> out;
  out.reserve(members_.size());
  for (const auto& [client, m] : members_) {
    out.push_back(m.info);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.since < b.since; });
  return out;
}

std::vector<member_info> presence::list_except(
    const std::unordered_map<std::string, member_info>& others) const {
  std::vector<member_info> out;
  for (const auto& [client, m] : members_) {
    if (!others.contains(client)) {
      out.push_back(m.info);
    }
  }
  return out;
}

std::size_t presence::count_except(
    const std::unordered_map<std::string, member_info>& others) const {
  return static_cast<std::size_t>(
      std::count_if(members_.begin(), members_.end(),
                    [&](const auto& entry) { return !others.contains(entry.first); }));
}

}  // namespace pollchat
