// Client's user and ACL administration. Credentials are derived here
// (salted, iterated SCRAM keys), so passwords never leave the client.
#include "client/client_impl.h"
#include "protocol/frame_builder.h"
#include "protocol/sasl/scram.h"

namespace wharf {
namespace {

using CredentialVector = flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<wire::ScramCredential>>>;

flatbuffers::Offset<flatbuffers::Vector<std::uint8_t>> bytes(flatbuffers::FlatBufferBuilder& fbb, const std::string& s) {
  return fbb.CreateVector(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

CredentialVector credentials(flatbuffers::FlatBufferBuilder& fbb, std::string_view password) {
  std::vector<flatbuffers::Offset<wire::ScramCredential>> out;
  for (auto m : {sasl::ScramMechanism::sha256, sasl::ScramMechanism::sha512}) {
    const auto c = sasl::make_scram_credential(m, password, sasl::kDefaultScramIterations);
    auto name = fbb.CreateString(std::string(sasl::scram_mechanism_name(m)));
    out.push_back(wire::CreateScramCredential(fbb, name, bytes(fbb, c.salt), c.iterations, bytes(fbb, c.stored_key),
                                              bytes(fbb, c.server_key)));
  }
  return fbb.CreateVector(out);
}

flatbuffers::Offset<wire::AclRule> to_wire(flatbuffers::FlatBufferBuilder& fbb, const AclRule& r) {
  return wire::CreateAclRule(fbb, fbb.CreateString(r.principal), fbb.CreateString(r.resource_type),
                             fbb.CreateString(r.resource_name), fbb.CreateString(r.pattern),
                             fbb.CreateString(r.operation), fbb.CreateString(r.permission));
}

status check_password(std::string_view password) {
  if (password.empty()) return status(errc::invalid_argument, "a password must not be empty");
  return {};
}

}  // namespace

status Client::create_user(std::string_view name, std::string_view password, bool admin) {
  if (status st = check_password(password); !st.ok()) return st;
  return to_status(impl_->call<bool>(
      [&](flatbuffers::FlatBufferBuilder& fbb, std::uint64_t corr) {
        auto n = fbb.CreateString(name.data(), name.size());
        auto c = credentials(fbb, password);
        protocol::finish_frame(fbb, corr, wire::CreateCreateUser(fbb, n, admin, c));
      },
      expect_ok));
}

status Client::set_password(std::string_view name, std::string_view password) {
  if (status st = check_password(password); !st.ok()) return st;
  return to_status(impl_->call<bool>(
      [&](flatbuffers::FlatBufferBuilder& fbb, std::uint64_t corr) {
        auto n = fbb.CreateString(name.data(), name.size());
        auto c = credentials(fbb, password);
        protocol::finish_frame(fbb, corr, wire::CreateSetUserCredentials(fbb, n, c));
      },
      expect_ok));
}

status Client::delete_user(std::string_view name) {
  return to_status(impl_->call<bool>(
      [&](flatbuffers::FlatBufferBuilder& fbb, std::uint64_t corr) {
        auto n = fbb.CreateString(name.data(), name.size());
        protocol::finish_frame(fbb, corr, wire::CreateDeleteUser(fbb, n));
      },
      expect_ok));
}

result<std::vector<UserSummary>> Client::list_users() {
  return impl_->call<std::vector<UserSummary>>(
      [&](flatbuffers::FlatBufferBuilder& fbb, std::uint64_t corr) {
        protocol::finish_frame(fbb, corr, wire::CreateListUsers(fbb));
      },
      [](const wire::Frame& f) -> result<std::vector<UserSummary>> {
        const auto* list = f.body_as_UserList();
        if (list == nullptr) return unexpected_reply(f);
        std::vector<UserSummary> out;
        if (list->users() != nullptr)
          for (const auto* u : *list->users()) {
            UserSummary s{str(u->name()), u->admin(), {}};
            if (u->mechanisms() != nullptr)
              for (const auto* m : *u->mechanisms()) s.mechanisms.push_back(m->str());
            out.push_back(std::move(s));
          }
        return out;
      });
}

status Client::add_acl(const AclRule& rule) {
  return to_status(impl_->call<bool>(
      [&](flatbuffers::FlatBufferBuilder& fbb, std::uint64_t corr) {
        protocol::finish_frame(fbb, corr, wire::CreateAddAcl(fbb, to_wire(fbb, rule)));
      },
      expect_ok));
}

status Client::remove_acl(const AclRule& rule) {
  return to_status(impl_->call<bool>(
      [&](flatbuffers::FlatBufferBuilder& fbb, std::uint64_t corr) {
        protocol::finish_frame(fbb, corr, wire::CreateRemoveAcl(fbb, to_wire(fbb, rule)));
      },
      expect_ok));
}

result<std::vector<AclRule>> Client::list_acls() {
  return impl_->call<std::vector<AclRule>>(
      [&](flatbuffers::FlatBufferBuilder& fbb, std::uint64_t corr) {
        protocol::finish_frame(fbb, corr, wire::CreateListAcls(fbb));
      },
      [](const wire::Frame& f) -> result<std::vector<AclRule>> {
        const auto* list = f.body_as_AclList();
        if (list == nullptr) return unexpected_reply(f);
        std::vector<AclRule> out;
        if (list->rules() != nullptr)
          for (const auto* r : *list->rules())
            out.push_back({str(r->principal()), str(r->resource_type()), str(r->resource_name()), str(r->pattern()),
                           str(r->operation()), str(r->permission())});
        return out;
      });
}

}  // namespace wharf
