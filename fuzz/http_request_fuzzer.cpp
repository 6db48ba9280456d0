// Bytes from one client -> the real request parser with the server's limits, the router's
// screening, the body limit and routing, against a fresh in-memory server state with the default
// settings, request after request (pipelining), the way http_session drives them. Polls are
// answered at once (as by a timeout). Checks that every answer is well formed: a known status,
// `Cache-Control: no-store`, a JSON body that parses (with `error` and `message` on refusals), a
// poll's messages newer than its cursor, in id order; and that a refused request changes no room.

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "http/request_rules.hpp"
#include "http/router.hpp"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using namespace pollchat;
using pollchat::fuzzing::counting_waiter;

constexpr std::size_t header_limit = 8 * 1024;  // as http_session
constexpr std::string_view peer = "192.0.2.7";

// What an observer of the rooms can see: every room's newest id.
std::map<std::string, std::uint64_t> observe(const server_state& state) {
  std::map<std::string, std::uint64_t> out;
  for (const auto& r : state.rooms.list()) {
    out.emplace(r->name(), r->last_id());
  }
  return out;
}

// The answer as a client reads it: the bytes gather_response writes, split at the blank line.
struct wire_answer {
  std::string head;  // status line and fields, each line ending in CRLF
  std::string body;
};

wire_answer on_the_wire(const response& res) {
  std::string head;
  std::vector<boost::asio::const_buffer> buffers;
  gather_response(res, false, head, buffers);
  std::string bytes;
  for (const auto& b : buffers) bytes.append(static_cast<const char*>(b.data()), b.size());
  const auto end = bytes.find("\r\n\r\n");
  return {bytes.substr(0, end + 2), bytes.substr(end + 4)};
}

// A field's value in the head (the first, by its exact name as the server writes it).
std::optional<std::string> field_of(const wire_answer& answer, const std::string& name) {
  const auto at = answer.head.find("\r\n" + name + ": ");
  if (at == std::string::npos) return std::nullopt;
  const auto value = at + name.size() + 4;
  return answer.head.substr(value, answer.head.find("\r\n", value) - value);
}

// The web page and its files (GET /, /static/...) are not chat answers: they may be cached
// (revalidated), so they carry their own Cache-Control.
bool is_page(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  return path == "/" || path.starts_with("/static/");
}

void check_response(const response& res, bool page = false) {
  const unsigned status = res.result_int();
  FUZZ_CHECK(status >= 200 && status <= 599, "a final status");
  const wire_answer answer = on_the_wire(res);
  const auto cache_control = field_of(answer, "Cache-Control");
  FUZZ_CHECK(page || cache_control == "no-store",
             "every chat answer carries Cache-Control: no-store");
  FUZZ_CHECK(cache_control.has_value(), "every answer says how to cache");
  FUZZ_CHECK(answer.head.find("\r\nCache-Control: ", answer.head.find("\r\nCache-Control: ") + 1) ==
                 std::string::npos,
             "and says it once");
  const std::string& body = answer.body;
  if (field_of(answer, "Content-Type") == "application/json") {
    const auto doc = nlohmann::json::parse(body, nullptr, false);
    FUZZ_CHECK(!doc.is_discarded(), "a JSON answer parses");
    if (status >= 400) {
      FUZZ_CHECK(doc.contains("error") && doc["error"].is_string(), "a refusal names its error");
      FUZZ_CHECK(doc.contains("message") && doc["message"].is_string(), "and says what to fix");
    }
  }
  if (status == 429 || status == 503) {
    FUZZ_CHECK(res.find(http::field::retry_after) != res.end(), "429/503 carry Retry-After");
  }
}

// A poll answered at once: the messages after its cursor, as a timeout would give them.
void answer_poll(router& r, const poll_plan& plan) {
  auto waiter = std::make_shared<counting_waiter>();
  auto outcome = plan.target->poll(plan.cursor, plan.limit, waiter);
  plan.target->cancel_wait(*waiter);
  const batch got = outcome.state == poll_state::ready ? std::move(outcome.messages)
                                                       : plan.target->read(plan.cursor, plan.limit);
  FUZZ_CHECK(got.messages.size() <= plan.limit, "a poll answers at most `limit` messages");
  std::uint64_t expect = 0;
  for (const auto& m : got.messages) {
    FUZZ_CHECK(m->id > plan.cursor, "only messages after the cursor");
    FUZZ_CHECK(expect == 0 || m->id == expect, "ids are consecutive");
    expect = m->id + 1;
  }
  FUZZ_CHECK(got.next == (got.messages.empty() ? plan.cursor : got.messages.back()->id),
             "next is the last id given, or the cursor");
  const response res = r.answer_poll(plan, got);
  check_response(res);
}

// One request from the buffer; returns false when the connection would be closed.
bool one_request(router& r, server_state& state, std::string_view& input) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(header_limit);
  parser.body_limit(boost::none);  // set once the header passed screen(), as the session does
  bool screened = false;
  std::optional<parsed_target> target;
  while (true) {
    beast::error_code ec;
    const std::size_t used = parser.put(boost::asio::buffer(input.data(), input.size()), ec);
    input.remove_prefix(used);
    if (ec == http::error::need_more && used == 0) {
      return false;  // the client stopped mid-request: the session waits, then times out
    }
    if (ec && ec != http::error::need_more) {
      return false;  // answered 400/413/431 and closed
    }
    if (ec == http::error::need_more && parser.is_header_done() && input.size() > header_limit) {
      return false;  // a chunk-size line or trailer past 8 KiB: 400 bad_chunk and closed
    }
    if (!screened && parser.is_header_done()) {
      screened = true;
      const auto before = observe(state);
      // The message rules first, as the session applies them (framing, Host).
      if (check_framing(parser.get().base())) {
        return false;  // refused and closed: where the request ends is unknown
      }
      if (check_host(parser.get().base())) {
        return parser.is_done() && parser.get().keep_alive();
      }
      // The target parsed once for screen() and route(), as the session does.
      target = parse_request_target(parser.get().target());
      if (auto refusal = r.screen(parser.get().base(), *target, peer)) {
        check_response(*refusal);
        FUZZ_CHECK(observe(state) == before, "a refusal on the header changes no room");
        return parser.is_done() && parser.get().keep_alive();
      }
      const auto length = parser.content_length();
      if (length && *length > state.settings.max_body) {
        return false;  // 413 and close
      }
      parser.body_limit(state.settings.max_body);
    }
    if (parser.is_done()) {
      break;
    }
    if (used == 0) {
      return false;  // no progress: nothing more will come
    }
  }
  const auto before = observe(state);
  request req = parser.release();
  route_result routed = target ? r.route(req, *target, peer) : r.route(req, peer);
  FUZZ_CHECK(routed.reply.has_value() != routed.poll.has_value(), "a reply or a poll, not both");
  if (routed.reply) {
    const bool page = routed.reply->result_int() < 400 && is_page(req.target());
    check_response(*routed.reply, page);
    if (routed.reply->result_int() >= 400) {
      FUZZ_CHECK(observe(state) == before, "a refused request changes no room");
    }
  } else {
    answer_poll(r, *routed.poll);
  }
  return req.keep_alive();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  server_state state{config{}};  // the defaults: every real limit
  router r(state);
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // Pipelined requests; bounded by the input, which every request consumes.
  while (!input.empty() && one_request(r, state, input)) {
  }
  return 0;
}
