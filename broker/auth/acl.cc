#include "broker/auth/acl.h"

#include <utility>

#include "base/field_codec.h"

namespace wharf::auth {
namespace {

// Each array lists the words in enum order, so the enum value is the index.
constexpr std::array<std::string_view, 4> kResourceTypeNames = {"topic", "queue", "group", "cluster"};
constexpr std::array<std::string_view, 6> kOperationNames = {"read", "write", "create", "delete", "alter", "describe"};
constexpr std::array<std::string_view, 2> kPatternTypeNames = {"literal", "prefix"};
constexpr std::array<std::string_view, 2> kPermissionNames = {"allow", "deny"};

template <typename Enum, std::size_t N>
std::optional<Enum> parse_word(const std::array<std::string_view, N>& names, std::string_view word) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == word) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

template <typename Enum, std::size_t N>
std::optional<Enum> enum_from_byte(std::optional<std::uint8_t> byte) {
  if (!byte || *byte >= N) return std::nullopt;
  return static_cast<Enum>(*byte);
}

bool implies_describe(Operation granted) {
  return granted == Operation::read || granted == Operation::write || granted == Operation::del ||
         granted == Operation::alter;
}

}  // namespace

std::string_view resource_type_name(ResourceType type) { return kResourceTypeNames[static_cast<std::size_t>(type)]; }
std::optional<ResourceType> parse_resource_type(std::string_view name) {
  return parse_word<ResourceType>(kResourceTypeNames, name);
}
std::string_view operation_name(Operation operation) { return kOperationNames[static_cast<std::size_t>(operation)]; }
std::optional<Operation> parse_operation(std::string_view name) { return parse_word<Operation>(kOperationNames, name); }
std::string_view pattern_type_name(PatternType pattern) { return kPatternTypeNames[static_cast<std::size_t>(pattern)]; }
std::optional<PatternType> parse_pattern_type(std::string_view name) {
  return parse_word<PatternType>(kPatternTypeNames, name);
}
std::string_view permission_name(Permission permission) {
  return kPermissionNames[static_cast<std::size_t>(permission)];
}
std::optional<Permission> parse_permission(std::string_view name) {
  return parse_word<Permission>(kPermissionNames, name);
}

std::string encode_acl(const AclEntry& entry) {
  std::string out;
  out += static_cast<char>(kAclFormatVersion);
  put_field(out, entry.principal);
  out += static_cast<char>(entry.resource_type);
  put_field(out, entry.resource_name);
  out += static_cast<char>(entry.pattern);
  out += static_cast<char>(entry.operation);
  out += static_cast<char>(entry.permission);
  return out;
}

std::optional<AclEntry> decode_acl(std::string_view encoded) {
  FieldReader reader(encoded);
  if (reader.u8() != kAclFormatVersion) return std::nullopt;
  auto principal = reader.field();
  const auto type = enum_from_byte<ResourceType, kResourceTypeNames.size()>(reader.u8());
  auto name = reader.field();
  const auto pattern = enum_from_byte<PatternType, kPatternTypeNames.size()>(reader.u8());
  const auto operation = enum_from_byte<Operation, kOperationNames.size()>(reader.u8());
  const auto permission = enum_from_byte<Permission, kPermissionNames.size()>(reader.u8());
  if (!principal || !type || !name || !pattern || !operation || !permission || !reader.at_end()) return std::nullopt;
  return AclEntry{std::move(*principal), *type, std::move(*name), *pattern, *operation, *permission};
}

std::string acl_key(const AclEntry& entry) {
  std::string key;
  key += resource_type_name(entry.resource_type);
  key += '/';
  key += pattern_type_name(entry.pattern);
  key += '/' + std::to_string(entry.resource_name.size()) + ':';
  key += entry.resource_name;
  key += '/' + std::to_string(entry.principal.size()) + ':';
  key += entry.principal;
  key += '/';
  key += operation_name(entry.operation);
  key += '/';
  key += permission_name(entry.permission);
  return key;
}

AclTable::AclTable(std::vector<AclEntry> entries) : entries_(std::move(entries)) {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const AclEntry& entry = entries_[i];
    Bucket& bucket = index_[static_cast<std::size_t>(entry.resource_type)][entry.principal];
    if (entry.pattern == PatternType::prefix) {
      bucket.prefixes.push_back(i);
    } else {
      bucket.literal_by_name[entry.resource_name].push_back(i);
    }
  }
}

bool AclTable::allowed(std::string_view user, bool is_admin, ResourceType type, std::string_view name,
                       Operation operation) const {
  if (is_admin) return true;
  bool allow = false;
  bool deny = false;
  // Looks at one entry already known to match principal, type and name.
  const auto consider = [&](std::size_t i) {
    const AclEntry& entry = entries_[i];
    if (entry.permission == Permission::deny) {
      deny = deny || entry.operation == operation;
    } else {
      allow = allow || entry.operation == operation ||
              (operation == Operation::describe && implies_describe(entry.operation));
    }
  };
  const BucketsByPrincipal& buckets = index_[static_cast<std::size_t>(type)];
  for (const std::string_view principal : {user, std::string_view("*")}) {
    const auto bucket = buckets.find(principal);
    if (bucket == buckets.end()) continue;
    for (const std::string_view literal : {name, std::string_view("*")}) {
      const auto matches = bucket->second.literal_by_name.find(literal);
      if (matches == bucket->second.literal_by_name.end()) continue;
      for (const std::size_t i : matches->second) consider(i);
    }
    for (const std::size_t i : bucket->second.prefixes) {
      if (name.starts_with(entries_[i].resource_name)) consider(i);
    }
    if (deny) return false;  // deny wins, whatever else applies
  }
  return allow;
}

}  // namespace wharf::auth
