#pragma once
// A Beast body that sends a response as a scatter list: a head, the pre-rendered bytes of each
// message (shared with every other response that carries it, never copied), and a tail. Every
// response of the server uses it; an error or a small JSON document is just a head.

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/container/small_vector.hpp>
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/message.hpp"
#include "net/http_date.hpp"

namespace pollchat {

struct chat_body {
  // Most answers carry one message or none (a post's answer, a woken poll's): they hold it
  // without an allocation.
  using item_list = boost::container::small_vector<message_ptr, 1>;

  struct value_type {
    // Header fields that nearly every answer carries, written by gather_response without an
    // entry in Beast's field list each (an allocation apiece). Static storage only; empty: none.
    std::string_view content_type;
    std::string_view cache_control;
    // Further fields of this answer, each "Name: value\r\n" (add_field), in one string. Only
    // values the server made itself (numbers, the epoch): never a client's bytes.
    std::string fields;

    std::string head;
    item_list items;
    bool items_as_text = false;   // each item's text rendering, else its JSON
    std::string_view separator;   // between items: "," in a JSON array; static storage only
    std::string tail;

    void add_field(std::string_view name, std::string_view value) {
      using namespace std::string_view_literals;
      fields.append(name).append(": "sv).append(value).append("\r\n"sv);
    }
  };

  static std::uint64_t size(const value_type& body) {
    std::uint64_t n = body.head.size() + body.tail.size();
    for (const auto& m : body.items) {
      n += (body.items_as_text ? m->text() : m->json()).size();
    }
    if (!body.items.empty()) {
      n += body.separator.size() * (body.items.size() - 1);
    }
    return n;
  }

  // The body as a gather list: the head, each item's rendering (with separators), the tail.
  static void append_buffers(const value_type& body, std::vector<boost::asio::const_buffer>& out) {
    const auto add = [&out](std::string_view bytes) {
      if (!bytes.empty()) {
        out.emplace_back(bytes.data(), bytes.size());
      }
    };
    add(body.head);
    for (std::size_t k = 0; k < body.items.size(); ++k) {
      if (k != 0) {
        add(body.separator);
      }
      const auto& m = *body.items[k];
      add(body.items_as_text ? m.text() : m.json());
    }
    add(body.tail);
  }
};

using response = boost::beast::http::response<chat_body>;

// The gather list of an answer whose head is `head`: the head, then (unless `head_only`) the
// body's bytes. Taken anew if the answer moves (a moved string's bytes may move with it).
inline void gather_buffers(const response& res, bool head_only, const std::string& head,
                           std::vector<boost::asio::const_buffer>& out) {
  out.clear();
  out.reserve(2 * res.body().items.size() + 3);
  out.emplace_back(head.data(), head.size());
  if (!head_only) {
    chat_body::append_buffers(res.body(), out);
  }
}

// The whole response as one gather list: `head` receives the status line and header fields,
// `out` the buffers (head first, then the body's shared bytes). Cheaper than Beast's generic
// serializer, which a woken poll would otherwise spend most of its time in. Every answer gets
// a `Date`, `Server: pollchat` and its `Content-Length` here (the date from a per-second cache),
// written straight into `head`, which the caller keeps across answers so that it is allocated
// once per connection; `res` carries neither (a field in Beast's list is an allocation each).
// Then the body's content type, cache control and own fields, then Beast's list.
// RFC 9110 §8.6: a 1xx, 204 or 304 carries no Content-Length (a 304's could only repeat the
// 200's). The answer to a HEAD request (`head_only`) is the head alone: its Content-Length
// still says what GET would send, but a body after it would be read by the client as the next
// response.
inline void gather_response(const response& res, bool head_only, std::string& head,
                            std::vector<boost::asio::const_buffer>& out) {
  using namespace std::string_view_literals;  // literals with their length: no strlen per use
  const unsigned status = res.result_int();
  char number[24];
  const auto digits = [&number](std::uint64_t n) {
    const auto end = std::to_chars(number, number + sizeof number, n).ptr;
    return std::string_view(number, static_cast<std::size_t>(end - number));
  };
  head.clear();
  head += res.version() == 10 ? "HTTP/1.0 "sv : "HTTP/1.1 "sv;
  head += digits(status);
  head += ' ';
  head += boost::beast::http::obsolete_reason(res.result());
  head += "\r\nDate: "sv;
  head += http_date_now();
  head += "\r\nServer: pollchat\r\n"sv;
  if (status >= 200 && status != 204 && status != 304) {
    head += "Content-Length: "sv;
    head += digits(chat_body::size(res.body()));
    head += "\r\n"sv;
  }
  const auto& body = res.body();
  if (!body.content_type.empty()) {
    head.append("Content-Type: "sv).append(body.content_type).append("\r\n"sv);
  }
  if (!body.cache_control.empty()) {
    head.append("Cache-Control: "sv).append(body.cache_control).append("\r\n"sv);
  }
  head += body.fields;
  for (const auto& field : res) {
    head += field.name_string();
    head += ": "sv;
    head += field.value();
    head += "\r\n"sv;
  }
  head += "\r\n"sv;
  gather_buffers(res, head_only, head, out);
}

}  // namespace pollchat
