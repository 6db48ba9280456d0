#include "store/redis/redis_store.hpp"

#include <boost/asio/post.hpp>
#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>

#include "common/names.hpp"
#include "core/server_state.hpp"
#include "store/redis/scripts.hpp"

namespace pollchat::redis {
namespace {

namespace asio = boost::asio;

constexpr auto close_wait = std::chrono::seconds(3);
constexpr auto default_lease = std::chrono::milliseconds(20000);

// Tests shorten the lease (CHAT_TEST_REDIS_LEASE_MS) to see a dead instance's members leave
// without waiting 20 s; it is no flag, and nothing else reads it.
std::chrono::milliseconds lease_length() {
  if (const char* text = std::getenv("CHAT_TEST_REDIS_LEASE_MS")) {
    const long ms = std::strtol(text, nullptr, 10);
    if (ms >= 100) {
      return std::chrono::milliseconds(ms);
    }
  }
  return default_lease;
}

long long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string_view text_of(const redisReply* r) {
  return r != nullptr && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
                          r->type == REDIS_REPLY_ERROR)
             ? std::string_view(r->str, r->len)
             : std::string_view{};
}

std::uint64_t number_of(const redisReply* r) {
  return r != nullptr && r->type == REDIS_REPLY_INTEGER && r->integer > 0
             ? static_cast<std::uint64_t>(r->integer)
             : 0;
}

// A prefix is part of every key name: plain characters only, so that it cannot collide with
// the separators.
bool is_valid_prefix(std::string_view prefix) {
  return !prefix.empty() && prefix.size() <= 64 && is_valid_room_name(prefix);
}

}  // namespace

std::unique_ptr<redis_store> redis_store::open(const config& settings, std::string& error) {
  std::string why;
  auto where = parse_url(settings.redis, why);
  if (!where) {
    error = fmt::format("--redis '{}': {}", settings.redis, why);
    return nullptr;
  }
  if (!is_valid_prefix(settings.redis_prefix)) {
    error = fmt::format("--redis-prefix '{}': use 1 to 64 of A-Z a-z 0-9 _ . -",
                        settings.redis_prefix);
    return nullptr;
  }
  return std::unique_ptr<redis_store>(new redis_store(std::move(*where), settings.redis_prefix, settings));
}

redis_store::redis_store(endpoint where, std::string prefix, const config& settings)
    : where_(std::move(where)),
      prefix_(std::move(prefix)),
      instance_(make_epoch()),
      lease_(lease_length()),
      history_(settings.history),
      max_rooms_(settings.max_rooms),
      work_(io_.get_executor()),
      lease_timer_(io_),
      proposed_epoch_(make_epoch()) {}

redis_store::~redis_store() {
  if (loop_.joinable()) {
    close();
  }
  link_.reset();  // pending replies are answered (with nothing) while the members still live
}

void redis_store::start() {
  link_ = link::create(io_.get_executor(), where_, prefix_,
                       {[this](std::string_view payload) {
                          if (auto stored = decode(payload)) {
                            deliver(*stored);
                          }
                        },
                        [this](bool up, const std::string& why) { on_link(up, why); }});
  spdlog::info("redis: connecting to {}:{} (prefix '{}', instance {})", where_.host, where_.port,
               prefix_, instance_);
  asio::post(io_, [this] {
    link_->start();
    renew_lease();
  });
  loop_ = std::thread([this] { io_.run(); });
}

std::string redis_store::key(std::string_view room_name, std::string_view what) const {
  return fmt::format("{}:room:{}:{}", prefix_, room_name, what);
}

std::vector<std::string> redis_store::post_keys(const std::string& room_name,
                                                const std::string& instance,
                                                const std::string& idempotency_key) const {
  std::vector<std::string> keys{prefix_ + ":epoch",       prefix_ + ":rooms",
                                key(room_name, "last"),   key(room_name, "log"),
                                key(room_name, "members"),
                                fmt::format("{}:instance:{}:members", prefix_, instance)};
  if (!idempotency_key.empty()) {
    keys.push_back(key(room_name, "key:" + idempotency_key));
  }
  return keys;
}

// How the post script names a member across instances. An HTTP client is the same member on
// every instance (its polls may land on any of them); a TCP connection lives on one instance.
std::string redis_store::member_key(const message_draft& draft) const {
  if (draft.member.empty() || draft.via == member_via::http) {
    return draft.member;
  }
  return instance_ + "/" + draft.member;
}

