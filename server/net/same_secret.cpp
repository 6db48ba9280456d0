#include "net/same_secret.hpp"

#include <cstddef>

namespace pollchat {

bool same_secret(std::string_view given, std::string_view secret) {
  // Accumulate differences instead of returning at the first one; a length mismatch is folded
  // in the same way, and `secret` is read past its end as zeros rather than branched around.
  unsigned char diff = given.size() == secret.size() ? 0 : 1;
  for (std::size_t i = 0; i < given.size(); ++i) {
    diff |= static_cast<unsigned char>(given[i] ^ (i < secret.size() ? secret[i] : 0));
  }
  return diff == 0;
}

}  // namespace pollchat
