// What each native request needs, checked before its handler runs: a
// refusal is a typed not_authorized error and the request changes nothing.
// Listing requests are not refused; their handlers leave out what the user
// may not describe, as Kafka does.
#include "broker/net/authorization.h"

#include <fmt/format.h>

#include "broker/auth/security_engine.h"
#include "wharf_generated.h"

namespace wharf::net {
namespace {

using auth::Operation;
using auth::ResourceType;

struct Need {
  ResourceType type;
  std::string_view name;
  Operation op;
};

std::string_view text(const flatbuffers::String* s) { return s ? s->string_view() : std::string_view(); }

// The resources a request touches; empty for requests that need nothing
// (listings, settling one's own deliveries, leaving).
std::vector<Need> needs(const wire::Frame& f) {
  constexpr auto topic = ResourceType::topic;
  constexpr auto queue = ResourceType::queue;
  constexpr auto group = ResourceType::group;
  constexpr auto cluster = ResourceType::cluster;
  switch (f.body_type()) {
    case wire::Body::CreateTopic: return {{topic, text(f.body_as_CreateTopic()->name()), Operation::create}};
    case wire::Body::DeleteTopic: return {{topic, text(f.body_as_DeleteTopic()->name()), Operation::del}};
    case wire::Body::AlterTopic: return {{topic, text(f.body_as_AlterTopic()->name()), Operation::alter}};
    case wire::Body::DeleteRecords: return {{topic, text(f.body_as_DeleteRecords()->topic()), Operation::del}};
    case wire::Body::DescribeTopic: return {{topic, text(f.body_as_DescribeTopic()->name()), Operation::describe}};
    case wire::Body::Produce: return {{topic, text(f.body_as_Produce()->topic()), Operation::write}};
    case wire::Body::Fetch: return {{topic, text(f.body_as_Fetch()->topic()), Operation::read}};
    case wire::Body::ListOffsets: return {{topic, text(f.body_as_ListOffsets()->topic()), Operation::describe}};
    case wire::Body::CommitOffsets: {
      const auto* r = f.body_as_CommitOffsets();
      return {{group, text(r->group()), Operation::read}, {topic, text(r->topic()), Operation::read}};
    }
    case wire::Body::FetchOffsets: {
      const auto* r = f.body_as_FetchOffsets();
      std::vector<Need> out{{group, text(r->group()), Operation::describe}};
      if (r->topic() != nullptr && r->topic()->size() > 0)
        out.push_back({topic, text(r->topic()), Operation::describe});
      return out;
    }
    case wire::Body::JoinGroup: {
      const auto* r = f.body_as_JoinGroup();
      std::vector<Need> out{{group, text(r->group()), Operation::read}};
      if (r->topics() != nullptr)
        for (const auto* t : *r->topics()) out.push_back({topic, text(t), Operation::read});
      return out;
    }
    case wire::Body::GroupHeartbeat: return {{group, text(f.body_as_GroupHeartbeat()->group()), Operation::read}};
    case wire::Body::DescribeGroup: return {{group, text(f.body_as_DescribeGroup()->group()), Operation::describe}};
    case wire::Body::DeleteGroup: return {{group, text(f.body_as_DeleteGroup()->group()), Operation::del}};
    case wire::Body::CreateQueue: return {{queue, text(f.body_as_CreateQueue()->name()), Operation::create}};
    case wire::Body::DeleteQueue: return {{queue, text(f.body_as_DeleteQueue()->name()), Operation::del}};
    case wire::Body::AlterQueue: return {{queue, text(f.body_as_AlterQueue()->name()), Operation::alter}};
    case wire::Body::PurgeQueue: return {{queue, text(f.body_as_PurgeQueue()->name()), Operation::del}};
    case wire::Body::DescribeQueue: return {{queue, text(f.body_as_DescribeQueue()->name()), Operation::describe}};
    case wire::Body::Publish: return {{queue, text(f.body_as_Publish()->queue()), Operation::write}};
    case wire::Body::Subscribe: return {{queue, text(f.body_as_Subscribe()->queue()), Operation::read}};
    case wire::Body::PeekQueue: return {{queue, text(f.body_as_PeekQueue()->queue()), Operation::read}};
    case wire::Body::GetMessage: return {{queue, text(f.body_as_GetMessage()->queue()), Operation::read}};
    case wire::Body::Redrive: {
      const auto* r = f.body_as_Redrive();
      std::vector<Need> out{{queue, text(r->dlq()), Operation::read}};
      if (r->to() != nullptr && r->to()->size() > 0) out.push_back({queue, text(r->to()), Operation::write});
      return out;
    }
    case wire::Body::AckPublish: {
      // Its acks settle the connection's own deliveries; what it adds needs write.
      const auto* r = f.body_as_AckPublish();
      std::vector<Need> out;
      if (r->publishes() != nullptr)
        for (const auto* p : *r->publishes()) out.push_back({queue, text(p->queue()), Operation::write});
      if (r->produces() != nullptr)
        for (const auto* p : *r->produces()) out.push_back({topic, text(p->topic()), Operation::write});
      return out;
    }
    case wire::Body::Backup:
    case wire::Body::CreateUser:
    case wire::Body::DeleteUser:
    case wire::Body::AddAcl:
    case wire::Body::RemoveAcl: return {{cluster, "cluster", Operation::alter}};
    case wire::Body::ListUsers:
    case wire::Body::ListAcls: return {{cluster, "cluster", Operation::describe}};
    default: return {};
  }
}

}  // namespace

status authorize(const auth::SecurityEngine& security, const auth::Principal& who, const wire::Frame& frame) {
  if (!security.required()) return {};
  if (frame.body_type() == wire::Body::SetUserCredentials) {
    // Users may change their own password.
    const auto* r = frame.body_as_SetUserCredentials();
    if (who.authenticated() && text(r->name()) == who.user) return {};
    if (security.allowed(who, ResourceType::cluster, "cluster", Operation::alter)) return {};
    return status(errc::not_authorized, fmt::format("user '{}' may not change other users' passwords", who.user));
  }
  if (frame.body_type() == wire::Body::InitProducer) {
    if (security.allowed_somewhere(who, ResourceType::topic, Operation::write)) return {};
    return status(errc::not_authorized, fmt::format("user '{}' may not write any topic", who.user));
  }
  for (const Need& n : needs(frame)) {
    if (!security.allowed(who, n.type, n.name, n.op))
      return status(errc::not_authorized, fmt::format("user '{}' may not {} {} '{}'", who.user,
                                                      auth::operation_name(n.op), auth::resource_type_name(n.type),
                                                      n.name));
  }
  return {};
}

}  // namespace wharf::net
