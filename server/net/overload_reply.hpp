#pragma once
// Answers a connection the server has no room for, and closes it: an HTTP client gets a 503
// with Retry-After (after its request line is read, so it sees the answer instead of a reset),
// except the health probe (`GET` or `HEAD /healthz`), which gets its `200 ok` whatever the cap;
// a TCP line client gets one notice line. Bounded in time (1 s to read, 1 s to write and drain)
// and in number (64 being answered at once; beyond that a connection is closed unanswered), so
// refused connections cannot pile up.

#include <boost/asio/ip/tcp.hpp>

#include "core/metrics.hpp"

namespace pollchat {

void reply_overloaded_http(boost::asio::ip::tcp::socket socket, metrics& counters);
void reply_overloaded_tcp(boost::asio::ip::tcp::socket socket);

}  // namespace pollchat
