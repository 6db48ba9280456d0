#pragma once
// One Redis connection driven by the server's own Asio event loop (hiredis's async API).
//
// hiredis's async API knows no event loop: through five hooks in `redisAsyncContext::ev` it asks
// to be told when its socket is readable or writable (addRead/delRead, addWrite/delWrite) and
// says when it is done with the socket (cleanup). This adapter answers those hooks with
// `async_wait` on a `posix::stream_descriptor` that wraps hiredis's socket without owning it
// (hiredis closes it), and re-arms each wait for as long as hiredis wants it. No thread of its
// own: everything runs on the executor given at creation, which must be a single thread or a
// strand (hiredis is not thread-safe).
//
// Lifetime: hiredis frees its context itself on a disconnect or an error, from inside its own
// read or write handling. `cleanup` tells us; from then on no wait touches the context. A
// connection is used once: after it closed, make a new one (the store's reconnect loop does).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/redis/redis_url.hpp"

struct redisAsyncContext;
struct redisReply;

namespace pollchat::redis {

class connection : public std::enable_shared_from_this<connection> {
 public:
  // The reply, valid only during the call; nullptr when the connection was lost first.
  using reply_handler = std::function<void(redisReply*)>;
  using message_handler = std::function<void(std::string_view channel, std::string_view payload)>;
  // Empty on success, else why it failed.
  using done_handler = std::function<void(const std::string& error)>;

  static std::shared_ptr<connection> create(boost::asio::any_io_executor executor);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // Resolves, connects, then AUTH and SELECT as the endpoint asks; `done` once, either way.
  void connect(const endpoint& where, std::chrono::milliseconds timeout, done_handler done);

  // Sends one command; false (and `handler` is never called) when not connected.
  bool command(std::span<const std::string_view> args, reply_handler handler);

  // Subscribes; `confirmed` runs once Redis has registered each channel (messages published from
  // then on arrive), and each message goes to `on_message` until the connection closes.
  bool subscribe(std::span<const std::string_view> channels, message_handler on_message,
                 std::function<void()> confirmed = {});

  // One subscription's handlers, called by hiredis for every reply on the subscription.
  struct subscription {
    message_handler on_message;
    std::function<void()> confirmed;
  };

  // Called once when an open connection is lost or closed (not for a failed connect()).
  void on_closed(done_handler handler) { on_closed_ = std::move(handler); }

  // Disconnects now; pending replies get nullptr. Idempotent.
  void close();

  bool is_open() const { return context_ != nullptr && ready_; }

 private:
  explicit connection(boost::asio::any_io_executor executor);

  void attach(const std::string& address, std::uint16_t port);
  void handshake();
  void finish_connect(const std::string& error, bool close_on_failure = true);
  void wait_readable();
  void wait_writable();
  void forget_context();

  // hiredis's hooks; `privdata` is this connection.
  static void add_read(void* privdata);
  static void del_read(void* privdata);
  static void add_write(void* privdata);
  static void del_write(void* privdata);
  static void cleanup(void* privdata);
  static void on_connect(const redisAsyncContext* context, int status);
  static void on_disconnect(const redisAsyncContext* context, int status);

  boost::asio::any_io_executor executor_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer connect_timer_;
  boost::asio::posix::stream_descriptor socket_;  // hiredis's fd, not owned
  redisAsyncContext* context_ = nullptr;          // null once hiredis freed it
  endpoint where_;
  bool ready_ = false;          // connected, authenticated, database selected
  bool want_read_ = false;      // hiredis asked for readability and has not withdrawn it
  bool want_write_ = false;
  bool read_waiting_ = false;   // an async_wait for readability is pending
  bool write_waiting_ = false;
  done_handler on_connected_;   // set until connect() reports
  done_handler on_closed_;
  // Subscription handlers live as long as the connection: hiredis calls them once per message.
  std::vector<std::unique_ptr<subscription>> subscriptions_;
};

// What went wrong with a command, from its reply: Redis's error text, "the connection was lost"
// when there is no reply, empty when it succeeded.
std::string error_of(const redisReply* reply);

}  // namespace pollchat::redis
