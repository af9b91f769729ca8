#include "broker/auth/security_engine.h"

#include <fmt/format.h>

#include <future>

#include "base/field_codec.h"

#include "broker/storage/function_op.h"
#include "broker/storage/storage.h"
#include "protocol/names.h"
#include "protocol/sasl/crypto.h"

namespace wharf::auth {
namespace {

// A user's stored record: u8 version (1), u8 admin, u8 count, then per
// credential a field holding sasl::encode_credential's bytes.
constexpr std::uint8_t kUserFormat = 1;

std::string encode_user(bool admin, const std::vector<sasl::ScramCredential>& credentials) {
  std::string out;
  out += static_cast<char>(kUserFormat);
  out += static_cast<char>(admin ? 1 : 0);
  out += static_cast<char>(credentials.size());
  for (const auto& c : credentials) put_field(out, sasl::encode_credential(c));
  return out;
}

template <typename User>
std::optional<User> decode_user(std::string_view v) {
  FieldReader reader(v);
  const auto version = reader.u8();
  const auto admin = reader.u8();
  const auto count = reader.u8();
  if (version != kUserFormat || !admin || !count) return std::nullopt;
  User u;
  u.admin = *admin != 0;
  for (std::size_t i = 0; i < *count; ++i) {
    auto field = reader.field();
    auto c = field ? sasl::decode_credential(*field) : std::nullopt;
    if (!c) return std::nullopt;
    u.credentials.push_back(std::move(*c));
  }
  if (!reader.at_end()) return std::nullopt;
  return u;
}

bool user_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-' || c == '@';
}

// Waits for a write op's outcome (startup only).
template <typename Fn>
status wait(Fn&& submit) {
  std::promise<status> p;
  auto f = p.get_future();
  submit([&p](status st) { p.set_value(std::move(st)); });
  return f.get();
}

}  // namespace

status validate_user_name(std::string_view name) {
  if (name.empty() || name.size() > 255) return status(errc::invalid_name, "a user name has 1-255 characters");
  for (char c : name)
    if (!user_char(c))
      return status(errc::invalid_name,
                    fmt::format("user name '{}' may hold only letters, digits and . _ - @", name));
  return {};
}

status validate_acl(const AclEntry& e) {
  if (e.principal != "*")
    if (status st = validate_user_name(e.principal); !st.ok()) return st;
  if (e.resource_type == ResourceType::cluster) {
    if (e.resource_name != "cluster" && e.resource_name != "*")
      return status(errc::invalid_argument, "the cluster resource is named 'cluster' (or '*')");
    return {};
  }
  if (e.resource_name == "*" && e.pattern == PatternType::literal) return {};
  if (e.resource_name.empty()) return status(errc::invalid_name, "an ACL entry names a resource or a prefix");
  if (e.pattern == PatternType::prefix) {
    if (e.resource_name.size() > 249) return status(errc::invalid_name, "a resource prefix has 1-249 characters");
    return {};
  }
  return protocol::validate_name(e.resource_name, resource_type_name(e.resource_type));
}

result<std::unique_ptr<SecurityEngine>> SecurityEngine::open(storage::Storage& storage, SecurityOptions options) {
  std::unique_ptr<SecurityEngine> engine(new SecurityEngine(storage, std::move(options)));
  if (status st = engine->load(); !st.ok()) return st;
  return engine;
}

status SecurityEngine::load() {
  auto txn = storage_.read();
  if (!txn) return txn.error();
  std::map<std::string, User, std::less<>> users;
  bool damaged = false;
  status st = storage_.security().scan_users(*txn, [&](std::string_view name, std::string_view value) {
    auto u = decode_user<User>(value);
    if (!u) damaged = true;
    else users.emplace(std::string(name), std::move(*u));
  });
  if (!st.ok()) return st;
  std::vector<AclEntry> entries;
  st = storage_.security().scan_acls(*txn, [&](std::string_view, std::string_view value) {
    auto e = decode_acl(value);
    if (!e) damaged = true;
    else entries.push_back(std::move(*e));
  });
  if (!st.ok()) return st;
  if (damaged) return status(errc::storage_corrupt, "a stored user or ACL entry is damaged");
  MutexLock lock(mu_);
  users_ = std::move(users);
  acls_ = std::make_shared<const AclTable>(std::move(entries));
  return {};
}

