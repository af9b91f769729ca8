// Native requests that manage users and ACLs (authorized by the table in
// authorization.cc before they get here).
#include <fmt/format.h>

#include "broker/auth/security_engine.h"
#include "broker/net/connection.h"
#include "broker/net/dispatcher.h"
#include "broker/net/request_helpers.h"
#include "wharf_generated.h"

namespace wharf::net {
namespace {

std::string text(const flatbuffers::String* s) { return s ? s->str() : std::string(); }

std::string bytes_of(const flatbuffers::Vector<std::uint8_t>* v) {
  return v ? std::string(reinterpret_cast<const char*>(v->data()), v->size()) : std::string();
}

result<std::vector<sasl::ScramCredential>> credentials_of(
    const flatbuffers::Vector<flatbuffers::Offset<wire::ScramCredential>>* in) {
  std::vector<sasl::ScramCredential> out;
  if (in == nullptr || in->size() == 0) return status(errc::invalid_argument, "a user needs a credential");
  for (const auto* c : *in) {
    const auto m = sasl::parse_scram_mechanism(text(c->mechanism()));
    if (!m) return status(errc::invalid_argument, fmt::format("unknown SCRAM mechanism '{}'", text(c->mechanism())));
    if (c->iterations() < sasl::kMinScramIterations || c->iterations() > sasl::kMaxScramIterations)
      return status(errc::invalid_argument, fmt::format("SCRAM iterations must be {}-{}", sasl::kMinScramIterations,
                                                        sasl::kMaxScramIterations));
    const std::size_t key_size = sasl::digest_size(sasl::scram_hash_function(*m));
    sasl::ScramCredential cred{*m, bytes_of(c->salt()), c->iterations(), bytes_of(c->stored_key()),
                               bytes_of(c->server_key())};
    if (cred.salt.size() < 8 || cred.stored_key.size() != key_size || cred.server_key.size() != key_size)
      return status(errc::invalid_argument, "a SCRAM credential has a short salt or keys of the wrong size");
    out.push_back(std::move(cred));
  }
  return out;
}

result<auth::AclEntry> acl_of(const wire::AclRule* r) {
  if (r == nullptr) return status(errc::invalid_argument, "no ACL rule");
  auto type = auth::parse_resource_type(text(r->resource_type()));
  auto pattern = auth::parse_pattern_type(text(r->pattern()).empty() ? "literal" : text(r->pattern()));
  auto op = auth::parse_operation(text(r->operation()));
  auto permission = auth::parse_permission(text(r->permission()).empty() ? "allow" : text(r->permission()));
  if (!type) return status(errc::invalid_argument, "resource type must be topic, queue, group or cluster");
  if (!pattern) return status(errc::invalid_argument, "pattern must be literal or prefix");
  if (!op) return status(errc::invalid_argument, "operation must be read, write, create, delete, alter or describe");
  if (!permission) return status(errc::invalid_argument, "permission must be allow or deny");
  return auth::AclEntry{text(r->principal()), *type, text(r->resource_name()), *pattern, *op, *permission};
}

}  // namespace

void Dispatcher::create_user(Connection& conn, const wire::Frame& frame) {
  const auto* r = frame.body_as_CreateUser();
  auto creds = credentials_of(r->credentials());
  if (!creds) return conn.send_error(frame.correlation_id(), creds.error());
  if (!begin(conn, frame.correlation_id())) return;
  security_.create_user(text(r->name()), r->admin(), std::move(*creds), reply_status(conn, frame.correlation_id()));
}

void Dispatcher::set_user_credentials(Connection& conn, const wire::Frame& frame) {
  const auto* r = frame.body_as_SetUserCredentials();
  auto creds = credentials_of(r->credentials());
  if (!creds) return conn.send_error(frame.correlation_id(), creds.error());
  if (!begin(conn, frame.correlation_id())) return;
  security_.set_credentials(text(r->name()), std::move(*creds), reply_status(conn, frame.correlation_id()));
}

void Dispatcher::delete_user(Connection& conn, const wire::Frame& frame) {
  if (!begin(conn, frame.correlation_id())) return;
  security_.delete_user(text(frame.body_as_DeleteUser()->name()), reply_status(conn, frame.correlation_id()));
}

void Dispatcher::list_users(Connection& conn, const wire::Frame& frame) {
  auto& fbb = conn.builder();
  std::vector<flatbuffers::Offset<wire::UserInfo>> users;
  for (const auto& u : security_.list_users()) {
    std::vector<flatbuffers::Offset<flatbuffers::String>> mechanisms;
    for (const auto& m : u.mechanisms) mechanisms.push_back(fbb.CreateString(m));
    users.push_back(wire::CreateUserInfo(fbb, fbb.CreateString(u.name), u.admin, fbb.CreateVector(mechanisms)));
  }
  conn.reply(frame.correlation_id(), wire::CreateUserList(fbb, fbb.CreateVector(users)));
}

void Dispatcher::change_acl(Connection& conn, const wire::Frame& frame) {
  const bool add = frame.body_type() == wire::Body::AddAcl;
  auto entry = acl_of(add ? frame.body_as_AddAcl()->rule() : frame.body_as_RemoveAcl()->rule());
  if (!entry) return conn.send_error(frame.correlation_id(), entry.error());
  if (!begin(conn, frame.correlation_id())) return;
  if (add) {
    security_.add_acl(std::move(*entry), reply_status(conn, frame.correlation_id()));
  } else {
    security_.remove_acl(std::move(*entry), reply_status(conn, frame.correlation_id()));
  }
}

void Dispatcher::list_acls(Connection& conn, const wire::Frame& frame) {
  auto& fbb = conn.builder();
  std::vector<flatbuffers::Offset<wire::AclRule>> rules;
  for (const auto& e : security_.list_acls()) {
    rules.push_back(wire::CreateAclRule(
        fbb, fbb.CreateString(e.principal), fbb.CreateString(std::string(auth::resource_type_name(e.resource_type))),
        fbb.CreateString(e.resource_name), fbb.CreateString(std::string(auth::pattern_type_name(e.pattern))),
        fbb.CreateString(std::string(auth::operation_name(e.operation))),
        fbb.CreateString(std::string(auth::permission_name(e.permission)))));
  }
  conn.reply(frame.correlation_id(), wire::CreateAclList(fbb, fbb.CreateVector(rules)));
}

}  // namespace wharf::net
