#include "wharf/errors.h"

#include <gtest/gtest.h>

#include <set>

namespace wharf {
namespace {

// Numbers are the wire codes: unique, and every one has a name and a message.
TEST(ProtocolErrors, NumbersUniqueAndDescribed) {
  std::set<int> numbers;
  std::set<std::string_view> names;
#define WHARF_ERRC_CHECK(name, number, retryable, message)        \
  EXPECT_TRUE(numbers.insert(number).second) << "duplicate " << number; \
  EXPECT_TRUE(names.insert(#name).second);                          \
  EXPECT_FALSE(std::string_view(message).empty()) << #name;         \
  EXPECT_EQ(errc_name(errc::name), #name);                          \
  EXPECT_EQ(errc_from_wire(number), errc::name);
  WHARF_ERRC_LIST(WHARF_ERRC_CHECK)
#undef WHARF_ERRC_CHECK
  EXPECT_GT(numbers.size(), 20u);
}

TEST(ProtocolErrors, UnknownWireNumberMapsToInternal) {
  EXPECT_EQ(errc_from_wire(65000), errc::internal);
}

TEST(ProtocolErrors, StatusAndResult) {
  status ok;
  EXPECT_TRUE(ok.ok());
  status st(errc::unknown_topic, "no topic named 'x'");
  EXPECT_EQ(st.to_string(), "unknown_topic: no topic named 'x'");
  EXPECT_EQ(status(errc::timeout).message(), "timed out");
  result<int> r = 5;
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(*r, 5);
  result<int> e = errc::storage_full;
  EXPECT_EQ(e.code(), errc::storage_full);
  EXPECT_TRUE(errc_retryable(errc::storage_full));
  EXPECT_FALSE(errc_retryable(errc::invalid_name));
  std::error_code ec = errc::timeout;
  EXPECT_EQ(ec.category().name(), std::string("wharf"));
}

}  // namespace
}  // namespace wharf