status SecurityEngine::bootstrap() {
  bool empty = false;
  {
    MutexLock lock(mu_);
    empty = users_.empty();
  }
  if (!empty) return {};
  if (options_.admin_password.empty()) {
    if (options_.required)
      return status(errc::invalid_argument,
                    "authentication is required but no user exists: give the first admin's password "
                    "(WHARF_ADMIN_PASSWORD or admin-password-file)");
    return {};
  }
  if (status st = validate_user_name(options_.admin_user); !st.ok()) return st;
  std::vector<sasl::ScramCredential> credentials;
  for (auto m : {sasl::ScramMechanism::sha256, sasl::ScramMechanism::sha512})
    credentials.push_back(sasl::make_scram_credential(m, options_.admin_password, options_.iterations));
  return wait([&](Done done) { create_user(options_.admin_user, true, std::move(credentials), std::move(done)); });
}

std::optional<sasl::ScramCredential> SecurityEngine::credential(std::string_view user,
                                                                 sasl::ScramMechanism mechanism) const {
  MutexLock lock(mu_);
  auto it = users_.find(user);
  if (it == users_.end()) return std::nullopt;
  for (const auto& c : it->second.credentials)
    if (c.mechanism == mechanism) return c;
  return std::nullopt;
}

bool SecurityEngine::check_password(std::string_view user, std::string_view password) const {
  for (auto m : {sasl::ScramMechanism::sha256, sasl::ScramMechanism::sha512}) {
    auto c = credential(user, m);
    if (!c) continue;
    const auto h = sasl::scram_hash_function(m);
    const std::string salted = sasl::pbkdf2_hi(h, password, c->salt, c->iterations);
    const std::string client_key = sasl::hmac(h, salted, "Client Key");
    return sasl::constant_time_equal(sasl::digest(h, client_key), c->stored_key);
  }
  return false;
}

Principal SecurityEngine::principal_of(std::string_view user) const {
  MutexLock lock(mu_);
  auto it = users_.find(user);
  if (it == users_.end()) return {};
  return Principal{std::string(user), it->second.admin};
}

std::shared_ptr<const AclTable> SecurityEngine::acls() const {
  MutexLock lock(mu_);
  return acls_;
}

bool SecurityEngine::allowed(const Principal& p, ResourceType type, std::string_view name, Operation op) const {
  if (!options_.required) return true;
  if (!p.authenticated()) return false;
  return acls()->allowed(p.user, p.admin, type, name, op);
}

bool SecurityEngine::allowed_somewhere(const Principal& p, ResourceType type, Operation op) const {
  if (!options_.required || p.admin) return true;
  if (!p.authenticated()) return false;
  for (const auto& e : acls()->entries()) {
    if (e.resource_type != type || e.operation != op || e.permission != Permission::allow) continue;
    if (e.principal == p.user || e.principal == "*") return true;
  }
  return false;
}

