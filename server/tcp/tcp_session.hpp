#pragma once
// One raw TCP client of the line room (nc, telnet): every line it sends is a message from it;
// every message of its room from someone else arrives as the text rendering of GET /chat.
//
// It is a waiter of its room like a parked HTTP poll: woken by a post, it pulls what is after
// its cursor into an outbound queue of shared, pre-rendered messages (no copies). The queue is
// bounded: a client that stops reading is disconnected with a notice once 256 KiB wait for it,
// and nobody else notices, because nobody else ever waits on its socket.
//
// A connection goes through the phases of `phase` in order: greeted, then (with --token) it
// must send `/auth <token>` within --io-timeout before it becomes a member of anything; a
// member until /quit, a disconnect or shutdown; then its last words are written and it closes.
// Everything that puts a message into a room (connecting, a line, /join, /nick) first takes a
// token of the address's post rate limit, so no client can flood a room's history.
//
// Its lines (and its joins) go through the store like HTTP posts. Behind a durable store they
// are answered later, from the store's thread; until then the session does not pull from the
// room, so it learns the id of its own line before that line could reach it (a line is never
// echoed to its sender).

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "core/room.hpp"
#include "core/server_state.hpp"
#include "store/message_store.hpp"
#include "net/connection.hpp"
#include "net/session_registry.hpp"
#include "tcp/line_reader.hpp"

namespace pollchat {

class tcp_session : public room_waiter,
                    public append_client,
                    public connection,
                    public std::enable_shared_from_this<tcp_session> {
 public:
  static constexpr std::size_t max_queued_bytes = 256 * 1024;

  tcp_session(boost::asio::ip::tcp::socket&& socket, server_state& state, session_registry& registry);
  ~tcp_session() override;

  void start();
  void notify() override;
  void stop() override;
  void on_appended(append_result result) override;  // the store's thread

 private:
  using outbound = std::variant<message_ptr, std::string>;  // a room's message, or a notice

  enum class phase {
    authenticating,  // --token: greeted, waiting for `/auth <token>`; a member of nothing
    chatting,        // a member of `room_`
    finishing,       // its last words are being written; nothing else is read or queued
    closed,
  };

  void greet();
  void admit();  // takes a rate token and joins the lobby, or says why not and closes
  void authenticate(std::string_view line);
  void enter(std::shared_ptr<room> target);
  bool take_rate_token();

  void read();
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void consume_input();  // the lines of chunk_, until it is used up or output must drain
  void refuse_long_line();
  void on_line(std::string line);
  void on_command(std::string_view line);
  void post_line(std::string body);
  void store(message_draft draft);  // a line or a join of its own
  void stored(append_result result);
  void leave_room();
  void rename(std::string_view argument);
  void change_room(std::string_view argument);
  void list_members();

  void pump();  // moves what is new in the room into the queue, or parks
  void say(std::string notice);
  void enqueue(outbound item);
  void write();
  void on_write(boost::beast::error_code ec, std::size_t count);
  void finish(std::string notice);  // last words, then close
  void close();

  // All of it is used on the session's strand only.
  boost::beast::tcp_stream stream_;
  server_state& state_;
  session_registry& registry_;
  std::uint64_t registry_id_ = 0;
  const std::string client_id_;  // presence key; never shown
  const std::string peer_ip_;    // for the post rate limit, shared with HTTP posts
  std::string name_;             // <ip>:<port> until /nick
  phase phase_ = phase::authenticating;

  std::shared_ptr<room> room_;         // null until admitted
  std::uint64_t cursor_ = 0;
  std::deque<std::uint64_t> own_ids_;  // ids of its own posts and renames, not echoed back
  std::size_t storing_ = 0;  // own messages the store has not answered yet: pump() waits

  std::array<char, 4096> chunk_{};
  line_reader lines_;         // splits what arrives into lines of at most --max-message bytes
  std::string_view unread_;   // the part of chunk_ read but not yet taken (paused for output)
  bool read_paused_ = false;  // too much output waits: reading resumes when it drains

  std::deque<outbound> queue_;
  std::size_t queued_bytes_ = 0;
  std::size_t writing_count_ = 0;  // items of the queue's front being written
  boost::asio::steady_timer auth_timer_;  // --io-timeout for the `/auth` line
  boost::asio::steady_timer stop_timer_;  // bounds the time its last words may take
};

}  // namespace pollchat
