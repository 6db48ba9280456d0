#pragma once
// The `Date` header's value (RFC 9110 §5.6.7, IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT").
// Every final response carries one; it is formatted once per second per thread and shared by
// every response of that second, so it costs a clock read and no allocation.

#include <string_view>

namespace pollchat {

// Now, as IMF-fixdate. The view stays valid until this thread's next call in another second.
std::string_view http_date_now();

}  // namespace pollchat
