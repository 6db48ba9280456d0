#include "poller-client/link_status.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace pollchat::client {
namespace {

int count_lines(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

TEST(LinkStatus, OneLinePerOutageAndOneWhenBack) {
  std::ostringstream err;
  link_status link(err, "http://127.0.0.1:9000");
  link.restored();  // never lost: nothing to say
  EXPECT_EQ(err.str(), "");

  link.lost("Connection refused");
  link.lost("Connection refused");
  link.lost("503 Service Unavailable");
  EXPECT_TRUE(link.down());
  EXPECT_EQ(count_lines(err.str()), 1);
  EXPECT_NE(err.str().find("lost contact with http://127.0.0.1:9000 (Connection refused)"),
            std::string::npos);

  link.restored();
  link.restored();
  EXPECT_FALSE(link.down());
  EXPECT_EQ(count_lines(err.str()), 2);
  EXPECT_NE(err.str().find("reconnected to http://127.0.0.1:9000 after "), std::string::npos);

  link.lost("timed out");  // a second outage is a second line
  EXPECT_EQ(count_lines(err.str()), 3);
}

}  // namespace
}  // namespace pollchat::client
