#include "http/router.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/url/parse.hpp>
#include <charconv>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "http/header_fields.hpp"
#include "http/poll_request.hpp"
#include "http/post_request.hpp"
#include "http/request_rules.hpp"
#include "net/refusal_log.hpp"
#include "net/same_secret.hpp"
#include "web/page_reply.hpp"

namespace pollchat {
namespace {

namespace http = boost::beast::http;
namespace urls = boost::urls;
using json = nlohmann::ordered_json;

// root: GET is the web page, POST a post to the lobby; static_file: the page's own files.
enum class endpoint {
  root,
  chat,
  rooms,
  room_info,
  room_leave,
  healthz,
  metrics,
  static_file,
  unknown
};

struct target {
  endpoint kind = endpoint::unknown;
  std::string_view room;  // for chat, room_info and room_leave, as written (never decoded)
  // for static_file: the name after /static/
  std::string_view file{};
};

target classify(std::string_view path) {
  const auto room_after = [&](std::string_view prefix, endpoint kind) -> std::optional<target> {
    if (!path.starts_with(prefix)) {
      return std::nullopt;
    }
    const std::string_view rest = path.substr(prefix.size());
    if (rest.find('/') != std::string_view::npos) {
      return target{};
    }
    return target{kind, rest};
  };
  if (path == "/") return {endpoint::root, room_registry::lobby};
  if (path == "/chat") return {endpoint::chat, room_registry::lobby};
  if (path == "/rooms") return {endpoint::rooms, {}};
  if (path == "/healthz") return {endpoint::healthz, {}};
  if (path == "/metrics") return {endpoint::metrics, {}};
  if (auto t = room_after("/chat/", endpoint::chat)) return *t;
  constexpr std::string_view rooms_prefix = "/rooms/";
  constexpr std::string_view leave_suffix = "/leave";
  if (path.size() > rooms_prefix.size() + leave_suffix.size() && path.starts_with(rooms_prefix) &&
      path.ends_with(leave_suffix)) {  // /rooms/<room>/leave
    const std::string_view name = path.substr(
        rooms_prefix.size(), path.size() - rooms_prefix.size() - leave_suffix.size());
    if (!name.empty() && name.find('/') == std::string_view::npos) {
      return {endpoint::room_leave, name};
    }
  }
  if (auto t = room_after("/rooms/", endpoint::room_info)) return *t;
  if (auto t = room_after("/static/", endpoint::static_file)) {
    return {t->kind, {}, t->room};
  }
  return {};
}

// The methods each endpoint answers; the Allow header of a 405. HEAD goes wherever GET goes.
std::string_view allowed_methods(endpoint kind) {
  switch (kind) {
    case endpoint::root:
    case endpoint::chat:
      return "GET, HEAD, POST";
    case endpoint::room_leave:
      return "POST";
    default:
      return "GET, HEAD";
  }
}

// HEAD asks for what GET would answer, without the body (RFC 9110 §9.3.2).
bool is_get(http::verb method) { return method == http::verb::get || method == http::verb::head; }

bool method_allowed(endpoint kind, http::verb method) {
  if (method == http::verb::head) {
    method = http::verb::get;
  }
  switch (kind) {
    case endpoint::root:
      return method == http::verb::post || method == http::verb::get;
    case endpoint::chat:
      return method == http::verb::get || method == http::verb::post;
    case endpoint::room_leave:
      return method == http::verb::post;
    case endpoint::unknown:
      return true;
    default:
      return method == http::verb::get;
  }
}

// `content_type` has static storage (a literal): the answer keeps only a view of it.
response make_response(http::status status, std::string_view content_type, std::string body) {
  response res{status, 11};
  res.body().content_type = content_type;
  res.body().cache_control = "no-store";
  res.body().head = std::move(body);
  return res;
}

response json_response(http::status status, const json& doc) {
  return make_response(status, "application/json", doc.dump() + "\n");
}

// A number as decimal digits, into a small buffer the caller copies at once.
struct decimal {
  explicit decimal(std::uint64_t n) : size(static_cast<std::size_t>(
                                          std::to_chars(digits, digits + sizeof digits, n).ptr - digits)) {}
  operator std::string_view() const { return {digits, size}; }
  char digits[20];
  std::size_t size;
};

response not_found() {
  return router::error({http::status::not_found, "not_found",
                        "no such endpoint; see /chat, /chat/<room>, /rooms, /healthz, /metrics"});
}

// HTTP clients name themselves; TCP clients get ids from the server. Separate key spaces, so no
// HTTP request can refresh or remove a TCP member.
std::string http_member_key(std::string_view client) { return "http:" + std::string(client); }

std::string retry_after_seconds(rate_limiter::clock::duration wait) {
  const auto whole = std::chrono::ceil<std::chrono::seconds>(wait).count();
  return std::to_string(std::max<decltype(whole)>(whole, 1));
}

response rate_limited(rate_limiter::clock::duration wait, std::string_view what) {
  auto res = router::error({http::status::too_many_requests, "rate_limited",
                            fmt::format("too many {} from your address; slow down", what)});
  res.set(http::field::retry_after, retry_after_seconds(wait));
  return res;
}

// Rooms that never had a message expire after --room-expiry, so the wait is a guess.
response too_many_rooms(std::size_t max_rooms) {
  log_refusal(refusal::rooms_full, max_rooms);
  auto res = router::error({http::status::too_many_requests, "too_many_rooms",
                            fmt::format("the server holds its maximum of {} rooms; use an existing one",
                                        max_rooms)});
  res.set(http::field::retry_after, "60");
  return res;
}

}  // namespace

response router::error(const api_error& e) {
  json doc;
  doc["error"] = e.code;
  doc["message"] = e.message;
  return json_response(e.status, doc);
}

response router::shutting_down() {
  auto res = error({http::status::service_unavailable, "shutting_down",
                    "the server is shutting down; retry in a moment"});
  res.set(http::field::retry_after, "1");
  return res;
}

response router::refused_append(const append_result& refused) const {
  // The instances together hold --max-rooms (the shared count in Redis): the same answer as a
  // single server's full room table, not an outage.
  return refused.rooms_full ? too_many_rooms(state_.settings.max_rooms) : store_unavailable();
}

response router::store_unavailable() {
  auto res = error({http::status::service_unavailable, "store_unavailable",
                    "the server cannot store messages right now (its disk or its Redis is failing "
                    "or away); nothing was stored; retry in a moment"});
  res.set(http::field::retry_after, "1");
  return res;
}

parsed_target parse_request_target(std::string_view target) {
  return {target, parse_target(target)};
}

namespace {

// `parsed`'s URL when it was parsed from these very bytes, else these bytes parsed now.
boost::system::result<urls::url_view> url_of(const parsed_target& parsed, std::string_view bytes) {
  const bool same = parsed.bytes.data() == bytes.data() && parsed.bytes.size() == bytes.size();
  return same ? parsed.url : parse_target(bytes);
}

}  // namespace

std::optional<response> router::screen(const request_header& header, const parsed_target& parsed,
                                       std::string_view peer) {
  const auto url = url_of(parsed, header.target());
  const target t = url ? classify(route_path(*url)) : target{};
  const bool get = is_get(header.method());
  const bool healthz = t.kind == endpoint::healthz && get;
  if (state_.draining.load() && !healthz) {
    return shutting_down();
  }

  // The token comes before everything else, so an unknown or malformed path without it is
  // 401 too: nothing about the server is revealed to whoever lacks it.
  // The page and its files need no token: the page asks for it (SPEC §5).
  const bool public_page = (t.kind == endpoint::root || t.kind == endpoint::static_file) && get;
  if (!state_.settings.token.empty() && !healthz && !public_page) {
    if (auto refused = check_bearer(field_value(header, http::field::authorization), peer)) {
      return refused;
    }
  }
  if (!url) {
    return error({http::status::bad_request, "bad_request", "the request target is not a valid path"});
  }

  if (t.kind == endpoint::unknown) {
    return not_found();
  }
  if (!method_allowed(t.kind, header.method())) {
    // The message does not name the method, so HEAD's Content-Length is GET's.
    auto res = error({http::status::method_not_allowed, "method_not_allowed",
                      fmt::format("this path takes only {}", allowed_methods(t.kind))});
    res.set(http::field::allow, allowed_methods(t.kind));
    return res;
  }
  const bool names_room =
      t.kind == endpoint::chat || t.kind == endpoint::room_info || t.kind == endpoint::room_leave;
  if (names_room && !is_valid_room_name(t.room)) {
    return error({http::status::bad_request, "bad_room",
                  "a room name is 1 to 64 characters of A-Z a-z 0-9 _ . -"});
  }

  if (header.method() == http::verb::post) {
    const std::string_view type = field_value(header, http::field::content_type);
    if (t.kind != endpoint::room_leave && !is_supported_post_type(type)) {
      return error(unsupported_media_type());
    }
    if (const auto wait = state_.post_limiter.acquire(peer, rate_limiter::clock::now())) {
      return rate_limited(*wait, "posts");
    }
  }
  return std::nullopt;
}

// Nothing when `auth` carries the server's token. A wrong token costs a token of the address's
// wrong-token bucket (at the post rate); while that bucket is empty every bearer token, the
// right one too, is answered 429 before it is compared, so guessing cannot go faster than the
// post rate. A request without a token costs nothing (the web page asks for it on its 401).
std::optional<response> router::check_bearer(std::string_view auth, std::string_view peer) {
  constexpr std::string_view scheme = "bearer ";
  const bool bearer = auth.size() >= scheme.size() &&
                      boost::beast::iequals(auth.substr(0, scheme.size()), scheme);
  const std::string bucket = wrong_token_bucket(peer);
  const auto now = rate_limiter::clock::now();
  if (bearer) {
    if (const auto wait = state_.post_limiter.wait_for(bucket, now)) {
      return rate_limited(*wait, "wrong tokens");
    }
    if (same_secret(auth.substr(scheme.size()), state_.settings.token)) {
      return std::nullopt;
    }
    state_.post_limiter.acquire(bucket, now);
  }
  auto res = error({http::status::unauthorized, "unauthorized",
                    "this server needs 'Authorization: Bearer <token>'"});
  res.set(http::field::www_authenticate, "Bearer");
  return res;
}

route_result router::route(const request& req, const parsed_target& parsed,
                           std::string_view peer) {
  const auto url = url_of(parsed, req.target());
  if (!url) {
    return {error({http::status::bad_request, "bad_request", "the request target is not a valid path"}), {}};
  }
  urls::encoding_opts opts;
  opts.space_as_plus = true;
  const urls::params_view query = url->params(opts);
  const target t = classify(route_path(*url));
  const bool get = is_get(req.method());

  switch (t.kind) {
    case endpoint::root:
      if (get) {
        if (auto page = page_reply("index.html", req[http::field::if_none_match])) {
          return {std::move(*page), {}};
        }
        return {not_found(), {}};  // not reached: the build always embeds index.html
      }
      return post_message(req, query, t.room, peer);
    case endpoint::chat:
      if (req.method() == http::verb::head) {
        return {peek_poll(req, url->encoded_params(), t.room), {}};
      }
      if (get) {
        return start_poll(req, url->encoded_params(), t.room, peer);
      }
      return post_message(req, query, t.room, peer);
    case endpoint::rooms:
      return {list_rooms(query), {}};
    case endpoint::room_info:
      return {describe_room(t.room), {}};
    case endpoint::room_leave:
      return {leave_room(req, query, t.room), {}};
    case endpoint::healthz:
      return {health(), {}};
    case endpoint::metrics: {
      gauges now;
      now.rooms = state_.rooms.size();
      now.connections_open = state_.connections_open.load();
      now.tcp_clients = state_.tcp_clients.load();
      return {make_response(http::status::ok, "text/plain; version=0.0.4; charset=utf-8",
                            state_.counters.render(now) + store_of(state_).render_metrics()),
              {}};
    }
    case endpoint::static_file:
      // The page itself lives at / only: under /static/ its relative URLs would point nowhere.
      if (t.file != "index.html") {
        if (auto res = page_reply(t.file, req[http::field::if_none_match])) {
          return {std::move(*res), {}};
        }
      }
      return {error({http::status::not_found, "not_found", "no such file under /static/"}), {}};
    case endpoint::unknown:
      break;
  }
  return {not_found(), {}};
}

route_result router::post_message(const request& req, const urls::params_view& query,
                                  std::string_view room_name, std::string_view peer) {
  std::string_view key;
  if (const auto value = find_field(req, "Idempotency-Key")) {
    key = *value;
    if (key.empty() || key.size() > 128) {
      return {error({http::status::bad_request, "bad_parameter",
                     "Idempotency-Key must be 1 to 128 characters"}),
              {}, {}};
    }
  }
  auto parsed = parse_post(field_value(req, http::field::content_type), req.body(), query,
                           post_limits{state_.settings.max_message});
  if (auto* e = std::get_if<api_error>(&parsed)) {
    return {error(*e), {}, {}};
  }
  auto& fields = std::get<post_fields>(parsed);
  auto target_room = state_.rooms.find(room_name);
  if (!target_room) {
    if (auto refusal = pay_for_room(true, false, peer)) {
      return {std::move(*refusal), {}, {}};
    }
    target_room = state_.rooms.find_or_create(room_name);
  }
  if (!target_room) {
    return {too_many_rooms(state_.settings.max_rooms), {}, {}};
  }
  post_plan plan{std::move(target_room),
                 message_draft{message_type::message, std::move(fields.name), std::move(fields.body)},
                 std::string(key), std::move(fields.client)};
  message_store& store = store_of(state_);
  if (!store.answers_inline()) {
    return {std::nullopt, std::nullopt, std::move(plan)};  // the session waits for the store
  }
  const auto stored = store.append(plan.target, std::move(plan.draft), plan.key, nullptr);
  return {answer_post(plan, *stored), {}, {}};
}

response router::answer_post(const post_plan& plan, const append_result& stored) {
  if (stored.failed) {
    return refused_append(stored);
  }
  if (!stored.repeated) {
    state_.counters.posts_total.fetch_add(1, std::memory_order_relaxed);
  }
  if (!plan.client.empty()) {
    plan.target->refresh(http_member_key(plan.client));  // a member that posts stays a member
  }
  // The message's own JSON, shared rather than copied.
  response res = make_response(http::status::ok, "application/json", {});
  res.body().items.push_back(stored.message);
  res.body().tail = "\n";
  return res;
}

route_result router::start_poll(const request& req, const urls::params_encoded_view& query,
                                std::string_view room_name, std::string_view peer) {
  auto parsed = parse_poll(query, field_value(req, http::field::accept),
                           poll_limits{state_.settings.poll_timeout, state_.settings.max_poll_timeout});
  if (auto* e = std::get_if<api_error>(&parsed)) {
    return {error(*e), {}};
  }
  const auto& params = std::get<poll_params>(parsed);
  auto target_room = state_.rooms.find(room_name);
  const std::string member_key = params.client.empty() ? std::string() : http_member_key(params.client);
  // A join is a message like a post, so a new member costs a token of the post rate; so does a
  // new room. Both are paid before anything changes: a refused poll creates nothing.
  const bool joins = !member_key.empty() && (!target_room || !target_room->is_member(member_key));
  if (auto refusal = pay_for_room(!target_room, joins, peer)) {
    return {std::move(*refusal), {}};
  }
  if (!target_room) {
    target_room = state_.rooms.find_or_create(room_name);
  }
  if (!target_room) {
    return {too_many_rooms(state_.settings.max_rooms), {}};
  }
  state_.counters.polls_total.fetch_add(1, std::memory_order_relaxed);
  if (!member_key.empty()) {
    // Joins before the cursor is taken: a reader waiting for the next message does not get its
    // own join as that message. A store that answers later gets the join from the session,
    // which moves the cursor past it once it is stored.
    if (auto join = target_room->admit(member_key, params.name, member_via::http)) {
      state_.rooms.watch_members(target_room);  // the presence sweep expires it from now on
      message_store& store = store_of(state_);
      if (!store.answers_inline()) {
        const bool since_arrival = !params.since.has_value();
        poll_plan plan{target_room, 0, params.limit, params.as_text, params.timeout,
                       std::move(member_key), std::move(join), since_arrival};
        plan.epoch = state_.epoch.get();
        plan.cursor = cursor_for(params, target_room->last_id(), *plan.epoch);
        return {std::nullopt, std::move(plan), std::nullopt};
      }
      store.append(target_room, std::move(*join), {}, nullptr);
    }
  }

  auto epoch = state_.epoch.get();
  const std::uint64_t cursor = cursor_for(params, target_room->last_id(), *epoch);
  return {std::nullopt,
          poll_plan{std::move(target_room), cursor, params.limit, params.as_text, params.timeout,
                    std::move(member_key), std::nullopt, false, std::move(epoch)},
          std::nullopt};
}

// Without `since` the reader waits for the next message; a cursor from another epoch or from
// beyond the newest id is reset to 0, so the reader gets the history instead of waiting for
// ids that will never come. Behind a shared store (Redis) another instance may be a few
// milliseconds ahead of this one: a cursor beyond this instance's newest id is then waited on,
// not reset (the message that passes it is on its way).
std::uint64_t router::cursor_for(const poll_params& params, std::uint64_t newest,
                                 std::string_view epoch) const {
  if (!params.since) {
    return newest;
  }
  const bool other_epoch = params.epoch && *params.epoch != epoch;
  const bool beyond = *params.since > newest && !store_of(state_).shared();
  return (other_epoch || beyond) ? 0 : *params.since;
}

// HEAD /chat...: the status and headers GET would give at once (as with timeout=0). HEAD is
// safe: it never parks, never makes its client a member, and never creates the room (a room
// that does not exist answers as an empty one, which is what GET would create).
response router::peek_poll(const request& req, const urls::params_encoded_view& query,
                           std::string_view room_name) {
  auto parsed = parse_poll(query, field_value(req, http::field::accept),
                           poll_limits{state_.settings.poll_timeout, state_.settings.max_poll_timeout});
  if (auto* e = std::get_if<api_error>(&parsed)) {
    return error(*e);
  }
  const auto& params = std::get<poll_params>(parsed);
  batch messages;
  if (const auto target_room = state_.rooms.find(room_name)) {
    messages = target_room->read(cursor_for(params, target_room->last_id(), *state_.epoch.get()),
                                 params.limit);
  } else if (state_.rooms.size() >= state_.settings.max_rooms) {
    // GET would have to create the room and could not: HEAD answers what GET would.
    return too_many_rooms(state_.settings.max_rooms);
  }
  return poll_answer(room_name, params.as_text, messages);
}

response router::answer_poll(const poll_plan& plan, const batch& messages) {
  state_.counters.deliveries_total.fetch_add(messages.messages.size(), std::memory_order_relaxed);
  return poll_answer(plan.target->name(), plan.as_text, messages);
}

response router::poll_answer(std::string_view room_name, bool as_text, const batch& messages) const {
  const auto epoch = state_.epoch.get();
  response res;
  if (as_text) {
    if (messages.messages.empty()) {
      res = make_response(http::status::no_content, "text/plain; charset=utf-8", {});
    } else {
      res = make_response(http::status::ok, "text/plain; charset=utf-8", {});
      res.body().items.assign(messages.messages.begin(), messages.messages.end());
      res.body().items_as_text = true;
    }
  } else {
    // Appended piece by piece: fmt's general formatting cost a woken poll more than the rest
    // of its answer's head. (A room name and an epoch are plain ASCII: nothing to escape.)
    std::string head;
    head.reserve(40 + room_name.size() + epoch->size());
    head.append(R"({"room":")").append(room_name).append(R"(","epoch":")").append(*epoch).append(
        R"(","messages":[)");
    res = make_response(http::status::ok, "application/json", std::move(head));
    res.body().items.assign(messages.messages.begin(), messages.messages.end());
    res.body().separator = ",";
    std::string& tail = res.body().tail;
    tail.append(R"(],"next":)").append(decimal(messages.next)).append(R"(,"missed":)");
    tail.append(decimal(messages.missed)).append("}\n");
  }
  res.body().add_field("Chat-Next", decimal(messages.next));
  res.body().add_field("Chat-Epoch", *epoch);
  if (messages.missed != 0) {
    res.body().add_field("Chat-Missed", decimal(messages.missed));
  }
  return res;
}

response router::leave_room(const request& req, const urls::params_view& query,
                            std::string_view room_name) {
  // `client` from a form body or from the query string.
  std::optional<std::string> client = find_form_field(req.body(), "client");
  if (!client) {
    if (const auto it = query.find("client"); it != query.end()) {
      client = (*it).value;
    }
  }
  if (!client || client->empty()) {
    return error({http::status::bad_request, "bad_parameter", "send the client id to leave with: client=<id>"});
  }
  if (auto checked = check_client(*client); std::holds_alternative<api_error>(checked)) {
    return error(std::get<api_error>(checked));
  }
  const auto r = state_.rooms.find(room_name);
  if (!r) {
    return error({http::status::not_found, "no_such_room", fmt::format("there is no room '{}'", room_name)});
  }
  // Not a member: nothing to leave, same answer.
  if (auto leave = r->dismiss(http_member_key(*client))) {
    emit(store_of(state_), r, std::move(*leave));
  }
  return make_response(http::status::no_content, "text/plain; charset=utf-8", {});
}

// Creating a room and joining one cost a token each of the address's post rate, taken at once.
std::optional<response> router::pay_for_room(bool creates, bool joins, std::string_view peer) {
  const double cost = (creates ? 1.0 : 0.0) + (joins ? 1.0 : 0.0);
  if (cost == 0) {
    return std::nullopt;
  }
  if (const auto wait = state_.post_limiter.acquire(peer, rate_limiter::clock::now(), cost)) {
    return rate_limited(*wait, creates ? "new rooms" : "joins");
  }
  return std::nullopt;
}

// One page of rooms in name order, so that the answer stays small and cheap however many rooms
// exist; `next` names where the following page starts (`?after=<next>`).
response router::list_rooms(const urls::params_view& query) {
  constexpr std::size_t page_size = 1000;
  std::string after;
  if (const auto it = query.find("after"); it != query.end()) {
    after = (*it).value;
    if (!is_valid_room_name(after)) {
      return error({http::status::bad_request, "bad_parameter",
                    "after must be a room name (the `next` of the previous page)"});
    }
  }
  bool more = false;
  const auto page = state_.rooms.page(after, page_size, more);
  json rooms = json::array();
  for (const auto& r : page) {
    json entry;
    entry["room"] = r->name();
    entry["last_id"] = r->last_id();
    entry["members"] = r->member_count();
    entry["parked"] = r->parked();
    rooms.push_back(std::move(entry));
  }
  json doc;
  doc["rooms"] = std::move(rooms);
  if (more) {
    doc["next"] = page.back()->name();
  }
  return json_response(http::status::ok, doc);
}

response router::describe_room(std::string_view room_name) {
  const auto r = state_.rooms.find(room_name);
  if (!r) {
    return error({http::status::not_found, "no_such_room",
                  fmt::format("there is no room '{}'", room_name)});
  }
  json doc;
  doc["room"] = r->name();
  doc["epoch"] = *state_.epoch.get();
  doc["last_id"] = r->last_id();
  doc["parked"] = r->parked();
  json members = json::array();
  for (const auto& m : r->members()) {
    json member;
    member["name"] = m.name;
    member["via"] = to_string(m.via);
    member["since"] = format_time(m.since);
    members.push_back(std::move(member));
  }
  doc["members"] = std::move(members);
  return json_response(http::status::ok, doc);
}

response router::health() {
  if (state_.draining.load()) {
    return make_response(http::status::service_unavailable, "text/plain; charset=utf-8", "draining\n");
  }
  if (!store_of(state_).healthy()) {
    return make_response(http::status::service_unavailable, "text/plain; charset=utf-8",
                         "store_unavailable\n");
  }
  return make_response(http::status::ok, "text/plain; charset=utf-8", "ok\n");
}

}  // namespace pollchat
