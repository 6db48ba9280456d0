#include "web/static_assets.hpp"

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

#include "web/embedded_files.hpp"

namespace pollchat {
namespace {

// The table is built once, on first use, from the generated arrays; it never changes after,
// so concurrent readers on several I/O threads need no lock (a function-local static is
// initialized exactly once).
const std::vector<static_asset>& table() {
  static const std::vector<static_asset> assets = [] {
    std::vector<static_asset> out;
    for (const auto& f : generated::embedded_files()) {
      const std::string_view name = f.name;
      out.push_back(static_asset{name,
                                 std::string_view(reinterpret_cast<const char*>(f.bytes), f.size),
                                 content_type_for(name), f.etag});
    }
    return out;
  }();
  return assets;
}

}  // namespace

std::string_view content_type_for(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 6> types{{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".json", "application/json"},
  }};
  for (const auto& [extension, type] : types) {
    if (name.ends_with(extension)) {
      return type;
    }
  }
  return "application/octet-stream";
}

const static_asset* find_static_asset(std::string_view name) {
  const auto& assets = table();
  const auto it = std::find_if(assets.begin(), assets.end(),
                               [&](const static_asset& a) { return a.name == name; });
  return it == assets.end() ? nullptr : &*it;
}

}  // namespace pollchat
