#pragma once
// A Beast body that writes a response as a scatter list: a head, the pre-rendered bytes of each
// message (shared with every other response that carries it, never copied), and a tail. Every
// response of the server uses it; an error or a small JSON document is just a head.

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "message.hpp"

namespace pollchat {

struct chat_body {
  struct value_type {
    std::string head;
    std::vector<message_ptr> items;
    bool items_as_text = false;   // each item's text rendering, else its JSON
    std::string_view separator;   // between items: "," in a JSON array; static storage only
    std::string tail;
  };

  static std::uint64_t size(const value_type& body) {
    std::uint64_t n = body.head.size() + body.tail.size();
    for (const auto& m : body.items) {
      n += (body.items_as_text ? m->text : m->json).size();
    }
    if (!body.items.empty()) {
      n += body.separator.size() * (body.items.size() - 1);
    }
    return n;
  }

  class writer {
   public:
    using const_buffers_type = std::vector<boost::asio::const_buffer>;

    template <bool is_request, class Fields>
    writer(const boost::beast::http::header<is_request, Fields>&, const value_type& body)
        : body_(body) {}

    void init(boost::beast::error_code& ec) { ec = {}; }

    // The whole body in one gather list, so it leaves in as few writes as the kernel allows.
    boost::optional<std::pair<const_buffers_type, bool>> get(boost::beast::error_code& ec) {
      ec = {};
      if (done_) {
        return boost::none;
      }
      done_ = true;
      const_buffers_type buffers;
      buffers.reserve(2 * body_.items.size() + 2);
      append(buffers, body_.head);
      for (std::size_t k = 0; k < body_.items.size(); ++k) {
        if (k != 0) {
          append(buffers, body_.separator);
        }
        const auto& m = *body_.items[k];
        append(buffers, body_.items_as_text ? m.text : m.json);
      }
      append(buffers, body_.tail);
      return std::make_pair(std::move(buffers), false);
    }

   private:
    static void append(const_buffers_type& buffers, std::string_view bytes) {
      if (!bytes.empty()) {
        buffers.emplace_back(bytes.data(), bytes.size());
      }
    }

    const value_type& body_;
    bool done_ = false;
  };
};

using response = boost::beast::http::response<chat_body>;

}  // namespace pollchat
