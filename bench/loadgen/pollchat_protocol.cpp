// pollchat's API (SPEC §2): POST /chat/<room> with a form field `body`; GET /chat/<room>
// ?since=N&format=json answers {"messages": [...], "next": N, "missed": M}.

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <nlohmann/json.hpp>

#include "protocol.hpp"

namespace pollchat::bench {
namespace {

// Picks only what the benchmark needs out of a poll answer without building a DOM: the
// `body` of each element of `messages`, and the top-level `next` and `missed`.
class poll_answer_reader : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit poll_answer_reader(poll_outcome& out) : out_(out) {}

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t v) override { return number(v); }
  bool number_unsigned(number_unsigned_t v) override {
    return number(static_cast<std::int64_t>(v));
  }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool string(string_t& v) override {
    if (depth_ == 3 && in_messages_ && key_ == "body") {
      if (auto s = parse_stamp(v)) {
        out_.stamps.push_back(*s);
      } else {
        ++out_.foreign;
      }
    }
    return true;
  }
  bool start_object(std::size_t) override {
    ++depth_;
    return true;
  }
  bool end_object() override {
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    ++depth_;
    if (depth_ == 2 && key_ == "messages") {
      in_messages_ = true;
      saw_messages_ = true;
    }
    return true;
  }
  bool end_array() override {
    if (depth_ == 2) {
      in_messages_ = false;
    }
    --depth_;
    return true;
  }
  bool key(string_t& k) override {
    key_ = k;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    error_ = e.what();
    return false;
  }

  bool saw_messages() const { return saw_messages_; }
  bool saw_next() const { return saw_next_; }
  std::int64_t next() const { return next_; }
  const std::string& error() const { return error_; }

 private:
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
  bool in_messages_ = false;
  bool saw_messages_ = false;
  bool saw_next_ = false;
  std::int64_t next_ = 0;
  std::string error_;
};

class pollchat_protocol final : public protocol {
 public:
  explicit pollchat_protocol(protocol_params p)
      : params_(std::move(p)), path_("/chat/" + params_.room) {}

  request make_post(const std::string& body) const override {
    request req{http::verb::post, path_, 11};
    req.set(http::field::host, params_.host);
    req.set(http::field::content_type, "application/x-www-form-urlencoded");
    boost::urls::encoding_opts opts;
    opts.space_as_plus = true;
    req.body() = "body=" + boost::urls::encode(body, boost::urls::unreserved_chars, opts);
    req.prepare_payload();
    return req;
  }

  request make_poll(const cursor& c) const override {
    request req{http::verb::get,
                path_ + "?since=" + std::to_string(c.since) +
                    "&timeout=" + std::to_string(params_.poll_timeout_s) +
                    "&limit=" + std::to_string(params_.poll_limit) + "&format=json",
                11};
    req.set(http::field::host, params_.host);
    req.set(http::field::accept, "application/json");
    return req;
  }

  poll_outcome read_poll(const response& res, cursor& c) const override {
    poll_outcome out;
    if (res.result() != http::status::ok) {
      out.error = "poll answered " + std::to_string(res.result_int());
      return out;
    }
    poll_answer_reader reader{out};
    const bool parsed = nlohmann::json::sax_parse(res.body(), &reader);
    if (!parsed || !reader.saw_messages() || !reader.saw_next()) {
      out.stamps.clear();
      out.error = parsed ? "poll answer lacks messages or next" : reader.error();
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