std::vector<std::string> redis_store::post_args(
    const std::string& room_name, const message_draft& draft, std::uint64_t newest_seen,
    const std::string& member, const std::string& instance, std::string_view scope) const {
  return {room_name,
          proposed_epoch_,
          std::to_string(max_rooms_),
          std::to_string(history_),
          std::string(to_string(draft.type)),
          draft.from,
          draft.body,
          encode_time(std::chrono::system_clock::now()),
          link_->channel(),
          std::to_string(newest_seen),
          member,
          std::string(to_string(draft.via)),
          instance,
          std::string(scope),
          prefix_ + ":instance:"};
}

// --- the link -------------------------------------------------------------------------------

void redis_store::on_link(bool up, const std::string& why) {
  if (!up) {
    lease_held_ = false;
    if (ready_.exchange(false) || outages_.load() == 0) {
      spdlog::warn("redis: {}:{} unreachable ({}); posts answer 503 store_unavailable until it "
                   "is back",
                   where_.host, where_.port, why);
    }
    outages_.fetch_add(1);
    return;
  }
  spdlog::info("redis: connected to {}:{}", where_.host, where_.port);
  adopt_epoch();
}

// The epoch Redis holds, or ours offered when it holds none; then the rooms, then posts.
void redis_store::adopt_epoch() {
  const std::string epoch_key = prefix_ + ":epoch";
  const std::string_view set[] = {"SET", epoch_key, proposed_epoch_, "NX"};
  link_->command(set, [](redisReply*) {});
  const std::string_view get[] = {"GET", epoch_key};
  link_->command(get, [this](redisReply* reply) {
    const std::string_view epoch = text_of(reply);
    if (epoch.empty() || reply->type == REDIS_REPLY_ERROR) {
      return;  // lost again, or emptied in between: the next link-up tries again
    }
    if (epoch == proposed_epoch_) {
      proposed_epoch_ = make_epoch();
    }
    if (epoch != *state_->epoch.get() && !retired_epochs_.contains(std::string(epoch))) {
      change_epoch(std::string(epoch));
    }
    epoch_known_ = true;
    const std::string rooms_key = prefix_ + ":rooms";
    const std::string_view members[] = {"SMEMBERS", rooms_key};
    link_->command(members, [this](redisReply* rooms) {
      if (rooms == nullptr || rooms->type != REDIS_REPLY_ARRAY) {
        return;
      }
      for (std::size_t i = 0; i < rooms->elements; ++i) {
        const std::string_view name = text_of(rooms->element[i]);
        if (is_valid_room_name(name) && !state_->rooms.find_or_create(name)) {
          spdlog::warn("redis: room '{}' not served here: over --max-rooms ({})", name, max_rooms_);
        }
      }
      ready_.store(true);
      renew_lease();  // at once: an instance must hold its lease before its members join
      resync_all();
    });
  });
}

void redis_store::resync_all() {
  for (const auto& r : state_->rooms.list()) {
    // The catch-up read first: Redis answers a connection's commands in order, so the joins
    // and leaves missed meanwhile are delivered (an explicit leave making this instance forget
    // a member) before the member list is compared with ours.
    fetch(r, r->last_id());
    read_members(r);
  }
}

// --- presence across instances ----------------------------------------------------------------

// A member joined or left (through any instance): the room's mirror follows Redis's list. An
// HTTP member this instance serves too is in the mirror and in the room's own list; the room
// shows it once. An explicit leave names the instances that served the member: each forgets
// its own membership, so that no second leave follows at its presence timeout.
void redis_store::mirror(const std::shared_ptr<room>& target, const stored_message& stored) {
  if (stored.member.empty() || stored.member.starts_with(instance_ + "/")) {
    return;  // a message, or one of our own TCP members (listed by the room itself)
  }
  if (stored.message->type == message_type::join) {
    target->mirror_join(stored.member, {stored.message->from, stored.via, stored.message->time});
  } else if (stored.message->type == message_type::leave) {
    target->mirror_leave(stored.member);
    if (std::find(stored.holders.begin(), stored.holders.end(), instance_) !=
        stored.holders.end()) {
      target->forget(stored.member);
    }
  }
}

