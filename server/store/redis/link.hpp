#pragma once
// The instance's link to the shared Redis: one connection for commands, one subscribed to the
// message channel, both re-established by themselves with backoff (100 ms doubling to 5 s, with
// jitter) for as long as the server runs.
//
// The link is "up" only once both connections are open, the scripts are loaded and the
// subscription is confirmed: from then on every message published reaches `published`, so a
// re-read done when `status(true)` fires cannot miss one that the channel dropped while down.
// Not thread-safe: everything runs on the executor given at creation (one thread or a strand).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <string_view>

#include "store/redis/connection.hpp"
#include "store/redis/redis_url.hpp"

namespace pollchat::redis {

enum class script { post, read };

class link : public std::enable_shared_from_this<link> {
 public:
  struct handlers {
    std::function<void(std::string_view payload)> published;  // each message on the channel
    // Up (why is empty) after each (re)connection; down with the reason when it is lost.
    std::function<void(bool up, const std::string& why)> status;
  };

  static std::shared_ptr<link> create(boost::asio::any_io_executor executor, endpoint where,
                                      std::string prefix, handlers events);
  link(const link&) = delete;
  link& operator=(const link&) = delete;

  void start();
  void stop();  // closes both connections; no reconnection after it
  bool up() const { return up_; }

  const std::string& prefix() const { return prefix_; }
  std::string channel() const { return prefix_ + ":messages"; }

  // Runs one of the scripts; false (and no call of `handler`) while the link is down.
  bool eval(script which, std::span<const std::string_view> keys,
            std::span<const std::string_view> args, connection::reply_handler handler);

  // Any other command; false while the link is down.
  bool command(std::span<const std::string_view> args, connection::reply_handler handler);

 private:
  link(boost::asio::any_io_executor executor, endpoint where, std::string prefix, handlers events);

  void connect();
  void load_scripts();
  void subscribe();
  void lost(const std::string& why);
  void retry_later();

  boost::asio::any_io_executor executor_;
  const endpoint where_;
  const std::string prefix_;
  handlers events_;
  std::shared_ptr<connection> commands_;
  std::shared_ptr<connection> subscriber_;
  std::string post_sha_;  // SHA1 of each loaded script, for EVALSHA
  std::string read_sha_;
  boost::asio::steady_timer retry_;
  std::chrono::milliseconds delay_{100};
  std::minstd_rand jitter_{std::random_device{}()};
  unsigned generation_ = 0;  // bumped per attempt: a late callback of an old attempt is ignored
  bool up_ = false;
  bool down_reported_ = false;  // status(false) was said for the current outage
  bool stopped_ = false;
};

}  // namespace pollchat::redis
