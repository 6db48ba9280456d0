#pragma once
// Answers a connection the server has no room for: reads what the client sends for a moment,
// writes a 503 with Retry-After, and closes. Bounded in time so it cannot pile up.

#include <boost/asio/ip/tcp.hpp>

#include "metrics.hpp"

namespace pollchat {

void reply_overloaded(boost::asio::ip::tcp::socket socket, metrics& counters);

}  // namespace pollchat