// The room's whole member list, after a link-up (joins and leaves may have passed meanwhile).
void redis_store::read_members(const std::shared_ptr<room>& target) {
  const std::string members_key = key(target->name(), "members");
  const std::string_view all[] = {"HGETALL", members_key};
  link_->command(all, [this, target](redisReply* reply) {
    if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY) {
      return;
    }
    std::unordered_map<std::string, member_info> others;
    std::unordered_set<std::string> held_here;  // members Redis counts this instance a holder of
    for (std::size_t i = 0; i + 1 < reply->elements; i += 2) {
      const std::string_view member = text_of(reply->element[i]);
      if (member.starts_with(instance_ + "/")) {
        continue;  // our own TCP members: the room lists them itself
      }
      const auto entry = nlohmann::json::parse(text_of(reply->element[i + 1]), nullptr, false);
      if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string() ||
          (entry.contains("since_ms") && !entry["since_ms"].is_string())) {
        continue;
      }
      // Redis counts this instance among the member's holders, but the member is no longer
      // ours (our lapse was refused while Redis was away): let go now, or it would be listed
      // for as long as this instance lives.
      const auto holders = entry.find("holders");
      const bool ours = holders != entry.end() && holders->is_object() && holders->contains(instance_);
      if (ours) {
        held_here.emplace(member);
      }
      if (ours && !target->is_member(std::string(member))) {
        message_draft lapse{message_type::leave, "", "", std::string(member), member_via::http};
        lapse.lapsed = true;
        append(target, std::move(lapse), {}, nullptr);
      }
      const std::string since = entry.value("since_ms", std::string("0"));
      others.emplace(std::string(member),
                     member_info{entry["name"].get<std::string>(),
                                 entry.value("via", std::string()) == "tcp" ? member_via::tcp
                                                                           : member_via::http,
                                 std::chrono::system_clock::time_point{
                                     std::chrono::milliseconds(std::atoll(since.c_str()))}});
    }
    target->mirror_reset(std::move(others));
    // Members this instance serves that Redis does not count it a holder of: their join was
    // refused while Redis was away, or this instance's lease ran out meanwhile and another let
    // go in its place. Said (again) now; a member that another instance still holds only gains
    // this one as a holder ("held"), so that its leave waits for this instance too.
    for (auto& own : target->own_members()) {
      if (own.info.via == member_via::http && !held_here.contains(own.client)) {
        append(target,
               {message_type::join, std::move(own.info.name), "", own.client, member_via::http}, {},
               nullptr);
      }
    }
  });
}

// Keeps this instance's lease, then looks for instances whose lease ran out; again and again.
void redis_store::renew_lease() {
  lease_timer_.cancel();  // one chain of renewals, also when called at a link-up
  if (ready_.load()) {
    const std::string lease_key = fmt::format("{}:instance:{}", prefix_, instance_);
    const std::string ttl = std::to_string(lease_.count());
    const std::string_view set[] = {"SET", lease_key, "1", "PX", ttl};
    link_->command(set, [](redisReply*) {});
    const std::string instances_key = prefix_ + ":instances";
    const std::string until = std::to_string(now_ms() + lease_.count());
    const std::string_view add[] = {"ZADD", instances_key, until, instance_};
    link_->command(add, [this](redisReply* added) {
      if (added == nullptr || added->type != REDIS_REPLY_INTEGER) {
        return;
      }
      // ZADD counts the instances it had to add: none while our lease held.
      if (added->integer > 0 && lease_held_) {
        spdlog::warn("redis: this instance's lease ran out (it stood still for over {} ms) and "
                     "its members were let go; saying them again",
                     lease_.count());
        for (const auto& r : state_->rooms.list()) {
          read_members(r);
        }
      }
      lease_held_ = true;
    });
    sweep_dead_instances();
  }
  lease_timer_.expires_after(lease_ / 4);
  lease_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec != boost::asio::error::operation_aborted) {
      renew_lease();
    }
  });
}

