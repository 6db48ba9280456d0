// pollchat's API (SPEC §2): POST /chat/<room> with a form field `body`; GET /chat/<room>
// ?since=N&format=json answers {"messages": [...], "next": N, "missed": M}.

#include <fmt/format.h>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "protocol.hpp"

namespace pollchat::bench {
namespace {

// Picks only what the benchmark needs out of a poll answer without building a DOM: the
// `body` of each element of `messages`, and the top-level `next` and `missed`. Boost.JSON's
// push parser: the load generator parses every answer of up to 200k deliveries a second on
// one core, and nlohmann's lexer measured ~13k instructions per message here (callgrind).
class poll_answer_handler {
 public:
  using error_code = boost::json::error_code;
  using string_view = boost::json::string_view;
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

  explicit poll_answer_handler(poll_outcome& out) : out_(out) {}

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) {
    ++depth_;
    return true;
  }
  bool on_object_end(std::size_t, error_code&) {
    --depth_;
    return true;
  }
  bool on_array_begin(error_code&) {
    ++depth_;
    if (depth_ == 2 && key_ == "messages") {
      in_messages_ = true;
      saw_messages_ = true;
    }
    return true;
  }
  bool on_array_end(std::size_t, error_code&) {
    if (depth_ == 2) {
      in_messages_ = false;
    }
    --depth_;
    return true;
  }
  // A key or string may arrive in parts (escapes, long text); the last part ends it.
  bool on_key_part(string_view s, std::size_t, error_code&) {
    append_part(key_, key_partial_, s);
    return true;
  }
  bool on_key(string_view s, std::size_t, error_code&) {
    append_part(key_, key_partial_, s);
    key_partial_ = false;
    return true;
  }
  bool on_string_part(string_view s, std::size_t, error_code&) {
    if (wants_body()) {
      append_part(body_, body_partial_, s);
    }
    return true;
  }
  bool on_string(string_view s, std::size_t, error_code&) {
    if (!wants_body()) {
      return true;
    }
    std::string_view whole{s.data(), s.size()};
    if (body_partial_) {
      body_.append(s.data(), s.size());
      whole = body_;
      body_partial_ = false;
    }
    if (auto st = parse_stamp(whole)) {
      out_.stamps.push_back(*st);
    } else {
      ++out_.foreign;
    }
    return true;
  }
  bool on_number_part(string_view, error_code&) { return true; }
  bool on_int64(std::int64_t v, string_view, error_code&) { return number(v); }
  bool on_uint64(std::uint64_t v, string_view, error_code&) {
    return number(static_cast<std::int64_t>(v));
  }
  bool on_double(double, string_view, error_code&) { return true; }
  bool on_bool(bool, error_code&) { return true; }
  bool on_null(error_code&) { return true; }
  bool on_comment_part(string_view, error_code&) { return true; }
  bool on_comment(string_view, error_code&) { return true; }

  bool saw_messages() const { return saw_messages_; }
  bool saw_next() const { return saw_next_; }
  std::int64_t next() const { return next_; }

 private:
  bool wants_body() const { return depth_ == 3 && in_messages_ && key_ == "body"; }

  // The first part replaces what the previous key or string left; later parts append.
  static void append_part(std::string& to, bool& partial, string_view s) {
    if (!partial) {
      to.clear();
      partial = true;
    }
    to.append(s.data(), s.size());
  }

  bool number(std::int64_t v) {
    if (depth_ == 1 && key_ == "next") {
      next_ = v;
      saw_next_ = true;
    } else if (depth_ == 1 && key_ == "missed" && v > 0) {
      out_.server_missed += static_cast<std::uint64_t>(v);
    }
    return true;
  }

  poll_outcome& out_;
  int depth_ = 0;
  std::string key_;
  bool key_partial_ = false;
  std::string body_;
  bool body_partial_ = false;
  bool in_messages_ = false;
  bool saw_messages_ = false;
  bool saw_next_ = false;
  std::int64_t next_ = 0;
};

class pollchat_protocol final : public protocol {
 public:
  explicit pollchat_protocol(protocol_params p)
      : params_(std::move(p)), path_("/chat/" + params_.room) {}

  std::string make_post(const std::string& body) const override {
    boost::urls::encoding_opts opts;
    opts.space_as_plus = true;
    const auto form = "body=" + boost::urls::encode(body, boost::urls::unreserved_chars, opts);
    return fmt::format(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        "Content-Length: {}\r\n\r\n{}",
        path_, params_.host, form.size(), form);
  }

  std::string make_poll(const cursor& c) const override {
    return fmt::format(
        "GET {}?since={}&timeout={}&limit={}&format=json HTTP/1.1\r\nHost: {}\r\n"
        "Accept: application/json\r\n\r\n",
        path_, c.since, params_.poll_timeout_s, params_.poll_limit, params_.host);
  }

  poll_outcome read_poll(const response& res, cursor& c) const override {
    poll_outcome out;
    if (res.result() != http::status::ok) {
      out.error = "poll answered " + std::to_string(res.result_int());
      return out;
    }
    boost::json::basic_parser<poll_answer_handler> parser{boost::json::parse_options{}, out};
    boost::json::error_code ec;
    const auto& body = res.body();
    const auto used = parser.write_some(false, body.data(), body.size(), ec);
    const auto& reader = parser.handler();
    if (ec || used != body.size() || !reader.saw_messages() || !reader.saw_next()) {
      out.stamps.clear();
      out.error =
          ec ? "poll answer is not JSON: " + ec.message() : "poll answer lacks messages or next";
      return out;
    }
    c.since = reader.next();
    out.what = out.stamps.empty() && out.foreign == 0 ? poll_outcome::kind::empty
                                                      : poll_outcome::kind::messages;
    return out;
  }

  bool post_ok(const response& res) const override { return res.result() == http::status::ok; }

 private:
  protocol_params params_;
  std::string path_;
};

}  // namespace

std::unique_ptr<protocol> make_pollchat_protocol(const protocol_params& p) {
  return std::make_unique<pollchat_protocol>(p);
}

}  // namespace pollchat::bench
