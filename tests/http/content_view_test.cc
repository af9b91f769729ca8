// How the console shows untrusted bytes: JSON pretty, text or hex, capped.
#include <gtest/gtest.h>

#include "broker/http/content_view.h"

namespace wharf::http {
namespace {

TEST(ContentView, ChoosesTheFormatFromTheBytes) {
  auto j = content_view(R"( {"a":[1,2]})");
  EXPECT_EQ(j["format"], "json");
  EXPECT_EQ(j["text"], "{\n  \"a\": [\n    1,\n    2\n  ]\n}");
  EXPECT_EQ(j["size"], 12);
  EXPECT_EQ(content_view("42")["format"], "text");  // a bare number stays text
  EXPECT_EQ(content_view("{broken")["format"], "text");
  EXPECT_EQ(content_view("<script>x</script>")["text"], "<script>x</script>");
  EXPECT_EQ(content_view("h\xc3\xa9llo")["format"], "text");
  auto bin = content_view(std::string("\x00\x01\xfe", 3));
  EXPECT_EQ(bin["format"], "hex");
  EXPECT_EQ(bin["text"], "0001fe");
  EXPECT_FALSE(bin.contains("truncated"));
}

// Issue 21: pretty-printing re-sorted keys, and nothing showed the value as
// it was stored.
TEST(ContentView, JsonKeepsItsKeyOrderAndTheRawBytes) {
  const std::string stored = R"({"zebra":1,"apple":{"y":true,"b":null},"mango":[3,1]})";
  auto j = content_view(stored);
  EXPECT_EQ(j["format"], "json");
  EXPECT_EQ(j["text"], "{\n  \"zebra\": 1,\n  \"apple\": {\n    \"y\": true,\n    \"b\": null\n  },\n"
                       "  \"mango\": [\n    3,\n    1\n  ]\n}");
  EXPECT_EQ(j["raw"], stored);
  EXPECT_FALSE(content_view("plain text").contains("raw")) << "text is already shown as stored";
}

TEST(ContentView, RejectsInvalidUtf8) {
  EXPECT_TRUE(valid_utf8("plain \xe2\x82\xac"));
  EXPECT_FALSE(valid_utf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(valid_utf8("cut \xe2\x82"));
}

TEST(ContentView, CapsHugeValues) {
  const std::string text(kMaxShownBytes + 10, 'x');
  auto t = content_view(text);
  EXPECT_EQ(t["format"], "text");
  EXPECT_EQ(t["text"].get<std::string>().size(), kMaxShownBytes);
  EXPECT_TRUE(t["truncated"]);
  EXPECT_EQ(t["size"], text.size());
  std::string bin(kMaxShownBytes, '\xff');
  auto h = content_view(bin);
  EXPECT_EQ(h["text"].get<std::string>().size(), kMaxShownBytes);
  EXPECT_TRUE(h["truncated"]);
}

}  // namespace
}  // namespace wharf::http
