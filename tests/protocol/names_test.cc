#include "protocol/names.h"

#include <gtest/gtest.h>

#include <string>

namespace wharf::protocol {
namespace {

TEST(ProtocolNames, AcceptsKafkaStyleNames) {
  for (const char* ok : {"a", "orders", "orders.v2", "my_topic-1", "A.B_C-D"})
    EXPECT_TRUE(validate_name(ok, "topic").ok()) << ok;
  EXPECT_TRUE(validate_name(std::string(249, 'x'), "topic").ok());
}

TEST(ProtocolNames, RejectsWithClearErrors) {
  for (std::string bad : {std::string(""), std::string("."), std::string(".."), std::string(250, 'x'),
                          std::string("a b"), std::string("a/b"), std::string("a\0b", 3), std::string("é")}) {
    auto st = validate_name(bad, "topic");
    EXPECT_EQ(st.code(), errc::invalid_name) << bad;
    EXPECT_NE(st.message().find("topic"), std::string_view::npos);
  }
}

}  // namespace
}  // namespace wharf::protocol
