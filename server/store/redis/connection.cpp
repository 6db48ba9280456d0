#include "store/redis/connection.hpp"

#include <boost/asio/post.hpp>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

namespace pollchat::redis {
namespace {

connection* self_of(void* privdata) { return static_cast<connection*>(privdata); }

// One command's handler travels through hiredis as its privdata and is freed after its one call.
void on_reply(redisAsyncContext* /*context*/, void* reply, void* privdata) {
  const std::unique_ptr<connection::reply_handler> handler(
      static_cast<connection::reply_handler*>(privdata));
  (*handler)(static_cast<redisReply*>(reply));
}

// A subscription's handlers are called for every reply on it; the connection owns them.
void on_message(redisAsyncContext* /*context*/, void* reply, void* privdata) {
  const auto* r = static_cast<redisReply*>(reply);
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
      r->element[0]->type != REDIS_REPLY_STRING) {
    return;  // the connection going away
  }
  auto& handlers = *static_cast<connection::subscription*>(privdata);
  const std::string_view kind(r->element[0]->str, r->element[0]->len);
  if (kind == "subscribe" && handlers.confirmed) {
    handlers.confirmed();
  } else if (kind == "message") {
    handlers.on_message(std::string_view(r->element[1]->str, r->element[1]->len),
                        std::string_view(r->element[2]->str, r->element[2]->len));
  }
}

bool send(redisAsyncContext* context, redisCallbackFn* callback, void* privdata,
          std::span<const std::string_view> args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const auto arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  return redisAsyncCommandArgv(context, callback, privdata, static_cast<int>(args.size()),
                               argv.data(), lengths.data()) == REDIS_OK;
}

}  // namespace

std::string error_of(const redisReply* reply) {
  if (reply == nullptr) {
    return "the connection was lost";
  }
  if (reply->type == REDIS_REPLY_ERROR) {
    return std::string(reply->str, reply->len);
  }
  return {};
}

std::shared_ptr<connection> connection::create(boost::asio::any_io_executor executor) {
  return std::shared_ptr<connection>(new connection(std::move(executor)));
}

connection::connection(boost::asio::any_io_executor executor)
    : executor_(executor), resolver_(executor), connect_timer_(executor), socket_(executor) {}

connection::~connection() {
  on_closed_ = nullptr;
  on_connected_ = nullptr;
  if (context_ != nullptr) {
    redisAsyncFree(context_);  // pending handlers get nullptr; cleanup() forgets the context
  }
}

void connection::connect(const endpoint& where, std::chrono::milliseconds timeout,
                         done_handler done) {
  where_ = where;
  on_connected_ = std::move(done);
  connect_timer_.expires_after(timeout);
  connect_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (!ec && self && self->on_connected_) {
      self->finish_connect("no answer within the connect timeout");
    }
  });
  // Resolve with Asio: hiredis would call getaddrinfo and block the event loop.
  resolver_.async_resolve(
      where.host, std::to_string(where.port),
      [weak = weak_from_this()](boost::system::error_code ec,
                                const boost::asio::ip::tcp::resolver::results_type& results) {
        auto self = weak.lock();
        if (!self || !self->on_connected_) {
          return;
        }
        if (ec || results.empty()) {
          self->finish_connect("cannot resolve " + self->where_.host + ": " + ec.message());
          return;
        }
        self->attach(results.begin()->endpoint().address().to_string(), self->where_.port);
      });
}

void connection::attach(const std::string& address, std::uint16_t port) {
  redisAsyncContext* context = redisAsyncConnect(address.c_str(), port);
  if (context == nullptr) {
    finish_connect("out of memory");
    return;
  }
  if (context->err != 0) {
    const std::string why = context->errstr;
    redisAsyncFree(context);
    finish_connect(why);
    return;
  }
  context_ = context;
  boost::system::error_code ec;
  socket_.assign(context->c.fd, ec);
  if (ec) {
    context_ = nullptr;
    redisAsyncFree(context);
    finish_connect("cannot watch the socket: " + ec.message());
    return;
  }
  context->data = this;
  context->ev.data = this;
  context->ev.addRead = &connection::add_read;
  context->ev.delRead = &connection::del_read;
  context->ev.addWrite = &connection::add_write;
  context->ev.delWrite = &connection::del_write;
  context->ev.cleanup = &connection::cleanup;
  redisAsyncSetDisconnectCallback(context, &connection::on_disconnect);
  // Also asks for writability: the first writable event is the connect's completion.
  redisAsyncSetConnectCallback(context, &connection::on_connect);
}

void connection::on_connect(const redisAsyncContext* context, int status) {
  connection* self = self_of(context->data);
  if (status != REDIS_OK) {
    // hiredis frees the context right after this returns: closing it here would free it twice.
    self->finish_connect(context->errstr, /*close_on_failure=*/false);
    return;
  }
  self->handshake();
}

