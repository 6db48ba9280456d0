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

TEST(LinkStatus, BeforeTheFirstAnswerItSaysTheServerCannotBeReached) {
  std::ostringstream err;
  link_status link(err, "http://127.0.0.1:9001", std::chrono::seconds(7));
  EXPECT_FALSE(link.reached());
  link.lost("Connection refused");
  link.lost("Connection refused");
  EXPECT_EQ(count_lines(err.str()), 1);
  EXPECT_NE(err.str().find("cannot reach http://127.0.0.1:9001 (Connection refused); trying for 7 s"),
            std::string::npos)
      << err.str();
  EXPECT_EQ(err.str().find("lost contact"), std::string::npos) << err.str();

  link.restored();
  EXPECT_TRUE(link.reached());
  EXPECT_NE(err.str().find("reached http://127.0.0.1:9001 after "), std::string::npos);
  link.lost("Connection reset by peer");  // now it had contact
  EXPECT_NE(err.str().find("lost contact with"), std::string::npos) << err.str();
}

TEST(LinkStatus, GivingUpSaysWhyAndWhichFlagToRaise) {
  std::ostringstream err;
  link_status link(err, "http://nowhere.invalid", std::chrono::seconds(3));
  link.gave_up("Host not found (authoritative)");
  EXPECT_EQ(err.str(),
            "poller-client: cannot reach http://nowhere.invalid (Host not found "
            "(authoritative)); gave up after 3 s (--connect-timeout)\n");
}

TEST(LinkStatus, A503AsTheFirstAnswerIsContact) {
  std::ostringstream err;
  link_status link(err, "http://127.0.0.1:9000");
  link.heard();
  link.lost("503 Service Unavailable");
  EXPECT_NE(err.str().find("lost contact"), std::string::npos) << err.str();
}

}  // namespace
}  // namespace pollchat::client
