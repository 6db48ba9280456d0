#pragma once
// Turns a request into a response, or into "park this poll after id N". Pure: it reads and
// changes room state but does no I/O, so every rule of the API is testable without sockets.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/system/result.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/url_view.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "http/api_error.hpp"
#include "http/chat_body.hpp"
#include "http/poll_request.hpp"
#include "core/room.hpp"
#include "core/server_state.hpp"
#include "store/message_store.hpp"

namespace pollchat {

using request = boost::beast::http::request<boost::beast::http::string_body>;
using request_header = boost::beast::http::request_header<>;

// A long-poll to run: what the session parks on and how it answers.
struct poll_plan {
  std::shared_ptr<room> target;
  std::uint64_t cursor = 0;
  std::size_t limit = 100;
  bool as_text = false;
  std::chrono::seconds timeout{30};
  std::string client;  // presence: a member while this poll is parked; empty: anonymous
  // Behind a durable store: the join this poll emits, to be stored before it parks (so that a
  // reader without `since` does not wake for its own join); `since_arrival` says the cursor is
  // "the newest id at arrival" and moves past that join.
  std::optional<message_draft> join{};
  bool since_arrival = false;
  // The epoch the cursor belongs to: a poll that outlives it (Redis emptied) starts over at 0.
  std::shared_ptr<const std::string> epoch{};
};

// A post waiting for a store that answers later (--data-dir): the session hands it over and
// answers with answer_post() once it is durable.
struct post_plan {
  std::shared_ptr<room> target;
  message_draft draft;
  std::string key;     // Idempotency-Key, empty when none
  std::string client;  // presence: a member that posts stays a member
};

// Exactly one of the three is set.
struct route_result {
  std::optional<response> reply{};
  std::optional<poll_plan> poll{};
  std::optional<post_plan> post{};
};

// A request's target, parsed once for both screen() and route() (parsing it twice was a tenth
// of a poll's own work). It views the request's bytes: it may be used only while that request
// lives (the check in screen() and route() is by address, not a guard against freed bytes).
struct parsed_target {
  std::string_view bytes;
  boost::system::result<boost::urls::url_view> url;
};

parsed_target parse_request_target(std::string_view target);

class router {
 public:
  explicit router(server_state& state) : state_(state) {}

  // What can be decided from the header alone: draining, token, target, path, method, media
  // type and post rate. A reply here is final (and lets `Expect: 100-continue` be refused
  // before the body is sent); nullopt means read the body and route().
  std::optional<response> screen(const request_header& header, std::string_view peer) {
    return screen(header, parse_request_target(header.target()), peer);
  }
  // With its target already parsed (a `parsed` target from other bytes than this request's is
  // not used: the target is parsed anew, here and in route()).
  std::optional<response> screen(const request_header& header, const parsed_target& parsed,
                                 std::string_view peer);

  // The whole request, after screen() let it through; `peer` is the client's address.
  route_result route(const request& req, std::string_view peer) {
    return route(req, parse_request_target(req.target()), peer);
  }
  route_result route(const request& req, const parsed_target& parsed, std::string_view peer);

  // The answer to a poll: its messages (possibly none: a timeout).
  response answer_poll(const poll_plan& plan, const batch& messages);

  // The answer to a post once the store is done with it.
  response answer_post(const post_plan& plan, const append_result& stored);

  // A post or a join the store did not take: store_unavailable, or too_many_rooms when the
  // instances sharing the store hold --max-rooms between them.
  response refused_append(const append_result& refused) const;

  static response error(const api_error& e);
  static response shutting_down();
  static response store_unavailable();

 private:
  std::optional<response> check_bearer(std::string_view authorization, std::string_view peer);
  route_result post_message(const request& req, const boost::urls::params_view& query,
                            std::string_view room_name, std::string_view peer);
  route_result start_poll(const request& req, const boost::urls::params_encoded_view& query,
                          std::string_view room_name, std::string_view peer);
  response peek_poll(const request& req, const boost::urls::params_encoded_view& query,
                     std::string_view room_name);
  std::uint64_t cursor_for(const poll_params& params, std::uint64_t newest,
                           std::string_view epoch) const;
  response poll_answer(std::string_view room_name, bool as_text, const batch& messages) const;
  response leave_room(const request& req, const boost::urls::params_view& query,
                      std::string_view room_name);
  response list_rooms(const boost::urls::params_view& query);
  std::optional<response> pay_for_room(bool creates, bool joins, std::string_view peer);
  response describe_room(std::string_view room_name);
  response health();

  server_state& state_;
};

}  // namespace pollchat
