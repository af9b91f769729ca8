// Implementation of include/wharf/errors.h: names and messages come from the
// one list, WHARF_ERRC_LIST.
#include "wharf/errors.h"

namespace wharf {

std::string_view errc_name(errc code) noexcept {
  switch (code) {
#define WHARF_ERRC_NAME(name, number, retryable, message) \
  case errc::name:                                        \
    return #name;
    WHARF_ERRC_LIST(WHARF_ERRC_NAME)
#undef WHARF_ERRC_NAME
  }
  return "unknown";
}

std::string_view errc_message(errc code) noexcept {
  switch (code) {
#define WHARF_ERRC_MESSAGE(name, number, retryable, message) \
  case errc::name:                                           \
    return message;
    WHARF_ERRC_LIST(WHARF_ERRC_MESSAGE)
#undef WHARF_ERRC_MESSAGE
  }
  return "unknown error";
}

bool errc_retryable(errc code) noexcept {
  switch (code) {
#define WHARF_ERRC_RETRYABLE(name, number, retryable, message) \
  case errc::name:                                             \
    return retryable;
    WHARF_ERRC_LIST(WHARF_ERRC_RETRYABLE)
#undef WHARF_ERRC_RETRYABLE
  }
  return false;
}

errc errc_from_wire(std::uint16_t number) noexcept {
  switch (number) {
#define WHARF_ERRC_FROM_WIRE(name, number, retryable, message) \
  case number:                                                 \
    return errc::name;
    WHARF_ERRC_LIST(WHARF_ERRC_FROM_WIRE)
#undef WHARF_ERRC_FROM_WIRE
  }
  return errc::internal;
}

namespace {
class WharfCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "wharf"; }
  std::string message(int value) const override {
    return std::string(errc_message(static_cast<errc>(value)));
  }
};
}  // namespace

const std::error_category& wharf_category() noexcept {
  static const WharfCategory category;
  return category;
}

std::error_code make_error_code(errc code) noexcept {
  return {static_cast<int>(code), wharf_category()};
}

std::string status::to_string() const {
  std::string out(errc_name(code_));
  out += ": ";
  out += message();
  return out;
}

}  // namespace wharf
