// One handler per Kafka API. Each decodes its request from `body`, answers
// on the session (at once or later, in its ticket's place) and returns
// false only when the body is malformed (the session then closes, as
// Kafka does).
#pragma once

#include "broker/kafka/kafka_session.h"
#include "protocol/kafka/codec.h"
#include "protocol/kafka/header.h"

namespace wharf::kafka {

using protocol::kafka::Reader;
using protocol::kafka::RequestHeader;

// Routes a request whose key and version are supported.
bool handle_request(KafkaSession& s, const RequestHeader& h, Reader& body);

bool handle_api_versions(KafkaSession& s, const RequestHeader& h, Reader& body);
bool handle_metadata(KafkaSession& s, const RequestHeader& h, Reader& body);
bool handle_produce(KafkaSession& s, const RequestHeader& h, Reader& body);
bool handle_fetch(KafkaSession& s, const RequestHeader& h, Reader& body);
bool handle_list_offsets(KafkaSession& s, const RequestHeader& h, Reader& body);
bool handle_create_topics(KafkaSession& s, const RequestHeader& h, Reader& body);
bool handle_delete_topics(KafkaSession& s, const RequestHeader& h, Reader& body);
bool handle_delete_records(KafkaSession& s, const RequestHeader& h, Reader& body);
bool handle_find_coordinator(KafkaSession& s, const RequestHeader& h, Reader& body);
bool handle_join_group(KafkaSession& s, const RequestHeader& h, Reader& body);
bool handle_sync_group(KafkaSession& s, const RequestHeader& h, Reader& body);
bool handle_heartbeat(KafkaSession& s, const RequestHeader& h, Reader& body);
bool handle_leave_group(KafkaSession& s, const RequestHeader& h, Reader& body);
bool handle_offset_commit(KafkaSession& s, const RequestHeader& h, Reader& body);
bool handle_offset_fetch(KafkaSession& s, const RequestHeader& h, Reader& body);
bool handle_list_groups(KafkaSession& s, const RequestHeader& h, Reader& body);
bool handle_describe_groups(KafkaSession& s, const RequestHeader& h, Reader& body);
bool handle_delete_groups(KafkaSession& s, const RequestHeader& h, Reader& body);
bool handle_init_producer_id(KafkaSession& s, const RequestHeader& h, Reader& body);
bool handle_sasl_handshake(KafkaSession& s, const RequestHeader& h, Reader& body);
bool handle_sasl_authenticate(KafkaSession& s, const RequestHeader& h, Reader& body);
// A SASL token after SaslHandshake v0, which has no request header.
void handle_raw_sasl_token(KafkaSession& s, std::span<const std::uint8_t> token);

}  // namespace wharf::kafka
