#pragma once
// The web page's files, looked up by name: their bytes, media type and ETag. The bytes were
// embedded at build time (embed_files.cmake), so the server needs no files beside it and a
// build always serves the page it was built with.

#include <string_view>

namespace pollchat {

struct static_asset {
  std::string_view name;  // as in web/: "index.html", "app.js", ...
  std::string_view bytes;
  std::string_view content_type;  // from the name's extension, with a charset for text
  std::string_view etag;          // quoted strong validator, fixed at build time
};

// The file called `name` (no directories), or nullptr.
const static_asset* find_static_asset(std::string_view name);

// The media type served for a file name, by its extension; "application/octet-stream" when
// unknown (and nosniff keeps a browser from guessing otherwise).
std::string_view content_type_for(std::string_view name);

}  // namespace pollchat
