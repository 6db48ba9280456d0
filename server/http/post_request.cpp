#include "http/post_request.hpp"

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <boost/url/grammar/lut_chars.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/rfc/pchars.hpp>
#include <cctype>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/names.hpp"
#include "common/utf8.hpp"
#include "http/form_text.hpp"

namespace pollchat {
namespace {

namespace http = boost::beast::http;
namespace urls = boost::urls;

api_error bad(std::string code, std::string message) {
  return {http::status::bad_request, std::move(code), std::move(message)};
}

// The media type of a Content-Type value, without parameters or surrounding space: a view of
// the header, compared without regard to case (media types are case-insensitive), so that
// screening a post allocates nothing.
std::string_view media_type(std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && std::isspace(static_cast<unsigned char>(type.back()))) {
    type.remove_suffix(1);
  }
  while (!type.empty() && std::isspace(static_cast<unsigned char>(type.front()))) {
    type.remove_prefix(1);
  }
  return type;
}

bool is_type(std::string_view type, std::string_view expected) {
  return boost::beast::iequals(type, expected);
}

bool is_form(std::string_view type) {
  return type.empty() || is_type(type, "application/x-www-form-urlencoded");
}

std::optional<std::string> find_param(const urls::params_view& params, std::string_view key) {
  const auto it = params.find(key);
  if (it == params.end()) {
    return std::nullopt;
  }
  return (*it).value;
}

struct raw_fields {
  std::optional<std::string> body;
  std::optional<std::string> name;
  std::optional<std::string> client;
};

// The characters a query may hold raw, plus '%' (kept as an escape) and '/', '?'.
constexpr urls::grammar::lut_chars form_kept = urls::pchars + urls::grammar::lut_chars("/?%");

std::variant<raw_fields, api_error> read_form(std::string_view body) {
  // Nearly every form needs no escaping (a browser and curl --data-urlencode send it escaped):
  // it is parsed where it lies, without a copy.
  std::string escaped;
  const auto needs_escape = [](char c) { return !form_kept(static_cast<unsigned char>(c)); };
  if (std::any_of(body.begin(), body.end(), needs_escape)) {
    escaped = escape_form_body(body);
    body = escaped;
  }
  const auto parsed = urls::parse_query(body);
  if (!parsed) {
    return bad("malformed_form",
               "the form body has a broken %-escape ('%' must be followed by two hex digits); "
               "send it with curl --data-urlencode");
  }
  // Decoded field by field: Boost 1.81's params_view(string, opts) reads past the end of the
  // last value.
  raw_fields fields;
  for (const auto& param : *parsed) {
    std::string storage;
    const std::string_view key = form_name(param.key, storage);
    std::optional<std::string>* slot = key == "body"     ? &fields.body
                                       : key == "name"   ? &fields.name
                                       : key == "client" ? &fields.client
                                                         : nullptr;
    if (slot != nullptr && !*slot) {  // the first occurrence wins
      *slot = decoded_form_text(param.value);
    }
  }
  return fields;
}

std::variant<raw_fields, api_error> read_json(std::string_view body) {
  const auto doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return bad("malformed_json", "the request body is not valid JSON");
  }
  if (!doc.is_object()) {
    return bad("malformed_json", "the JSON body must be an object like {\"body\": \"hi\"}");
  }
  raw_fields fields;
  for (const char* key : {"body", "name", "client"}) {
    const auto it = doc.find(key);
    if (it == doc.end() || it->is_null()) {
      continue;
    }
    if (!it->is_string()) {
      return bad("bad_parameter", fmt::format("\"{}\" must be a string", key));
    }
    std::optional<std::string>& slot = key == std::string_view("body")   ? fields.body
                                       : key == std::string_view("name") ? fields.name
                                                                         : fields.client;
    slot = it->get<std::string>();
  }
  return fields;
}

}  // namespace

std::optional<std::string> find_form_field(std::string_view form_body, std::string_view key) {
  auto read = read_form(form_body);
  auto* fields = std::get_if<raw_fields>(&read);
  if (fields == nullptr) return std::nullopt;
  if (key == "body") return fields->body;
  if (key == "name") return fields->name;
  if (key == "client") return fields->client;
  return std::nullopt;
}

