#include "core/message.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <thread>

namespace pollchat {
namespace {

std::chrono::system_clock::time_point at_millis(std::int64_t ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

}  // namespace

TEST(Message, FormatsTimeAsRfc3339UtcWithMilliseconds) {
  EXPECT_EQ(format_time(at_millis(1795357980123)), "2026-11-22T14:33:00.123Z");
  EXPECT_EQ(format_time(at_millis(0)), "1970-01-01T00:00:00.000Z");
}

TEST(Message, FormatsEachTimeOfTheSameSecondAndTheNext) {
  // The calendar part is cached per second: a new second, or an earlier one, must not reuse it.
  EXPECT_EQ(format_time(at_millis(1795357980001)), "2026-11-22T14:33:00.001Z");
  EXPECT_EQ(format_time(at_millis(1795357980999)), "2026-11-22T14:33:00.999Z");
  EXPECT_EQ(format_time(at_millis(1795357981000)), "2026-11-22T14:33:01.000Z");
  EXPECT_EQ(format_time(at_millis(1795357980050)), "2026-11-22T14:33:00.050Z");
  EXPECT_EQ(format_time(at_millis(-1)), "1969-12-31T23:59:59.999Z");
  // A thread's first call, whatever its second, fills the cache (which starts empty per thread).
  std::thread([] { EXPECT_EQ(format_time(at_millis(-1)), "1969-12-31T23:59:59.999Z"); }).join();
}

TEST(Message, RendersJsonInDocumentedFieldOrder) {
  const auto m = make_message(42, "lobby", {message_type::message, "alice", "hi \"there\""},
                              at_millis(1795357980123));
  EXPECT_EQ(m->json,
            R"({"id":42,"room":"lobby","type":"message","from":"alice","body":"hi \"there\"",)"
            R"("time":"2026-11-22T14:33:00.123Z"})");
  const auto parsed = nlohmann::json::parse(m->json);
  EXPECT_EQ(parsed["body"], "hi \"there\"");
}

TEST(Message, JsonCarriesBodiesExactlyAsPosted) {
  const auto m = make_message(1, "r", {message_type::message, "a", "esc\x1B[31m\nnext"}, at_millis(0));
  EXPECT_EQ(nlohmann::json::parse(m->json)["body"], "esc\x1B[31m\nnext");
}

TEST(Message, RendersTextLinesForEachType) {
  EXPECT_EQ(render_text(message_type::message, "alice", "hi"), "alice: hi\n");
  EXPECT_EQ(render_text(message_type::join, "bob", ""), "bob joined.\n");
  EXPECT_EQ(render_text(message_type::leave, "bob", ""), "bob has left.\n");
}

TEST(Message, IndentsContinuationLinesSoNoBodyCanForgeAMessage) {
  EXPECT_EQ(render_text(message_type::message, "eve", "hi\nmallory: fake"),
            "eve: hi\n  mallory: fake\n");
}

TEST(Message, ShowsControlCharactersInCaretNotation) {
  EXPECT_EQ(render_text(message_type::message, "eve", "\x1B]0;pwned\x07"), "eve: ^[]0;pwned^G\n");
}

}  // namespace pollchat
