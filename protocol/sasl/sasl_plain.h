// SASL PLAIN (RFC 4616): one message, "[authzid] NUL authcid NUL passwd".
// Pure parsing; the caller checks the password against its store. Safe to
// call from any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace wharf::sasl {

// Longer messages are refused before looking inside them.
inline constexpr std::size_t kMaxSaslPlainMessageSize = 1024;

struct PlainCredentials {
  std::string user;
  std::string password;

  bool operator==(const PlainCredentials&) const = default;
};

// The user (authcid) and password, or nullopt with `*error` set (if error
// is not null) when the message is longer than kMaxSaslPlainMessageSize,
// does not have exactly two NUL separators, has an empty user or password,
// or names an authzid other than the user (acting as someone else is not
// supported). Each error means the client is misconfigured: answer with an
// authentication failure.
std::optional<PlainCredentials> parse_sasl_plain(std::string_view message, std::string* error);

}  // namespace wharf::sasl
