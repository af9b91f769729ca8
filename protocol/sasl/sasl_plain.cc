#include "protocol/sasl/sasl_plain.h"

#include <utility>

namespace wharf::sasl {
namespace {

std::optional<PlainCredentials> refuse(std::string* error, std::string text) {
  if (error != nullptr) *error = std::move(text);
  return std::nullopt;
}

}  // namespace

std::optional<PlainCredentials> parse_sasl_plain(std::string_view message, std::string* error) {
  if (message.size() > kMaxSaslPlainMessageSize) {
    return refuse(error, "SASL PLAIN message longer than " + std::to_string(kMaxSaslPlainMessageSize) + " bytes");
  }
  const std::size_t first_nul = message.find('\0');
  const std::size_t second_nul =
      first_nul == std::string_view::npos ? std::string_view::npos : message.find('\0', first_nul + 1);
  if (second_nul == std::string_view::npos || message.find('\0', second_nul + 1) != std::string_view::npos) {
    return refuse(error, "malformed SASL PLAIN message: expected \"[authzid] NUL user NUL password\"");
  }
  const std::string_view authzid = message.substr(0, first_nul);
  const std::string_view user = message.substr(first_nul + 1, second_nul - first_nul - 1);
  const std::string_view password = message.substr(second_nul + 1);
  if (user.empty()) return refuse(error, "SASL PLAIN message has an empty user name");
  if (password.empty()) return refuse(error, "SASL PLAIN message has an empty password");
  if (!authzid.empty() && authzid != user) {
    return refuse(error, "SASL PLAIN authorization identity must be empty or equal the user name");
  }
  return PlainCredentials{std::string(user), std::string(password)};
}

}  // namespace wharf::sasl