void SecurityEngine::write_user(std::string name, std::optional<User> user, bool must_exist, bool must_not_exist,
                                Done done) {
  if (status st = validate_user_name(name); !st.ok()) return done(st);
  auto& store = storage_.security();
  storage_.writer().submit(storage::make_op(
      [&store, name, user, must_exist, must_not_exist](storage::WriteTxn& txn) -> result<bool> {
        auto existing = store.get_user(txn, name);
        if (!existing) return existing.error();
        if (must_exist && !existing->has_value())
          return status(errc::unknown_user, fmt::format("no user named '{}'", name));
        if (must_not_exist && existing->has_value())
          return status(errc::user_exists, fmt::format("user '{}' already exists", name));
        if (!user) return store.delete_user(txn, name);
        bool admin = user->admin;
        // Changing credentials keeps the admin flag.
        if (must_exist) {
          struct Stored {
            bool admin = false;
            std::vector<sasl::ScramCredential> credentials;
          };
          auto old = decode_user<Stored>(**existing);
          if (!old) return status(errc::storage_corrupt, "a stored user is damaged");
          admin = old->admin;
        }
        if (status st = store.put_user(txn, name, encode_user(admin, user->credentials)); !st.ok()) return st;
        return admin;
      },
      [this, name, user, done = std::move(done)](result<bool> r) {
        if (!r) return done(r.error());
        {
          MutexLock lock(mu_);
          if (!user) {
            users_.erase(name);
          } else {
            User& u = users_[name];
            u.credentials = user->credentials;
            u.admin = *r;
          }
        }
        done({});
      }));
}

void SecurityEngine::create_user(std::string name, bool admin, std::vector<sasl::ScramCredential> credentials,
                                 Done done) {
  if (credentials.empty()) return done(status(errc::invalid_argument, "a user needs a credential"));
  write_user(std::move(name), User{admin, std::move(credentials)}, false, true, std::move(done));
}

void SecurityEngine::set_credentials(std::string name, std::vector<sasl::ScramCredential> credentials, Done done) {
  if (credentials.empty()) return done(status(errc::invalid_argument, "a user needs a credential"));
  write_user(std::move(name), User{false, std::move(credentials)}, true, false, std::move(done));
}

void SecurityEngine::delete_user(std::string name, Done done) {
  write_user(std::move(name), std::nullopt, true, false, std::move(done));
}

std::vector<UserInfo> SecurityEngine::list_users() const {
  MutexLock lock(mu_);
  std::vector<UserInfo> out;
  for (const auto& [name, u] : users_) {
    UserInfo info{name, u.admin, {}};
    for (const auto& c : u.credentials) info.mechanisms.emplace_back(sasl::scram_mechanism_name(c.mechanism));
    out.push_back(std::move(info));
  }
  return out;
}

void SecurityEngine::add_acl(AclEntry entry, Done done) {
  if (status st = validate_acl(entry); !st.ok()) return done(st);
  auto& store = storage_.security();
  storage_.writer().submit(storage::make_op(
      [&store, entry](storage::WriteTxn& txn) -> result<bool> {
        if (status st = store.put_acl(txn, acl_key(entry), encode_acl(entry)); !st.ok()) return st;
        return true;
      },
      [this, entry, done = std::move(done)](result<bool> r) {
        if (!r) return done(r.error());
        {
          MutexLock lock(mu_);
          std::vector<AclEntry> entries = acls_->entries();
          if (std::find(entries.begin(), entries.end(), entry) == entries.end()) entries.push_back(entry);
          acls_ = std::make_shared<const AclTable>(std::move(entries));
        }
        done({});
      }));
}

void SecurityEngine::remove_acl(AclEntry entry, Done done) {
  auto& store = storage_.security();
  storage_.writer().submit(storage::make_op(
      [&store, entry](storage::WriteTxn& txn) -> result<bool> {
        auto removed = store.delete_acl(txn, acl_key(entry));
        if (!removed) return removed.error();
        if (!*removed) return status(errc::unknown_acl, "no such ACL entry");
        return true;
      },
      [this, entry, done = std::move(done)](result<bool> r) {
        if (!r) return done(r.error());
        {
          MutexLock lock(mu_);
          std::vector<AclEntry> entries = acls_->entries();
          entries.erase(std::remove(entries.begin(), entries.end(), entry), entries.end());
          acls_ = std::make_shared<const AclTable>(std::move(entries));
        }
        done({});
      }));
}

std::vector<AclEntry> SecurityEngine::list_acls() const { return acls()->entries(); }

}  // namespace wharf::auth
