// ACL decisions, names and the stored form.
#include "broker/auth/acl.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace wharf::auth {
namespace {

AclEntry entry(std::string principal, ResourceType type, std::string name, PatternType pattern, Operation operation,
               Permission permission) {
  return AclEntry{std::move(principal), type, std::move(name), pattern, operation, permission};
}

AclEntry allow(std::string principal, std::string topic, Operation operation,
               PatternType pattern = PatternType::literal) {
  return entry(std::move(principal), ResourceType::topic, std::move(topic), pattern, operation, Permission::allow);
}

AclEntry deny(std::string principal, std::string topic, Operation operation,
              PatternType pattern = PatternType::literal) {
  return entry(std::move(principal), ResourceType::topic, std::move(topic), pattern, operation, Permission::deny);
}

bool topic_allowed(const AclTable& table, std::string_view user, std::string_view topic, Operation operation) {
  return table.allowed(user, false, ResourceType::topic, topic, operation);
}

TEST(AuthAcl, NothingGrantedMeansDenied) {
  const AclTable empty;
  EXPECT_FALSE(topic_allowed(empty, "alice", "orders", Operation::read));
  const AclTable other({allow("bob", "orders", Operation::read)});
  EXPECT_FALSE(topic_allowed(other, "alice", "orders", Operation::read));
  EXPECT_FALSE(topic_allowed(other, "bob", "orders", Operation::write));
  EXPECT_FALSE(topic_allowed(other, "bob", "payments", Operation::read));
  EXPECT_FALSE(other.allowed("bob", false, ResourceType::queue, "orders", Operation::read));
  EXPECT_TRUE(topic_allowed(other, "bob", "orders", Operation::read));
}

TEST(AuthAcl, AdminsAreAlwaysAllowed) {
  const AclTable table({deny("*", "*", Operation::read), deny("root", "orders", Operation::read)});
  EXPECT_TRUE(table.allowed("root", true, ResourceType::topic, "orders", Operation::read));
  EXPECT_TRUE(AclTable().allowed("root", true, ResourceType::cluster, "cluster", Operation::alter));
  EXPECT_FALSE(table.allowed("root", false, ResourceType::topic, "orders", Operation::read));
}

TEST(AuthAcl, DenyWinsOverAllow) {
  const AclTable table({
      allow("alice", "orders", Operation::read),
      deny("alice", "orders", Operation::read),
      allow("alice", "orders.", Operation::write, PatternType::prefix),
      deny("*", "orders.eu", Operation::write),
      allow("*", "*", Operation::create),
      deny("alice", "secret", Operation::create, PatternType::prefix),
  });
  EXPECT_FALSE(topic_allowed(table, "alice", "orders", Operation::read));
  EXPECT_TRUE(topic_allowed(table, "alice", "orders.us", Operation::write));
  EXPECT_FALSE(topic_allowed(table, "alice", "orders.eu", Operation::write));
  EXPECT_TRUE(topic_allowed(table, "alice", "anything", Operation::create));
  EXPECT_FALSE(topic_allowed(table, "alice", "secrets", Operation::create));
  EXPECT_TRUE(topic_allowed(table, "bob", "secrets", Operation::create));
}

TEST(AuthAcl, PrefixAndLiteralPatterns) {
  const AclTable table({
      allow("alice", "logs.", Operation::read, PatternType::prefix),
      allow("alice", "metrics", Operation::read),
  });
  EXPECT_TRUE(topic_allowed(table, "alice", "logs.", Operation::read));
  EXPECT_TRUE(topic_allowed(table, "alice", "logs.app", Operation::read));
  EXPECT_FALSE(topic_allowed(table, "alice", "logs", Operation::read));
  EXPECT_FALSE(topic_allowed(table, "alice", "xlogs.app", Operation::read));
  EXPECT_TRUE(topic_allowed(table, "alice", "metrics", Operation::read));
  EXPECT_FALSE(topic_allowed(table, "alice", "metrics.cpu", Operation::read));
  EXPECT_FALSE(topic_allowed(table, "alice", "metric", Operation::read));
}

TEST(AuthAcl, StarPrincipalMeansEveryone) {
  const AclTable table({allow("*", "public", Operation::read)});
  EXPECT_TRUE(topic_allowed(table, "alice", "public", Operation::read));
  EXPECT_TRUE(topic_allowed(table, "bob", "public", Operation::read));
  EXPECT_FALSE(topic_allowed(table, "bob", "public", Operation::write));
}

TEST(AuthAcl, StarResourceMatchesEveryNameOfItsType) {
  const AclTable table({
      allow("alice", "*", Operation::read),
      entry("alice", ResourceType::cluster, "*", PatternType::literal, Operation::describe, Permission::allow),
      entry("bob", ResourceType::cluster, "cluster", PatternType::literal, Operation::create, Permission::allow),
  });
  EXPECT_TRUE(topic_allowed(table, "alice", "orders", Operation::read));
  EXPECT_TRUE(topic_allowed(table, "alice", "*", Operation::read));
  EXPECT_FALSE(table.allowed("alice", false, ResourceType::group, "orders", Operation::read));
  EXPECT_TRUE(table.allowed("alice", false, ResourceType::cluster, "cluster", Operation::describe));
  EXPECT_TRUE(table.allowed("bob", false, ResourceType::cluster, "cluster", Operation::create));
  EXPECT_FALSE(table.allowed("bob", false, ResourceType::cluster, "cluster", Operation::alter));
  // A prefix "*" is just the character: no wildcard.
  const AclTable prefix_star({allow("alice", "*", Operation::read, PatternType::prefix)});
  EXPECT_FALSE(topic_allowed(prefix_star, "alice", "orders", Operation::read));
  EXPECT_TRUE(topic_allowed(prefix_star, "alice", "*orders", Operation::read));
}

TEST(AuthAcl, ReadWriteDeleteAlterImplyDescribe) {
  for (const Operation granted : {Operation::read, Operation::write, Operation::del, Operation::alter}) {
    const AclTable table({allow("alice", "orders", granted)});
    EXPECT_TRUE(topic_allowed(table, "alice", "orders", Operation::describe)) << operation_name(granted);
    EXPECT_FALSE(topic_allowed(table, "alice", "other", Operation::describe)) << operation_name(granted);
  }
  const AclTable create_only({allow("alice", "orders", Operation::create)});
  EXPECT_FALSE(topic_allowed(create_only, "alice", "orders", Operation::describe));
  // Implied describe loses to an explicit deny of describe...
  const AclTable denied({allow("alice", "orders", Operation::read), deny("alice", "orders", Operation::describe)});
  EXPECT_FALSE(topic_allowed(denied, "alice", "orders", Operation::describe));
  EXPECT_TRUE(topic_allowed(denied, "alice", "orders", Operation::read));
  // ...and a deny of read does not deny describe.
  const AclTable read_denied({allow("alice", "orders", Operation::describe), deny("alice", "orders", Operation::read)});
  EXPECT_TRUE(topic_allowed(read_denied, "alice", "orders", Operation::describe));
}

TEST(AuthAcl, ResourceTypesAreSeparate) {
  const AclTable table(
      {entry("alice", ResourceType::queue, "jobs", PatternType::literal, Operation::read, Permission::allow)});
  EXPECT_TRUE(table.allowed("alice", false, ResourceType::queue, "jobs", Operation::read));
  EXPECT_FALSE(table.allowed("alice", false, ResourceType::topic, "jobs", Operation::read));
  EXPECT_FALSE(table.allowed("alice", false, ResourceType::group, "jobs", Operation::read));
}

TEST(AuthAcl, ManyEntriesStayCorrect) {
  std::vector<AclEntry> entries;
  for (int user = 0; user < 50; ++user) {
    for (int topic = 0; topic < 100; ++topic) {
      entries.push_back(allow("user" + std::to_string(user), "topic" + std::to_string(topic), Operation::read));
    }
  }
  entries.push_back(deny("user7", "topic42", Operation::read));
  const AclTable table(std::move(entries));
  EXPECT_TRUE(topic_allowed(table, "user3", "topic99", Operation::read));
  EXPECT_FALSE(topic_allowed(table, "user3", "topic100", Operation::read));
  EXPECT_FALSE(topic_allowed(table, "user7", "topic42", Operation::read));
  EXPECT_TRUE(topic_allowed(table, "user7", "topic41", Operation::read));
  EXPECT_FALSE(topic_allowed(table, "user50", "topic1", Operation::read));
  const AclTable copy = table;  // the index survives copying
  EXPECT_TRUE(topic_allowed(copy, "user3", "topic99", Operation::read));
  EXPECT_EQ(copy.entries().size(), 5001u);
}

TEST(AuthAcl, EnumNamesRoundTrip) {
  for (const ResourceType type :
       {ResourceType::topic, ResourceType::queue, ResourceType::group, ResourceType::cluster}) {
    EXPECT_EQ(parse_resource_type(resource_type_name(type)), type);
  }
  for (const Operation operation :
       {Operation::read, Operation::write, Operation::create, Operation::del, Operation::alter, Operation::describe}) {
    EXPECT_EQ(parse_operation(operation_name(operation)), operation);
  }
  for (const PatternType pattern : {PatternType::literal, PatternType::prefix}) {
    EXPECT_EQ(parse_pattern_type(pattern_type_name(pattern)), pattern);
  }
  for (const Permission permission : {Permission::allow, Permission::deny}) {
    EXPECT_EQ(parse_permission(permission_name(permission)), permission);
  }
  EXPECT_EQ(operation_name(Operation::del), "delete");
  EXPECT_EQ(parse_operation("delete"), Operation::del);
  EXPECT_EQ(parse_operation("del"), std::nullopt);
  EXPECT_EQ(parse_operation("READ"), std::nullopt);
  EXPECT_EQ(parse_resource_type("topics"), std::nullopt);
  EXPECT_EQ(parse_pattern_type(""), std::nullopt);
  EXPECT_EQ(parse_permission("allowed"), std::nullopt);
}

TEST(AuthAcl, EncodingRoundTrips) {
  const std::vector<AclEntry> entries = {
      allow("alice", "orders", Operation::read),
      deny("*", "logs.", Operation::del, PatternType::prefix),
      entry("bob", ResourceType::cluster, "cluster", PatternType::literal, Operation::alter, Permission::allow),
      entry(std::string("n\0ul", 4), ResourceType::group, "", PatternType::prefix, Operation::describe,
            Permission::deny),
  };
  for (const AclEntry& e : entries) {
    const std::string encoded = encode_acl(e);
    EXPECT_EQ(static_cast<std::uint8_t>(encoded[0]), kAclFormatVersion);
    EXPECT_EQ(decode_acl(encoded), e);
  }
}

TEST(AuthAcl, DecodingRejectsGarbage) {
  const std::string good = encode_acl(allow("alice", "orders", Operation::read));
  for (std::size_t size = 0; size < good.size(); ++size) {
    EXPECT_EQ(decode_acl(good.substr(0, size)), std::nullopt) << "size " << size;
  }
  EXPECT_EQ(decode_acl(good + 'x'), std::nullopt);
  const std::size_t type_at = 1 + 4 + 5;               // version, "alice"
  const std::size_t pattern_at = type_at + 1 + 4 + 6;  // type, "orders"
  const auto with_byte = [&](std::size_t at, char value) {
    std::string bad = good;
    bad[at] = value;
    return bad;
  };
  ASSERT_EQ(decode_acl(with_byte(type_at, 1))->resource_type, ResourceType::queue);
  EXPECT_EQ(decode_acl(with_byte(0, 2)), std::nullopt);
  EXPECT_EQ(decode_acl(with_byte(type_at, 4)), std::nullopt);
  EXPECT_EQ(decode_acl(with_byte(pattern_at, 2)), std::nullopt);
  EXPECT_EQ(decode_acl(with_byte(pattern_at + 1, 6)), std::nullopt);
  EXPECT_EQ(decode_acl(with_byte(pattern_at + 2, 2)), std::nullopt);
  EXPECT_EQ(decode_acl(with_byte(1, '\x7f')), std::nullopt);  // principal length past the end
  EXPECT_EQ(decode_acl(std::string(64, '\xff')), std::nullopt);
  EXPECT_EQ(decode_acl("garbage"), std::nullopt);
}

TEST(AuthAcl, KeysAreStableAndUnique) {
  const AclEntry base = allow("alice", "orders", Operation::read);
  EXPECT_EQ(acl_key(base), "topic/literal/6:orders/5:alice/read/allow");
  EXPECT_EQ(acl_key(base), acl_key(allow("alice", "orders", Operation::read)));
  std::vector<AclEntry> variants = {
      base,
      allow("alicE", "orders", Operation::read),
      allow("alice", "orders", Operation::write),
      deny("alice", "orders", Operation::read),
      allow("alice", "orders", Operation::read, PatternType::prefix),
      entry("alice", ResourceType::queue, "orders", PatternType::literal, Operation::read, Permission::allow),
      // Separators inside names must not make two entries collide.
      allow("5:alice", "orders/", Operation::read),
      allow("alice", "orders/5:alice", Operation::read),
      allow("", "orders/5:alice/read/allow", Operation::read),
  };
  std::set<std::string> keys;
  for (const AclEntry& e : variants) keys.insert(acl_key(e));
  EXPECT_EQ(keys.size(), variants.size());
}

}  // namespace
}  // namespace wharf::auth