void redis_store::sweep_dead_instances() {
  const std::string instances_key = prefix_ + ":instances";
  const std::string now = std::to_string(now_ms());
  const std::string_view expired[] = {"ZRANGEBYSCORE", instances_key, "-inf", now};
  link_->command(expired, [this, instances_key](redisReply* dead) {
    if (dead == nullptr || dead->type != REDIS_REPLY_ARRAY) {
      return;
    }
    for (std::size_t i = 0; i < dead->elements; ++i) {
      const std::string instance(text_of(dead->element[i]));
      if (instance.empty() || instance == instance_) {
        continue;
      }
      const std::string set_key = fmt::format("{}:instance:{}:members", prefix_, instance);
      const std::string_view members[] = {"SMEMBERS", set_key};
      link_->command(members, [this, instance, set_key, instances_key](redisReply* held) {
        if (held == nullptr || held->type != REDIS_REPLY_ARRAY) {
          return;
        }
        for (std::size_t k = 0; k < held->elements; ++k) {
          const std::string_view entry = text_of(held->element[k]);
          const auto tab = entry.find('\t');
          if (tab == std::string_view::npos) continue;
          const std::string room_name(entry.substr(0, tab));
          const std::string member(entry.substr(tab + 1));
          if (!is_valid_room_name(room_name)) continue;
          // The dead instance lets go of the member: its leave is said only when no other
          // instance serves it still.
          const auto keys = post_keys(room_name, instance, {});
          const member_via via =
              member.starts_with(instance + "/") ? member_via::tcp : member_via::http;
          const auto args = post_args(room_name, {message_type::leave, "", "", member, via}, 0,
                                      member, instance, "lapse");
          const std::vector<std::string_view> key_views(keys.begin(), keys.end());
          const std::vector<std::string_view> arg_views(args.begin(), args.end());
          link_->eval(script::post, key_views, arg_views, [](redisReply*) {});
        }
        // After the leaves (one connection: Redis runs them first), the instance is forgotten.
        const std::string_view forget[] = {"ZREM", instances_key, instance};
        link_->command(forget, [](redisReply*) {});
        const std::string_view drop[] = {"DEL", set_key};
        link_->command(drop, [](redisReply*) {});
        spdlog::info(
            "redis: instance {} stopped renewing its lease; it no longer holds its {} "
            "members (each leaves unless another instance serves it)",
            instance, held->elements);
      });
    }
  });
}

// --- appending --------------------------------------------------------------------------------

std::optional<append_result> redis_store::append(const std::shared_ptr<room>& target,
                                                 message_draft draft, std::string_view key,
                                                 std::shared_ptr<append_client> client) {
  in_flight_.fetch_add(1);
  asio::post(io_, [this, target, draft = std::move(draft), key = std::string(key),
                   client = std::move(client)]() mutable {
    store_message(std::move(target), std::move(draft), std::move(key), std::move(client));
  });
  return std::nullopt;
}

void redis_store::store_message(std::shared_ptr<room> target, message_draft draft,
                                std::string idempotency_key, std::shared_ptr<append_client> client) {
  if (!ready_.load()) {
    answer(client, append_result::failure());
    return;
  }
  const std::string& name = target->name();
  const std::vector<std::string> keys = post_keys(name, instance_, idempotency_key);
  const std::string member = member_key(draft);
  const std::vector<std::string> args =
      post_args(name, draft, target->last_id(), member, instance_, draft.lapsed ? "lapse" : "all");
  const std::vector<std::string_view> key_views(keys.begin(), keys.end());
  const std::vector<std::string_view> arg_views(args.begin(), args.end());
  const bool sent = link_->eval(
      script::post, key_views, arg_views,
      [this, client, target, from = std::move(draft.from)](redisReply* reply) {
        if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || reply->elements < 2) {
          if (reply != nullptr && reply->type == REDIS_REPLY_ERROR) {
            spdlog::warn("redis: the post script failed: {}", text_of(reply));
          }
          answer(client, append_result::failure());
          return;
        }
        const std::string_view status = text_of(reply->element[0]);
        if (status == "held") {
          // Another instance said the join already: this poll goes on as a member's, with nothing
          // stored (id 0 moves no cursor).
          answer(client, {make_message(0, target->name(), {message_type::join, from, {}},
                                       std::chrono::system_clock::now()),
                          true, false});
          return;
        }
        if (status == "gone" || status == "kept") {
          // A leave said already, or one that other instances' polls still hold back: nothing to
          // store (presence messages have no one waiting for them).
          answer(client, append_result::failure());
          return;
        }
        if (status == "too_many_rooms" || reply->elements < 3) {
          spdlog::warn("redis: a new room was refused: the instances hold --max-rooms ({}) rooms",
                       max_rooms_);
          answer(client, status == "too_many_rooms" ? append_result::refused_room()
                                                    : append_result::failure());
          return;
        }
        auto stored = decode(text_of(reply->element[2]));
        if (!stored) {
          answer(client, append_result::failure());
          return;
        }
        if (status == "stored") {
          if (stored->epoch == proposed_epoch_) {
            proposed_epoch_ = make_epoch();  // ours became the epoch: never offer it again
          }
          deliver(*stored);
        }
        answer(client, {stored->message, status == "repeat", false});
      });
  if (!sent) {
    answer(client, append_result::failure());
  }
}

