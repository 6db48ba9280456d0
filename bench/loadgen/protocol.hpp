#pragma once
// What differs between the servers under test: how a message is posted, how a long-poll is
// asked for with the reader's cursor, and how an answer is turned into stamps plus a new cursor.
// pollchat (and the Go peer, which speaks pollchat's API) batch every pending message into one
// answer with a numeric cursor; Nchan answers one message at a time with a header cursor.

#include <boost/beast/http.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stamp.hpp"

namespace pollchat::bench {

namespace http = boost::beast::http;

using response = http::response<http::string_body>;

// A reader's position in a room; each protocol uses its own fields.
struct cursor {
  std::int64_t since = 0;     // pollchat: `next` of the previous answer
  std::string last_modified;  // nchan: Last-Modified of the previous message
  std::string etag;           // nchan: Etag of the previous message
};

struct poll_outcome {
  enum class kind { messages, empty, bad };
  kind what = kind::bad;
  std::vector<stamp> stamps;
  std::uint64_t foreign = 0;        // bodies that were no stamp of ours
  std::uint64_t server_missed = 0;  // what the server says this reader lost (pollchat `missed`)
  std::string error;                // for kind::bad
};

class protocol {
 public:
  virtual ~protocol() = default;
  // Whole HTTP/1.1 requests, ready to write: formatting a few header lines directly costs the
  // client far less than Beast's generic serializer, and the client's CPU is the benchmark's
  // ceiling.
  virtual std::string make_post(const std::string& body) const = 0;
  virtual std::string make_poll(const cursor& c) const = 0;
  // Reads an answer to make_poll; advances c past what it carried.
  virtual poll_outcome read_poll(const response& res, cursor& c) const = 0;
  // Whether a post answer means "stored".
  virtual bool post_ok(const response& res) const = 0;
};

struct protocol_params {
  std::string host;  // Host header, "127.0.0.1:PORT"
  std::string room;
  int poll_timeout_s = 30;  // asked of pollchat per poll
  int poll_limit = 1000;    // pollchat `limit`
};

std::unique_ptr<protocol> make_pollchat_protocol(const protocol_params& p);
std::unique_ptr<protocol> make_nchan_protocol(const protocol_params& p);

}  // namespace pollchat::bench
