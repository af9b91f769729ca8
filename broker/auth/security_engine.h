// Users and ACLs: stored in the data file (storage::SecurityStore), held in
// memory for the front ends, changed through the writer. Reads are
// thread-safe (a mutex around small maps and an immutable AclTable
// snapshot); a change is visible once its commit is durable.
//
// With auth off, every request is allowed and anonymous connections are
// welcome; a client that authenticates anyway gets its user's principal.
// With auth on, a connection must authenticate first and then may do only
// what its user's ACLs grant (admins: everything).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "broker/auth/acl.h"
#include "broker/auth/byte_rate_quota.h"
#include "broker/auth/login_limiter.h"
#include "protocol/sasl/scram.h"
#include "wharf/errors.h"

namespace wharf::storage {
class Storage;
}

namespace wharf::auth {

// Who a connection acts as.
struct Principal {
  std::string user;  // empty: anonymous
  bool admin = false;
  bool authenticated() const noexcept { return !user.empty(); }
};

struct UserInfo {
  std::string name;
  bool admin = false;
  std::vector<std::string> mechanisms;
};

struct SecurityOptions {
  bool required = false;
  // At first start (no user stored yet), a user of this name with this
  // password is created as an admin; never stored in plain.
  std::string admin_user = "admin";
  std::string admin_password;
  std::uint32_t iterations = sasl::kDefaultScramIterations;
  // Per user, 0: unlimited.
  std::uint64_t produce_bytes_per_second = 0;
  std::uint64_t fetch_bytes_per_second = 0;
  // Failed logins allowed per user and per address before a lockout.
  LoginLimiter::Limits login_limits;
  // Receives a line per lockout.
  std::function<void(std::string_view)> log;
};

class SecurityEngine {
 public:
  using Done = std::function<void(status)>;

  // Loads users and ACLs. Call bootstrap() once the writer runs.
  static result<std::unique_ptr<SecurityEngine>> open(storage::Storage& storage, SecurityOptions options);
  // Creates the first admin if asked to and no user exists; with auth
  // required, fails (invalid_argument) when no user exists at all.
  status bootstrap();

  bool required() const noexcept { return options_.required; }

  // Authentication.
  std::optional<sasl::ScramCredential> credential(std::string_view user, sasl::ScramMechanism mechanism) const;
  // PLAIN: the password checked against the user's stored SCRAM key.
  bool check_password(std::string_view user, std::string_view password) const;
  Principal principal_of(std::string_view user) const;
  LoginLimiter& logins() noexcept { return logins_; }
  void count_failure() noexcept { failures_.fetch_add(1, std::memory_order_relaxed); }
  std::uint64_t failures() const noexcept { return failures_.load(std::memory_order_relaxed); }

  // Quotas (bytes per second per user, anonymous clients counting as one).
  ByteRateQuota& produce_quota() noexcept { return produce_quota_; }
  ByteRateQuota& fetch_quota() noexcept { return fetch_quota_; }

  // Authorization. With auth off, always true.
  bool allowed(const Principal& p, ResourceType type, std::string_view name, Operation op) const;
  // Whether `op` is granted on any resource of `type` (idempotent producers
  // may start when their user may write some topic).
  bool allowed_somewhere(const Principal& p, ResourceType type, Operation op) const;

  // Management (the front ends check cluster alter first).
  void create_user(std::string name, bool admin, std::vector<sasl::ScramCredential> credentials, Done done);
  void set_credentials(std::string name, std::vector<sasl::ScramCredential> credentials, Done done);
  void delete_user(std::string name, Done done);
  std::vector<UserInfo> list_users() const;
  void add_acl(AclEntry entry, Done done);
  void remove_acl(AclEntry entry, Done done);
  std::vector<AclEntry> list_acls() const;

 private:
  struct User {
    bool admin = false;
    std::vector<sasl::ScramCredential> credentials;
  };
  SecurityEngine(storage::Storage& storage, SecurityOptions options)
      : storage_(storage),
        options_(std::move(options)),
        logins_(options_.login_limits, options_.log),
        produce_quota_(options_.produce_bytes_per_second),
        fetch_quota_(options_.fetch_bytes_per_second) {}
  status load();
  void write_user(std::string name, std::optional<User> user, bool must_exist, bool must_not_exist, Done done);
  std::shared_ptr<const AclTable> acls() const;

  storage::Storage& storage_;
  SecurityOptions options_;
  LoginLimiter logins_;
  ByteRateQuota produce_quota_;
  ByteRateQuota fetch_quota_;
  std::atomic<std::uint64_t> failures_{0};
  mutable Mutex mu_;
  std::map<std::string, User, std::less<>> users_ WHARF_GUARDED_BY(mu_);
  std::shared_ptr<const AclTable> acls_ WHARF_GUARDED_BY(mu_);
};

// Names a user may have: 1-255 bytes of letters, digits and . _ - @.
status validate_user_name(std::string_view name);
// A resource name or prefix an ACL entry may name ("*" for all).
status validate_acl(const AclEntry& entry);

}  // namespace wharf::auth
