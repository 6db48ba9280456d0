#include "http/poll_request.hpp"

#include <charconv>
#include <fmt/format.h>

#include "http/form_text.hpp"
#include "http/post_request.hpp"

namespace pollchat {
namespace {

namespace http = boost::beast::http;

api_error bad_parameter(std::string message) {
  return {http::status::bad_request, "bad_parameter", std::move(message)};
}

// The query's fields, each the first occurrence of its name (as params_view::find would give),
// found in one pass: a poll is the request a reader repeats, and looking each name up by itself
// decoded and compared every parameter seven times.
struct query_fields {
  std::optional<std::string> since, epoch, timeout, limit, format, name, client;
};

query_fields read_query(const boost::urls::params_encoded_view& query) {
  query_fields q;
  for (const auto param : query) {
    std::string storage;
    const std::string_view key = form_name(param.key, storage);
    std::optional<std::string>* slot = key == "since"     ? &q.since
                                       : key == "epoch"   ? &q.epoch
                                       : key == "timeout" ? &q.timeout
                                       : key == "limit"   ? &q.limit
                                       : key == "format"  ? &q.format
                                       : key == "name"    ? &q.name
                                       : key == "client"  ? &q.client
                                                          : nullptr;
    if (slot != nullptr && !*slot) {
      *slot = decoded_form_text(param.value);
    }
  }
  return q;
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

std::variant<poll_params, api_error> parse_poll(const boost::urls::params_encoded_view& query,
                                                std::string_view accept,
                                                const poll_limits& limits) {
  poll_params out;
  out.timeout = std::chrono::seconds(limits.default_timeout);
  query_fields q = read_query(query);

  if (const auto& since = q.since) {
    out.since = parse_unsigned(*since);
    if (!out.since) {
      return bad_parameter("since must be a message id: a whole number 0 or more");
    }
  }
  out.epoch = std::move(q.epoch);
  if (const auto& timeout = q.timeout) {
    const auto seconds = parse_unsigned(*timeout);
    if (!seconds || *seconds > limits.max_timeout) {
      return bad_parameter(
          fmt::format("timeout must be a whole number of seconds from 0 to {}", limits.max_timeout));
    }
    out.timeout = std::chrono::seconds(*seconds);
  }
  if (const auto& limit = q.limit) {
    const auto n = parse_unsigned(*limit);
    if (!n || *n < 1 || *n > max_poll_limit) {
      return bad_parameter(fmt::format("limit must be a whole number from 1 to {}", max_poll_limit));
    }
    out.limit = static_cast<std::size_t>(*n);
  }
  if (const auto& format = q.format) {
    if (*format != "json" && *format != "text") {
      return bad_parameter("format must be json or text");
    }
    out.as_text = *format == "text";
  } else {
    out.as_text = accept.find("application/json") == std::string_view::npos;
  }

  auto name = check_name(q.name.value_or(""));
  if (auto* error = std::get_if<api_error>(&name)) {
    return std::move(*error);
  }
  out.name = std::move(std::get<std::string>(name));
  auto client = check_client(q.client.value_or(""));
  if (auto* error = std::get_if<api_error>(&client)) {
    return std::move(*error);
  }
  out.client = std::move(std::get<std::string>(client));
  return out;
}

}  // namespace pollchat
