#pragma once
// A request's header fields looked up by walking them. Beast's own lookup descends a tree,
// comparing names case-insensitively, and the half dozen lookups a post makes cost more than
// parsing its whole header did (callgrind). Every parsed field already carries its code, so a
// known field is found by comparing integers; a request holds a handful of fields, and at most
// what fits in the 8 KiB header limit.

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/fields.hpp>
#include <cstddef>
#include <optional>
#include <string_view>

namespace pollchat {

// The first `name` field's value; empty when there is none (as Beast's operator[]).
inline std::string_view field_value(const boost::beast::http::fields& fields,
                                    boost::beast::http::field name) {
  for (const auto& f : fields) {
    if (f.name() == name) {
      return f.value();
    }
  }
  return {};
}

inline std::size_t field_count(const boost::beast::http::fields& fields,
                               boost::beast::http::field name) {
  std::size_t n = 0;
  for (const auto& f : fields) {
    n += f.name() == name ? 1 : 0;
  }
  return n;
}

// A field by its name in any case (for one without a code of its own, `Idempotency-Key`);
// nullopt when there is none.
inline std::optional<std::string_view> find_field(const boost::beast::http::fields& fields,
                                                  std::string_view name) {
  for (const auto& f : fields) {
    if (boost::beast::iequals(f.name_string(), name)) {
      return f.value();
    }
  }
  return std::nullopt;
}

}  // namespace pollchat
