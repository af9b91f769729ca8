// Users and ACL entries, each an opaque value under a text key (the auth
// engine owns their encoding): `users` maps a user name to its record,
// `acls` an entry's key to the entry.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "broker/storage/txn.h"
#include "wharf/errors.h"

namespace wharf::storage {

class LmdbEnv;

class SecurityStore {
 public:
  explicit SecurityStore(LmdbEnv& env) : env_(env) {}

  using Visit = std::function<void(std::string_view key, std::string_view value)>;

  result<std::optional<std::string>> get_user(Txn& txn, std::string_view name);
  status put_user(WriteTxn& txn, std::string_view name, std::string_view record);
  // false if there was no such user.
  result<bool> delete_user(WriteTxn& txn, std::string_view name);
  status scan_users(Txn& txn, const Visit& visit);

  status put_acl(WriteTxn& txn, std::string_view key, std::string_view entry);
  result<bool> delete_acl(WriteTxn& txn, std::string_view key);
  status scan_acls(Txn& txn, const Visit& visit);

 private:
  LmdbEnv& env_;
};

}  // namespace wharf::storage
