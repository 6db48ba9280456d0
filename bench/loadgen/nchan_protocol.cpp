// nginx + Nchan: POST /pub/<room> with the message as the body; GET /sub/<room> long-polls and
// answers one message per response, whose Last-Modified and Etag headers are the cursor the
// next request sends back as If-Modified-Since and If-None-Match.

#include "protocol.hpp"

namespace pollchat::bench {
namespace {

class nchan_protocol final : public protocol {
 public:
  explicit nchan_protocol(protocol_params p)
      : params_(std::move(p)), pub_path_("/pub/" + params_.room), sub_path_("/sub/" + params_.room) {}

  request make_post(const std::string& body) const override {
    request req{http::verb::post, pub_path_, 11};
    req.set(http::field::host, params_.host);
    req.set(http::field::content_type, "text/plain");
    req.body() = body;
    req.prepare_payload();
    return req;
  }

  request make_poll(const cursor& c) const override {
    request req{http::verb::get, sub_path_, 11};
    req.set(http::field::host, params_.host);
    if (!c.last_modified.empty()) {
      req.set(http::field::if_modified_since, c.last_modified);
      req.set(http::field::if_none_match, c.etag);
    }
    return req;
  }

  poll_outcome read_poll(const response& res, cursor& c) const override {
    poll_outcome out;
    switch (res.result()) {
      case http::status::ok: {
        auto lm = res.find(http::field::last_modified);
        auto et = res.find(http::field::etag);
        if (lm == res.end() || et == res.end()) {
          out.error = "nchan message without Last-Modified/Etag";
          return out;
        }
        c.last_modified = std::string{lm->value()};
        c.etag = std::string{et->value()};
        if (auto s = parse_stamp(res.body())) {
          out.stamps.push_back(*s);
        } else {
          out.foreign = 1;
        }
        out.what = poll_outcome::kind::messages;
        return out;
      }
      // A long-poll that timed out (Nchan answers 304 or 408): ask again from the same cursor.
      case http::status::not_modified:
      case http::status::request_timeout:
      case http::status::no_content:
        out.what = poll_outcome::kind::empty;
        return out;
      default:
        out.error = "nchan poll answered " + std::to_string(res.result_int());
        return out;
    }
  }

  bool post_ok(const response& res) const override {
    const auto code = res.result_int();
    return code >= 200 && code < 300;
  }

 private:
  protocol_params params_;
  std::string pub_path_;
  std::string sub_path_;
};

}  // namespace

std::unique_ptr<protocol> make_nchan_protocol(const protocol_params& p) {
  return std::make_unique<nchan_protocol>(p);
}

}  // namespace pollchat::bench
