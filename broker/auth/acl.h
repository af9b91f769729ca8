// Access control lists: who may do what to which resource, and the table
// that answers "is this allowed?".
//
// An entry grants (allow) or refuses (deny) one operation on some resources
// to one principal. It applies to a request when all of these hold:
//   - principal: the entry's is the user's name, or "*" (everyone);
//   - resource type: equal;
//   - name: pattern literal with resource_name "*" matches every name of
//     that type; literal otherwise matches the equal name only; prefix
//     matches every name that starts with resource_name;
//   - operation: equal, except that an allow of read, write, delete or
//     alter also allows describe on the same resources (as Kafka does). A
//     deny never implies anything: deny read does not deny describe.
// Decision: admins are always allowed; otherwise any applying deny refuses,
// else any applying allow allows, else (nothing applies) refused.
//
// Example: {alice, topic, "orders.", prefix, write, allow} lets alice write
// and describe "orders.eu"; adding {*, topic, "orders.eu", literal, write,
// deny} then refuses her writes there but still lets her describe it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace wharf::auth {

enum class ResourceType { topic, queue, group, cluster };
enum class Operation { read, write, create, del, alter, describe };
enum class PatternType { literal, prefix };
enum class Permission { allow, deny };

// Lower-case words: "topic" "queue" "group" "cluster"; "read" "write"
// "create" "delete" "alter" "describe"; "literal" "prefix"; "allow" "deny".
// Parsing is exact (case-sensitive) and gives nullopt for anything else.
std::string_view resource_type_name(ResourceType type);
std::optional<ResourceType> parse_resource_type(std::string_view name);
std::string_view operation_name(Operation operation);
std::optional<Operation> parse_operation(std::string_view name);
std::string_view pattern_type_name(PatternType pattern);
std::optional<PatternType> parse_pattern_type(std::string_view name);
std::string_view permission_name(Permission permission);
std::optional<Permission> parse_permission(std::string_view name);

struct AclEntry {
  std::string principal;  // a user name, or "*" for everyone
  ResourceType resource_type = ResourceType::topic;
  std::string resource_name;  // for cluster: "cluster" or "*"
  PatternType pattern = PatternType::literal;
  Operation operation = Operation::read;
  Permission permission = Permission::allow;

  bool operator==(const AclEntry&) const = default;
};

// The stored form of an entry, version 1 (integers big-endian):
//   u8  version                1
//   u32 length + bytes         principal
//   u8  resource type          0 topic, 1 queue, 2 group, 3 cluster
//   u32 length + bytes         resource name
//   u8  pattern                0 literal, 1 prefix
//   u8  operation              0 read, 1 write, 2 create, 3 delete, 4 alter, 5 describe
//   u8  permission             0 allow, 1 deny
// Nothing may follow. To change it: add a version 2 decoder beside version
// 1's, keep decoding both, and write version 2 only once every reader has it.
inline constexpr std::uint8_t kAclFormatVersion = 1;
std::string encode_acl(const AclEntry& entry);
// nullopt for an unknown version, an out-of-range enum, or a truncated or
// over-long input.
std::optional<AclEntry> decode_acl(std::string_view encoded);

// A key naming the entry in a key-value table: equal entries give equal
// keys and different entries different keys, independent of the encoding
// version. Readable, and grouped by resource type and pattern for scans:
//   "topic/literal/6:orders/5:alice/read/allow"
// (names carry their lengths, so any bytes in them stay unambiguous).
std::string acl_key(const AclEntry& entry);

// An immutable snapshot of all entries: build a new table to change them,
// and share it freely between threads (every method is const).
//
// Entries are indexed by principal and resource type, then literal names
// by name; only the prefix entries of the asking user (and of "*") for the
// type are scanned. A lookup costs two hash probes per principal plus that
// scan, whatever the total number of entries.
class AclTable {
 public:
  AclTable() = default;
  explicit AclTable(std::vector<AclEntry> entries);

  bool allowed(std::string_view user, bool is_admin, ResourceType type, std::string_view name,
               Operation operation) const;

  const std::vector<AclEntry>& entries() const { return entries_; }

 private:
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  template <typename Value>
  using StringMap = std::unordered_map<std::string, Value, StringHash, std::equal_to<>>;

  // One principal's entries for one resource type, as indexes into entries_.
  struct Bucket {
    StringMap<std::vector<std::size_t>> literal_by_name;  // "*" is a name here too
    std::vector<std::size_t> prefixes;
  };
  static constexpr std::size_t kResourceTypes = 4;
  using BucketsByPrincipal = StringMap<Bucket>;

  std::vector<AclEntry> entries_;
  std::array<BucketsByPrincipal, kResourceTypes> index_;  // by ResourceType
};

}  // namespace wharf::auth
