#include "store/redis/link.hpp"

#include <algorithm>
#include <hiredis/hiredis.h>

#include "store/redis/scripts.hpp"

namespace pollchat::redis {
namespace {

constexpr std::chrono::milliseconds first_delay{100};
constexpr std::chrono::milliseconds longest_delay{5000};
constexpr std::chrono::milliseconds connect_timeout{2000};

}  // namespace

std::shared_ptr<link> link::create(boost::asio::any_io_executor executor, endpoint where,
                                   std::string prefix, handlers events) {
  return std::shared_ptr<link>(
      new link(std::move(executor), std::move(where), std::move(prefix), std::move(events)));
}

link::link(boost::asio::any_io_executor executor, endpoint where, std::string prefix,
           handlers events)
    : executor_(executor),
      where_(std::move(where)),
      prefix_(std::move(prefix)),
      events_(std::move(events)),
      retry_(executor) {}

void link::start() { connect(); }

void link::stop() {
  stopped_ = true;
  retry_.cancel();
  up_ = false;
  if (commands_) commands_->close();
  if (subscriber_) subscriber_->close();
}

void link::connect() {
  if (stopped_) {
    return;
  }
  const unsigned attempt = ++generation_;
  commands_ = connection::create(executor_);
  subscriber_ = connection::create(executor_);
  commands_->connect(where_, connect_timeout, [weak = weak_from_this(), attempt](const std::string& error) {
    auto self = weak.lock();
    if (!self || attempt != self->generation_) return;
    if (!error.empty()) {
      self->lost(error);
      return;
    }
    self->commands_->on_closed([weak = self->weak_from_this(), attempt](const std::string& why) {
      auto me = weak.lock();
      if (me && attempt == me->generation_) me->lost(why);
    });
    self->load_scripts();
  });
}

void link::load_scripts() {
  const unsigned attempt = generation_;
  const auto load = [this, attempt](std::string_view source, std::string& sha, std::function<void()> next) {
    const std::string_view args[] = {"SCRIPT", "LOAD", source};
    commands_->command(args, [weak = weak_from_this(), attempt, &sha, next](redisReply* reply) {
      auto self = weak.lock();
      if (!self || attempt != self->generation_) return;
      if (const std::string error = error_of(reply); !error.empty()) {
        self->lost("SCRIPT LOAD failed: " + error);
        return;
      }
      sha.assign(reply->str, reply->len);
      next();
    });
  };
  load(post_script, post_sha_, [this, load] {
    load(read_script, read_sha_, [this] { subscribe(); });
  });
}

void link::subscribe() {
  const unsigned attempt = generation_;
  subscriber_->connect(where_, connect_timeout, [weak = weak_from_this(), attempt](const std::string& error) {
    auto self = weak.lock();
    if (!self || attempt != self->generation_) return;
    if (!error.empty()) {
      self->lost(error);
      return;
    }
    self->subscriber_->on_closed([weak = self->weak_from_this(), attempt](const std::string& why) {
      auto me = weak.lock();
      if (me && attempt == me->generation_) me->lost(why);
    });
    const std::string name = self->channel();
    const std::string_view channels[] = {name};
    self->subscriber_->subscribe(
        channels,
        [weak = self->weak_from_this()](std::string_view, std::string_view payload) {
          auto me = weak.lock();
          if (me && me->events_.published) me->events_.published(payload);
        },
        [weak = self->weak_from_this(), attempt] {
          auto me = weak.lock();
          if (!me || attempt != me->generation_) return;
          me->up_ = true;
          me->down_reported_ = false;
          me->delay_ = first_delay;
          if (me->events_.status) me->events_.status(true, {});
        });
  });
}

void link::lost(const std::string& why) {
  up_ = false;
  ++generation_;  // whatever the old connections still report is about the past
  if (commands_) commands_->close();
  if (subscriber_) subscriber_->close();
  // Said once per outage (the first failure at start too), not once per attempt.
  if (!down_reported_) {
    down_reported_ = true;
    if (events_.status) events_.status(false, why);
  }
  retry_later();
}

void link::retry_later() {
  if (stopped_) {
    return;
  }
  // Full jitter over the current step, so that instances that lost Redis together do not all
  // come back in the same millisecond.
  std::uniform_int_distribution<long> spread(delay_.count() / 2, delay_.count());
  retry_.expires_after(std::chrono::milliseconds(spread(jitter_)));
  delay_ = std::min(delay_ * 2, longest_delay);
  retry_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (!ec && self) self->connect();
  });
}

bool link::eval(script which, std::span<const std::string_view> keys,
                std::span<const std::string_view> args, connection::reply_handler handler) {
  if (!up_) {
    return false;
  }
  const std::string& sha = which == script::post ? post_sha_ : read_sha_;
  const std::string count = std::to_string(keys.size());
  std::vector<std::string_view> argv{"EVALSHA", sha, count};
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  // A Redis restarted since the load has forgotten the script (NOSCRIPT): send it whole once.
  std::vector<std::string> copy(argv.begin(), argv.end());
  return commands_->command(argv, [weak = weak_from_this(), which, copy = std::move(copy),
                                   handler = std::move(handler)](redisReply* reply) mutable {
    auto self = weak.lock();
    const bool noscript = reply != nullptr && reply->type == REDIS_REPLY_ERROR &&
                          std::string_view(reply->str, reply->len).starts_with("NOSCRIPT");
    if (!noscript || !self || !self->up_) {
      handler(reply);
      return;
    }
    copy[0] = "EVAL";
    copy[1] = std::string(which == script::post ? post_script : read_script);
    std::vector<std::string_view> again(copy.begin(), copy.end());
    if (!self->commands_->command(again, handler)) {
      handler(nullptr);
    }
  });
}

bool link::command(std::span<const std::string_view> args, connection::reply_handler handler) {
  return up_ && commands_->command(args, std::move(handler));
}

}  // namespace pollchat::redis
