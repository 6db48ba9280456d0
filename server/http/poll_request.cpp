#include "http/poll_request.hpp"

#include <charconv>
#include <fmt/format.h>

#include "http/post_request.hpp"

namespace pollchat {
namespace {

namespace http = boost::beast::http;

api_error bad_parameter(std::string message) {
  return {http::status::bad_request, "bad_parameter", std::move(message)};
}

std::optional<std::string> find_param(const boost::urls::params_view& params,
                                      std::string_view key) {
  const auto it = params.find(key);
  if (it == params.end()) {
    return std::nullopt;
  }
  return (*it).value;
}

}  // namespace

std::optional<std::uint64_t> parse_unsigned(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

std::variant<poll_params, api_error> parse_poll(const boost::urls::params_view& query,
                                                std::string_view accept,
                                                const poll_limits& limits) {
  poll_params out;
  out.timeout = std::chrono::seconds(limits.default_timeout);

  if (const auto since = find_param(query, "since")) {
    out.since = parse_unsigned(*since);
    if (!out.since) {
      return bad_parameter("since must be a message id: a whole number 0 or more");
    }
  }
  out.epoch = find_param(query, "epoch");
  if (const auto timeout = find_param(query, "timeout")) {
    const auto seconds = parse_unsigned(*timeout);
    if (!seconds || *seconds > limits.max_timeout) {
      return bad_parameter(
          fmt::format("timeout must be a whole number of seconds from 0 to {}", limits.max_timeout));
    }
    out.timeout = std::chrono::seconds(*seconds);
  }
  if (const auto limit = find_param(query, "limit")) {
    const auto n = parse_unsigned(*limit);
    if (!n || *n < 1 || *n > max_poll_limit) {
      return bad_parameter(fmt::format("limit must be a whole number from 1 to {}", max_poll_limit));
    }
    out.limit = static_cast<std::size_t>(*n);
  }
  if (const auto format = find_param(query, "format")) {
    if (*format != "json" && *format != "text") {
      return bad_parameter("format must be json or text");
    }
    out.as_text = *format == "text";
  } else {
    out.as_text = accept.find("application/json") == std::string_view::npos;
  }

  auto name = check_name(find_param(query, "name").value_or(""));
  if (auto* error = std::get_if<api_error>(&name)) {
    return std::move(*error);
  }
  out.name = std::move(std::get<std::string>(name));
  auto client = check_client(find_param(query, "client").value_or(""));
  if (auto* error = std::get_if<api_error>(&client)) {
    return std::move(*error);
  }
  out.client = std::move(std::get<std::string>(client));
  return out;
}

}  // namespace pollchat
