// Engine values to wire tables and back, for the native front end. The
// engines never see FlatBuffers; the handlers never build a table by hand.
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "broker/log/log_engine.h"
#include "broker/queue/queue_types.h"
#include "wharf/errors.h"
#include "wharf_generated.h"

namespace wharf::net {

template <typename T>
using Offset = flatbuffers::Offset<T>;
using Builder = flatbuffers::FlatBufferBuilder;

inline std::string_view str(const flatbuffers::String* s) {
  return s == nullptr ? std::string_view() : std::string_view(s->data(), s->size());
}

// --- engine to wire ---
Offset<wire::TopicInfo> build_topic_info(Builder& fbb, const log::TopicDescription& d);
Offset<wire::QueueInfo> build_queue_info(Builder& fbb, const queue::QueueDescription& d);
Offset<wire::MessageInfo> build_message_info(Builder& fbb, const queue::MessageInfo& m);
Offset<flatbuffers::Vector<Offset<wire::MessageHeader>>> build_headers(Builder& fbb, const std::vector<Header>& headers);
// Id 0 marks a message the queue refused at its max length.
Offset<wire::PublishOk> build_publish_ok(Builder& fbb, const std::vector<std::uint64_t>& ids);
Offset<wire::SettleOk> build_settle_ok(Builder& fbb, const std::vector<queue::SettleError>& errors);

// --- wire to engine ---
// invalid_argument when the options contradict themselves.
result<queue::QueueConfig> to_queue_config(std::string_view name, const wire::QueueOptions* o);
// Copies a wire Publish into an engine batch: one arena for all bytes.
queue::PublishBatch to_publish_batch(const wire::Publish& p);
queue::Settlement to_settlement(const wire::SettleItem& s);
result<queue::RedriveRequest> to_redrive(const wire::Redrive& r);
log::TopicChange to_topic_change(const wire::AlterTopic& a);

}  // namespace wharf::net
