#pragma once
// A refusal: the status, a stable machine-readable code, and a sentence that says what to fix.

#include <boost/beast/http/status.hpp>
#include <string>

namespace pollchat {

struct api_error {
  boost::beast::http::status status = boost::beast::http::status::bad_request;
  std::string code;
  std::string message;
};

}  // namespace pollchat
