#pragma once
// Turns --url into an endpoint, refusing anything but an http:// URL on a loopback address:
// the benchmark must never send load to another host.

#include <string>
#include <variant>

#include "scenario_support.hpp"

namespace pollchat::bench {

// The address, or a message saying what is wrong with the URL.
std::variant<server_address, std::string> parse_server_url(const std::string& url);

}  // namespace pollchat::bench