std::string escape_form_body(std::string_view body) {
  // Boost.URL's encode() cannot keep existing '%' escapes, so this one loop does it with Boost's
  // own set of the characters a query may hold raw.
  static constexpr std::string_view hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(body.size());
  for (const char c : body) {
    const auto byte = static_cast<unsigned char>(c);
    if (form_kept(byte)) {
      out += c;  // '+' stays a '+', which form decoding reads as a space
    } else {
      out += '%';
      out += hex[byte >> 4];
      out += hex[byte & 0x0F];
    }
  }
  return out;
}

std::variant<std::string, api_error> check_name(std::string_view name) {
  if (auto accepted = display_name(name)) {
    return std::move(*accepted);
  }
  return bad("bad_parameter", "name must be 1 to 32 characters of UTF-8 without control, bidi or zero-width characters");
}

std::variant<std::string, api_error> check_client(std::string_view client) {
  const auto length = utf8::count_code_points(client);
  if (!length || *length > 64) {
    return bad("bad_parameter", "client must be at most 64 characters of UTF-8");
  }
  return std::string(client);
}

bool is_supported_post_type(std::string_view content_type) {
  const std::string_view type = media_type(content_type);
  return is_form(type) || is_type(type, "application/json") || is_type(type, "text/plain");
}

api_error unsupported_media_type() {
  return {http::status::unsupported_media_type, "unsupported_media_type",
          "send the message as application/x-www-form-urlencoded (field 'body'), "
          "application/json or text/plain"};
}

std::variant<post_fields, api_error> parse_post(std::string_view content_type,
                                                std::string_view body,
                                                const urls::params_view& query,
                                                const post_limits& limits) {
  const std::string_view type = media_type(content_type);
  std::variant<raw_fields, api_error> read;
  if (is_form(type) && body.find('=') == std::string_view::npos) {
    // `curl --data "hello"` (the ntfy habit): a form with no field at all is the message
    // itself, exactly as sent, with no decoding.
    read = raw_fields{std::string(body), std::nullopt, std::nullopt};
  } else if (is_form(type)) {
    read = read_form(body);
  } else if (is_type(type, "application/json")) {
    read = read_json(body);
  } else if (is_type(type, "text/plain")) {
    read = raw_fields{std::string(body), std::nullopt, std::nullopt};
  } else {
    return unsupported_media_type();
  }
  if (auto* error = std::get_if<api_error>(&read)) {
    return std::move(*error);
  }
  auto& fields = std::get<raw_fields>(read);

  // name and client may come in the query string; the body's own fields win.
  if (!fields.name) {
    fields.name = find_param(query, "name");
  }
  if (!fields.client) {
    fields.client = find_param(query, "client");
  }

  if (!fields.body) {
    // Only a form can lack the field (text is the body itself; JSON says so below).
    return bad("missing_body", is_type(type, "application/json")
                                   ? "the JSON object has no \"body\": send {\"body\": \"hello\"}"
                                   : "the form has no 'body' field: post curl --data \"body=hello\" "
                                     "(with name=, client=), or the text alone: curl --data \"hello\"");
  }
  if (fields.body->empty()) {
    return bad("missing_body", "the message is empty: send a non-empty 'body'");
  }
  if (fields.body->size() > limits.max_message) {
    return api_error{http::status::payload_too_large, "message_too_large",
                     fmt::format("the message is {} bytes; the limit is {} (chat-server "
                                 "--max-message raises it)",
                                 fields.body->size(), limits.max_message)};
  }
  if (!utf8::is_valid(*fields.body)) {
    return bad("invalid_utf8", "the message is not valid UTF-8");
  }

  post_fields out;
  out.body = std::move(*fields.body);
  auto name = check_name(fields.name.value_or(""));
  if (auto* error = std::get_if<api_error>(&name)) {
    return std::move(*error);
  }
  out.name = std::move(std::get<std::string>(name));
  auto client = check_client(fields.client.value_or(""));
  if (auto* error = std::get_if<api_error>(&client)) {
    return std::move(*error);
  }
  out.client = std::move(std::get<std::string>(client));
  return out;
}

}  // namespace pollchat
