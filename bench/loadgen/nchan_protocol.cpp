// nginx + Nchan: POST /pub/<room> with the message as the body; GET /sub/<room> long-polls and
// answers one message per response, whose Last-Modified and Etag headers are the cursor the
// next request sends back as If-Modified-Since and If-None-Match.

#include <fmt/format.h>

#include "protocol.hpp"

namespace pollchat::bench {
namespace {

class nchan_protocol final : public protocol {
 public:
  explicit nchan_protocol(protocol_params p)
      : params_(std::move(p)),
        pub_path_("/pub/" + params_.room),
        sub_path_("/sub/" + params_.room) {}

  std::string make_post(const std::string& body) const override {
    return fmt::format(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n"
        "\r\n{}",
        pub_path_, params_.host, body.size(), body);
  }

  std::string make_poll(const cursor& c) const override {
    if (c.last_modified.empty()) {
      return fmt::format("GET {} HTTP/1.1\r\nHost: {}\r\n\r\n", sub_path_, params_.host);
    }
    return fmt::format(
        "GET {} HTTP/1.1\r\nHost: {}\r\nIf-Modified-Since: {}\r\nIf-None-Match: {}\r\n\r\n",
        sub_path_, params_.host, c.last_modified, c.etag);
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