void connection::handshake() {
  const auto then_select = [weak = weak_from_this()] {
    auto self = weak.lock();
    if (!self) {
      return;
    }
    if (self->where_.db == 0) {
      self->finish_connect({});
      return;
    }
    const std::string db = std::to_string(self->where_.db);
    const std::string_view args[] = {"SELECT", db};
    self->command(args, [weak = self->weak_from_this()](redisReply* reply) {
      if (auto me = weak.lock()) {
        const std::string error = error_of(reply);
        me->finish_connect(error.empty() ? error : "SELECT refused: " + error);
      }
    });
  };
  if (where_.password.empty()) {
    then_select();
    return;
  }
  std::vector<std::string_view> args{"AUTH"};
  if (!where_.user.empty()) {
    args.emplace_back(where_.user);
  }
  args.emplace_back(where_.password);
  command(args, [weak = weak_from_this(), then_select](redisReply* reply) {
    auto self = weak.lock();
    if (!self) {
      return;
    }
    const std::string error = error_of(reply);
    if (!error.empty()) {
      self->finish_connect("AUTH refused: " + error);
      return;
    }
    then_select();
  });
}

void connection::finish_connect(const std::string& error, bool close_on_failure) {
  if (!on_connected_) {
    return;
  }
  connect_timer_.cancel();
  ready_ = error.empty() && context_ != nullptr;
  auto done = std::move(on_connected_);
  on_connected_ = nullptr;
  const std::string outcome = ready_ || !error.empty() ? error : "the connection was lost";
  if (!ready_ && close_on_failure) {
    close();
  }
  // Never run the caller's code inside hiredis's own frames.
  boost::asio::post(executor_, [done = std::move(done), outcome] { done(outcome); });
}

bool connection::command(std::span<const std::string_view> args, reply_handler handler) {
  if (context_ == nullptr || (context_->c.flags & REDIS_DISCONNECTING) != 0) {
    return false;
  }
  auto owned = std::make_unique<reply_handler>(std::move(handler));
  if (!send(context_, &on_reply, owned.get(), args)) {
    return false;
  }
  owned.release();  // on_reply frees it
  return true;
}

bool connection::subscribe(std::span<const std::string_view> channels, message_handler handler,
                           std::function<void()> confirmed) {
  if (!is_open()) {
    return false;
  }
  std::vector<std::string_view> args{"SUBSCRIBE"};
  args.insert(args.end(), channels.begin(), channels.end());
  subscriptions_.push_back(
      std::make_unique<subscription>(subscription{std::move(handler), std::move(confirmed)}));
  return send(context_, &on_message, subscriptions_.back().get(), args);
}

void connection::close() {
  if (context_ != nullptr) {
    redisAsyncDisconnect(context_);  // frees the context once pending replies are answered
  }
  resolver_.cancel();
}

void connection::wait_readable() {
  if (read_waiting_ || context_ == nullptr) {
    return;
  }
  read_waiting_ = true;
  socket_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                     [weak = weak_from_this()](boost::system::error_code ec) {
                       auto self = weak.lock();
                       if (!self) {
                         return;
                       }
                       self->read_waiting_ = false;
                       if (ec || self->context_ == nullptr || !self->want_read_) {
                         return;
                       }
                       redisAsyncHandleRead(self->context_);  // may free the context
                       if (self->want_read_) {
                         self->wait_readable();
                       }
                     });
}

void connection::wait_writable() {
  if (write_waiting_ || context_ == nullptr) {
    return;
  }
  write_waiting_ = true;
  socket_.async_wait(boost::asio::posix::stream_descriptor::wait_write,
                     [weak = weak_from_this()](boost::system::error_code ec) {
                       auto self = weak.lock();
                       if (!self) {
                         return;
                       }
                       self->write_waiting_ = false;
                       if (ec || self->context_ == nullptr || !self->want_write_) {
                         return;
                       }
                       redisAsyncHandleWrite(self->context_);  // may free the context
                       if (self->want_write_) {
                         self->wait_writable();
                       }
                     });
}

void connection::add_read(void* privdata) {
  connection* self = self_of(privdata);
  self->want_read_ = true;
  self->wait_readable();
}

void connection::del_read(void* privdata) { self_of(privdata)->want_read_ = false; }

void connection::add_write(void* privdata) {
  connection* self = self_of(privdata);
  self->want_write_ = true;
  self->wait_writable();
}

void connection::del_write(void* privdata) { self_of(privdata)->want_write_ = false; }

void connection::cleanup(void* privdata) { self_of(privdata)->forget_context(); }

void connection::on_disconnect(const redisAsyncContext* /*context*/, int /*status*/) {
  // cleanup() follows and does the work, also for contexts that never connected.
}

void connection::forget_context() {
  want_read_ = false;
  want_write_ = false;
  if (socket_.is_open()) {
    socket_.release();  // cancels our waits; hiredis closes the descriptor itself
  }
  context_ = nullptr;
  const bool was_ready = ready_;
  ready_ = false;
  if (on_connected_) {
    finish_connect("the connection was lost");
  }
  if (was_ready && on_closed_) {
    boost::asio::post(executor_, [handler = std::move(on_closed_)] { handler("the connection was lost"); });
    on_closed_ = nullptr;
  }
}

}  // namespace pollchat::redis
