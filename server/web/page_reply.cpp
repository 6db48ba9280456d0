#include "web/page_reply.hpp"

#include "common/http_text.hpp"
#include "web/static_assets.hpp"

namespace pollchat {
namespace {

namespace http = boost::beast::http;

}  // namespace

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  if (trim_ows(if_none_match) == "*") {
    return true;
  }
  while (!if_none_match.empty()) {
    const auto comma = if_none_match.find(',');
    std::string_view candidate = trim_ows(if_none_match.substr(0, comma));
    if (candidate.starts_with("W/")) {
      candidate.remove_prefix(2);
    }
    if (candidate == etag) {
      return true;
    }
    if (comma == std::string_view::npos) {
      break;
    }
    if_none_match.remove_prefix(comma + 1);
  }
  return false;
}

std::optional<response> page_reply(std::string_view name, std::string_view if_none_match) {
  const static_asset* asset = find_static_asset(name);
  if (asset == nullptr) {
    return std::nullopt;
  }
  const bool unchanged = etag_matches(if_none_match, asset->etag);
  response res{unchanged ? http::status::not_modified : http::status::ok, 11};
  res.set(http::field::content_type, asset->content_type);
  // The names are not fingerprinted, so every use revalidates: a 304 of a few hundred bytes,
  // and never an old script running against a new page after an upgrade.
  res.set(http::field::cache_control, "no-cache");
  res.set(http::field::etag, asset->etag);
  res.set("Content-Security-Policy", page_security_policy);
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  if (!unchanged) {
    res.body().head = std::string(asset->bytes);  // the page is tens of KiB: a copy is cheap
  }
  return res;
}

}  // namespace pollchat