void redis_store::answer(const std::shared_ptr<append_client>& client, append_result result) {
  if (client) {
    client->on_appended(std::move(result));
  }
  in_flight_.fetch_sub(1);
}

void redis_store::room_created(const std::shared_ptr<room>& created) {
  asio::post(io_, [this, name = created->name()] {
    if (ready_.load()) {
      // Counted only while the instances hold fewer than --max-rooms between them: a room made
      // here past that stays empty here (and expires), and its first post is refused by the
      // post script (429 too_many_rooms). Plain EVAL: once per new room.
      static constexpr std::string_view add_if_room =
          "if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 or "
          "redis.call('SCARD', KEYS[1]) < tonumber(ARGV[2]) then "
          "return redis.call('SADD', KEYS[1], ARGV[1]) end return 0";
      const std::string rooms_key = prefix_ + ":rooms";
      const std::string max = std::to_string(max_rooms_);
      const std::string_view add[] = {"EVAL", add_if_room, "1", rooms_key, name, max};
      link_->command(add, [](redisReply*) {});
    }
  });
}

// --- delivering -------------------------------------------------------------------------------

void redis_store::deliver(const stored_message& stored) {
  if (retired_epochs_.contains(stored.epoch)) {
    return;
  }
  if (stored.epoch != *state_->epoch.get()) {
    change_epoch(stored.epoch);  // Redis was emptied, or went back in time, and says so
  }
  const auto target = state_->rooms.find_or_create(stored.message->room);
  if (!target) {
    return;  // over this instance's --max-rooms: logged when the room list was read
  }
  if (stored.message->id <= target->last_id()) {
    return;  // the other copy (our own post's reply, or the channel's) came first
  }
  room_sync& sync = syncs_[target->name()];
  sync.pending.emplace(stored.message->id, stored);
  drain(target, sync);
}

// Publishes what continues the room's ids; reads the missing ones when there is a gap.
void redis_store::drain(const std::shared_ptr<room>& target, room_sync& sync) {
  const std::uint64_t last = target->last_id();
  sync.pending.erase(sync.pending.begin(), sync.pending.upper_bound(last));
  std::vector<room::durable> run;
  std::uint64_t expected = last + 1;
  for (auto it = sync.pending.begin(); it != sync.pending.end() && it->first == expected;
       it = sync.pending.erase(it), ++expected) {
    mirror(target, it->second);
    run.push_back({it->second.message, {}});
  }
  if (!run.empty()) {
    target->publish(run);
  }
  if (!sync.pending.empty()) {
    fetch(target, expected - 1);
  }
}

void redis_store::fetch(const std::shared_ptr<room>& target, std::uint64_t since) {
  room_sync& state = syncs_[target->name()];
  if (state.fetching || !link_) {
    return;
  }
  state.fetching = true;
  const std::string& name = target->name();
  const std::string epoch_key = prefix_ + ":epoch";
  const std::string last_key = key(name, "last");
  const std::string log_key = key(name, "log");
  const std::string since_text = std::to_string(since);
  const std::string limit = std::to_string(history_);
  const std::string_view keys[] = {epoch_key, last_key, log_key};
  const std::string_view args[] = {since_text, limit};
  // What this instance had published when it asked: all of it was in Redis by then, so Redis
  // answering with less means it went back in time. (By the time the answer arrives, the
  // channel may have brought newer messages: those prove nothing.)
  const std::uint64_t published = target->last_id();
  const bool sent = link_->eval(script::read, keys, args, [this, target, since, published](redisReply* reply) {
    auto it = syncs_.find(target->name());
    if (it == syncs_.end()) {
      return;  // a new epoch dropped this room's state meanwhile
    }
    room_sync& sync = it->second;
    sync.fetching = false;
    if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || reply->elements < 3) {
      return;  // the link is down: the next link-up reads every room again
    }
    const std::string_view epoch = text_of(reply->element[0]);
    if (epoch.empty()) {
      return;  // Redis was emptied: the next post sets a new epoch and names it
    }
    if (retired_epochs_.contains(std::string(epoch))) {
      return;  // a reply older than our last change of epoch
    }
    if (epoch != *state_->epoch.get()) {
      change_epoch(std::string(epoch));
      return;
    }
    const std::uint64_t newest = number_of(reply->element[1]);
    const std::uint64_t oldest = number_of(reply->element[2]);
    if (newest < published) {
      start_new_epoch();  // Redis holds less than we had published: an older snapshot
      return;
    }
    if (oldest > since + 1 && target->last_id() < oldest - 1) {
      // Trimmed before this instance saw them: start the room over after the gap.
      target->restart_after(oldest - 1);
    }
    std::size_t added = 0;
    for (std::size_t i = 3; i < reply->elements; ++i) {
      if (auto stored = decode(text_of(reply->element[i]))) {
        if (stored->message->room == target->name() && stored->message->id > target->last_id()) {
          sync.pending.emplace(stored->message->id, std::move(*stored));
          ++added;
        }
      }
    }
    if (added != 0) {
      gaps_filled_.fetch_add(1);
    }
    const bool gap_remains =
        !sync.pending.empty() && sync.pending.begin()->first > target->last_id() + 1 + added;
    if (added == 0 && gap_remains) {
      sync.pending.clear();  // Redis does not have what we wait for: never spin on it
    }
    drain(target, sync);
  });
  if (!sent) {
    state.fetching = false;
  }
}

