// SASL PLAIN message parsing (RFC 4616).
#include "protocol/sasl/sasl_plain.h"

#include <gtest/gtest.h>

#include <string>

namespace wharf::sasl {
namespace {

using namespace std::string_literals;

std::optional<PlainCredentials> parse(const std::string& message, std::string* error = nullptr) {
  return parse_sasl_plain(message, error);
}

TEST(AuthSaslPlain, ParsesUserAndPassword) {
  EXPECT_EQ(parse("\0alice\0s3cret"s), (PlainCredentials{"alice", "s3cret"}));
}

TEST(AuthSaslPlain, AcceptsAnAuthzidEqualToTheUser) {
  EXPECT_EQ(parse("alice\0alice\0s3cret"s), (PlainCredentials{"alice", "s3cret"}));
}

TEST(AuthSaslPlain, PasswordsKeepEveryByteButNul) {
  EXPECT_EQ(parse("\0alice\0 p@ss word,=\xc3\xa9 "s), (PlainCredentials{"alice", " p@ss word,=\xc3\xa9 "}));
}

struct BadMessage {
  std::string message;
  std::string error_part;
};

TEST(AuthSaslPlain, RejectsMalformedMessages) {
  const std::vector<BadMessage> cases = {
      {"", "malformed"},
      {"alice", "malformed"},
      {"\0alice"s, "malformed"},
      {"alice\0s3cret"s, "malformed"},
      {"\0alice\0s3cret\0"s, "malformed"},
      {"\0alice\0s3\0cret"s, "malformed"},
      {"\0\0s3cret"s, "empty user"},
      {"\0alice\0"s, "empty password"},
      {"\0\0"s, "empty user"},
      {"bob\0alice\0s3cret"s, "authorization identity"},
      {"\0alice\0"s + std::string(1100, 'x'), "longer than 1024"},
  };
  for (const BadMessage& bad : cases) {
    std::string error;
    EXPECT_EQ(parse(bad.message, &error), std::nullopt);
    EXPECT_NE(error.find(bad.error_part), std::string::npos) << error;
  }
  EXPECT_EQ(parse(""), std::nullopt);  // a null error pointer is allowed
}

TEST(AuthSaslPlain, SizeLimitIsInclusive) {
  const std::string prefix = "\0alice\0"s;
  const std::string at_limit = prefix + std::string(kMaxSaslPlainMessageSize - prefix.size(), 'x');
  ASSERT_EQ(at_limit.size(), kMaxSaslPlainMessageSize);
  EXPECT_TRUE(parse(at_limit));
  EXPECT_FALSE(parse(at_limit + "x"));
}

}  // namespace
}  // namespace wharf::sasl
