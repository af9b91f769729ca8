#include "broker/kafka/request_handlers.h"

#include "protocol/kafka/admin_messages.h"
#include "protocol/kafka/api.h"

namespace wharf::kafka {

namespace pk = protocol::kafka;

bool handle_request(KafkaSession& s, const RequestHeader& h, Reader& body) {
  switch (static_cast<pk::ApiKey>(h.api_key)) {
    case pk::ApiKey::api_versions: return handle_api_versions(s, h, body);
    case pk::ApiKey::metadata: return handle_metadata(s, h, body);
    case pk::ApiKey::produce: return handle_produce(s, h, body);
    case pk::ApiKey::fetch: return handle_fetch(s, h, body);
    case pk::ApiKey::list_offsets: return handle_list_offsets(s, h, body);
    case pk::ApiKey::create_topics: return handle_create_topics(s, h, body);
    case pk::ApiKey::delete_topics: return handle_delete_topics(s, h, body);
    case pk::ApiKey::delete_records: return handle_delete_records(s, h, body);
    case pk::ApiKey::find_coordinator: return handle_find_coordinator(s, h, body);
    case pk::ApiKey::join_group: return handle_join_group(s, h, body);
    case pk::ApiKey::sync_group: return handle_sync_group(s, h, body);
    case pk::ApiKey::heartbeat: return handle_heartbeat(s, h, body);
    case pk::ApiKey::leave_group: return handle_leave_group(s, h, body);
    case pk::ApiKey::offset_commit: return handle_offset_commit(s, h, body);
    case pk::ApiKey::offset_fetch: return handle_offset_fetch(s, h, body);
    case pk::ApiKey::list_groups: return handle_list_groups(s, h, body);
    case pk::ApiKey::describe_groups: return handle_describe_groups(s, h, body);
    case pk::ApiKey::delete_groups: return handle_delete_groups(s, h, body);
    case pk::ApiKey::init_producer_id: return handle_init_producer_id(s, h, body);
    case pk::ApiKey::sasl_handshake: return handle_sasl_handshake(s, h, body);
    case pk::ApiKey::sasl_authenticate: return handle_sasl_authenticate(s, h, body);
    default: return false;
  }
  return false;
}

bool handle_api_versions(KafkaSession& s, const RequestHeader& h, Reader& /*body*/) {
  s.respond(s.reserve(), h.correlation_id,
            [&](pk::Writer& w) { pk::encode_api_versions(w, h.api_version, pk::Error::none); });
  return true;
}

}  // namespace wharf::kafka