// --- epochs -----------------------------------------------------------------------------------

void redis_store::change_epoch(const std::string& next) {
  const auto previous = state_->epoch.get();
  if (next == *previous) {
    return;
  }
  retired_epochs_.insert(*previous);
  state_->epoch.set(next);
  syncs_.clear();
  for (const auto& r : state_->rooms.list()) {
    r->restart_after(0);  // wakes every parked poll: each starts over in the new epoch
  }
  if (!epoch_known_) {
    epoch_known_ = true;  // the first one this instance learns: its own start, not news
    spdlog::info("redis: epoch {}", next);
  } else {
    epochs_started_.fetch_add(1);
    spdlog::warn("redis: epoch {} -> {} (Redis was emptied or restored from an older snapshot); "
                 "readers start over",
                 *previous, next);
  }
  if (ready_.load()) {
    resync_all();
  }
}

void redis_store::start_new_epoch() {
  const std::string next = proposed_epoch_;
  proposed_epoch_ = make_epoch();
  const std::string epoch_key = prefix_ + ":epoch";
  const std::string_view set[] = {"SET", epoch_key, next};
  link_->command(set, [this, next](redisReply* reply) {
    if (reply != nullptr && reply->type != REDIS_REPLY_ERROR) {
      change_epoch(next);
    }
  });
}

// --- the rest -------------------------------------------------------------------------------

std::string redis_store::render_metrics() const {
  return fmt::format(
      "# HELP pollchat_redis_up 1 while this instance is linked to Redis and takes posts.\n"
      "# TYPE pollchat_redis_up gauge\npollchat_redis_up {}\n"
      "# HELP pollchat_redis_outages_total Times the link to Redis was lost (or not reached).\n"
      "# TYPE pollchat_redis_outages_total counter\npollchat_redis_outages_total {}\n"
      "# HELP pollchat_redis_epochs_total Epochs started because Redis was emptied or restored.\n"
      "# TYPE pollchat_redis_epochs_total counter\npollchat_redis_epochs_total {}\n"
      "# HELP pollchat_redis_gaps_filled_total Reads from Redis that filled a gap in a room.\n"
      "# TYPE pollchat_redis_gaps_filled_total counter\npollchat_redis_gaps_filled_total {}\n",
      ready_.load() ? 1 : 0, outages_.load(), epochs_started_.load(), gaps_filled_.load());
}

// Waits for the appends in flight (the leaves of a clean stop among them), then unlinks.
void redis_store::close() {
  if (!loop_.joinable()) {
    return;
  }
  const auto until = std::chrono::steady_clock::now() + close_wait;
  while (in_flight_.load() != 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  asio::post(io_, [this] {
    lease_timer_.cancel();
    // Our members' leaves went out above; saying we are gone spares the others a sweep.
    const std::string instances_key = prefix_ + ":instances";
    const std::string lease_key = fmt::format("{}:instance:{}", prefix_, instance_);
    const std::string_view forget[] = {"ZREM", instances_key, instance_};
    link_->command(forget, [](redisReply*) {});
    const std::string_view drop[] = {"DEL", lease_key};
    link_->command(drop, [](redisReply*) {});
    ready_.store(false);
    link_->stop();
  });
  work_.reset();
  while (!io_.stopped() && std::chrono::steady_clock::now() < until + close_wait) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  io_.stop();
  loop_.join();
}

}  // namespace pollchat::redis
