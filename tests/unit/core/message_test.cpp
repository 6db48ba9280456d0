#include "core/message.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/utf8.hpp"

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
  EXPECT_EQ(m->json(),
            R"({"id":42,"room":"lobby","type":"message","from":"alice","body":"hi \"there\"",)"
            R"("time":"2026-11-22T14:33:00.123Z"})");
  const auto parsed = nlohmann::json::parse(m->json());
  EXPECT_EQ(parsed["body"], "hi \"there\"");
}

TEST(Message, JsonCarriesBodiesExactlyAsPosted) {
  const auto m = make_message(1, "r", {message_type::message, "a", "esc\x1B[31m\nnext"}, at_millis(0));
  EXPECT_EQ(nlohmann::json::parse(m->json())["body"], "esc\x1B[31m\nnext");
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


namespace {

// The renderings as they were before their fast paths: one nlohmann dump of the whole string, and
// common/utf8's rule over each whole line.
std::string reference_json_string(std::string_view s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string reference_text(std::string_view from, std::string_view body) {
  std::string out;
  utf8::append_terminal_safe(out, from);
  out += ": ";
  std::size_t start = 0;
  while (true) {
    const std::size_t end = body.find('\n', start);
    utf8::append_terminal_safe(out, body.substr(start, end - start));
    out += '\n';
    if (end == std::string_view::npos) {
      return out;
    }
    out += "  ";
    start = end + 1;
  }
}

// Strings made of the pieces that each rendering treats differently, mixed at random (fixed
// seed): plain ASCII, quotes, backslashes, controls, DEL, C1, multi-byte UTF-8, bidi and
// zero-width characters, and bytes that are not UTF-8 at all.
std::vector<std::string> tricky_strings() {
  const std::vector<std::string> pieces = {
      "a",  "hello ", "\"", "\\", "\n", "\t", "\x1B", "\x7F", "\x01", "\xC2\x85", "\xC3\xA9",
      "\xF0\x9F\x98\x80", "\xE2\x80\xAE", "\xE2\x80\x8B", "\xC3", "\xFF", "\x80", "/", "<", "~"};
  std::mt19937 random(20261206);
  std::vector<std::string> out = {"", "plain", "\xC3", "a\xC3" "b", "\xF0\x9F\x98"};
  for (int k = 0; k < 2000; ++k) {
    std::string s;
    const auto count = random() % 12;
    for (unsigned i = 0; i < count; ++i) {
      s += pieces[random() % pieces.size()];
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

TEST(Message, RendersJsonExactlyAsOneEncoderPassOverTheWholeString) {
  for (const auto& s : tricky_strings()) {
    const auto m = make_message(7, "r", {message_type::message, "a", s}, at_millis(0));
    const std::string expected = R"({"id":7,"room":"r","type":"message","from":"a","body":)" +
                                 reference_json_string(s) +
                                 R"(,"time":"1970-01-01T00:00:00.000Z"})";
    ASSERT_EQ(m->json(), expected) << "body bytes: " << nlohmann::json(s).dump(-1, ' ', true,
                                                     nlohmann::json::error_handler_t::replace);
    // The text rendering shares the JSON's block: it starts exactly where the JSON ends.
    ASSERT_EQ(m->text(), reference_text("a", s));
  }
}

TEST(Message, KeepsEachRenderingWhole) {
  for (const auto type : {message_type::message, message_type::join, message_type::leave}) {
    const auto m = make_message(12345678901234, std::string(64, 'r'), {type, "bob", "x\ny"},
                                at_millis(0));
    EXPECT_EQ(nlohmann::json::parse(m->json())["id"], 12345678901234);
    EXPECT_EQ(m->text(), render_text(type, "bob", "x\ny"));
  }
}

TEST(Message, RendersTextExactlyAsTheTerminalRuleOverEachWholeLine) {
  for (const auto& s : tricky_strings()) {
    ASSERT_EQ(render_text(message_type::message, s, s), reference_text(s, s))
        << "bytes: " << nlohmann::json(s).dump(-1, ' ', true,
                                               nlohmann::json::error_handler_t::replace);
  }
}

}  // namespace pollchat
