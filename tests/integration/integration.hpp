#pragma once
// Shared helpers of the integration suites (real server process, real sockets).

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "server_process.hpp"
#include "test_client.hpp"

namespace pollchat::testing {

using namespace std::chrono_literals;

inline nlohmann::json json_of(const std::optional<http_response>& res) {
  if (!res) return nullptr;
  return nlohmann::json::parse(res->body(), nullptr, false);
}

inline std::optional<http_response> get(const server_process& s, const std::string& target,
                                        const header_list& headers = {}) {
  return request_once(s.port(), "GET", target, headers);
}

inline std::optional<http_response> post(const server_process& s, const std::string& target,
                                         const std::string& body, const header_list& headers = {}) {
  return request_once(s.port(), "POST", target, headers, body);
}

// GET /healthz answers 200: the server is up and (with --redis) reaches Redis.
inline bool healthy(const server_process& s) {
  const auto res = get(s, "/healthz");
  return res && res->result_int() == 200;
}

// Polls `condition` until it holds or the timeout passes.
inline bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return condition();
}

// The value of one metric line of GET /metrics, or -1.
inline long long metric(const server_process& s, const std::string& name) {
  const auto res = get(s, "/metrics");
  if (!res) return -1;
  const std::string& text = res->body();
  const auto at = text.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stoll(text.substr(at + name.size() + 2));
}

inline std::string base_url(const server_process& s) {
  return "http://127.0.0.1:" + std::to_string(s.port());
}

}  // namespace pollchat::testing
