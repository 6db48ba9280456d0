#pragma once
// The page's files as the build embedded them (see embed_files.cmake): what static_assets
// serves. Generated data only; no lookup or HTTP here.

#include <cstddef>
#include <span>

namespace pollchat::generated {

struct embedded_file {
  const char* name;            // as in web/, e.g. "app.js"
  const unsigned char* bytes;  // `size` bytes (plus a terminating 0 that is not served)
  std::size_t size;
  const char* etag;  // a quoted strong validator, e.g. "\"3f2a…\""
};

std::span<const embedded_file> embedded_files();

}  // namespace pollchat::generated
