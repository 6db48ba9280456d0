#pragma once
// `chat-server --healthcheck`: GET /healthz from the server at --listen, for container health
// checks that have no curl. Exit 0 when it answers 200, else 1 with one plain line on stderr
// ("cannot reach 127.0.0.1:9000: connection refused").

#include "core/config.hpp"

namespace pollchat {

int run_healthcheck(const config& settings);

}  // namespace pollchat
