#include "protocol/kafka/admin_messages.h"

namespace wharf::protocol::kafka {

void encode_api_versions(Writer& w, std::int16_t v, Error error) {
  w.i16(static_cast<std::int16_t>(error));
  const auto apis = supported_apis();
  w.array(apis.size());
  for (const auto& a : apis) {
    w.i16(static_cast<std::int16_t>(a.key));
    w.i16(a.min);
    w.i16(a.max);
  }
  if (v >= 1) w.i32(0);  // throttle
}

bool decode(Reader& r, std::int16_t v, CreateTopicsRequest* out) {
  const std::size_t topics = r.array(2 + 4 + 2 + 4 + 4);
  out->topics.reserve(topics);
  for (std::size_t i = 0; i < topics && r.ok(); ++i) {
    auto& t = out->topics.emplace_back();
    t.name = r.string();
    t.partitions = r.i32();
    t.replication_factor = r.i16();
    const std::size_t assignments = r.array(8);
    t.assignments.reserve(assignments);
    for (std::size_t j = 0; j < assignments && r.ok(); ++j) {
      r.i32();  // partition index: they come in order
      auto& brokers = t.assignments.emplace_back();
      const std::size_t n = r.array(4);
      brokers.reserve(n);
      for (std::size_t k = 0; k < n && r.ok(); ++k) brokers.push_back(r.i32());
    }
    const std::size_t configs = r.array(4);
    t.configs.reserve(configs);
    for (std::size_t j = 0; j < configs && r.ok(); ++j) {
      auto& c = t.configs.emplace_back();
      c.name = r.string();
      if (auto value = r.nullable_string()) c.value.emplace(*value);
    }
  }
  r.i32();  // timeout: creating is one commit
  if (v >= 1) out->validate_only = r.boolean();
  return r.ok();
}

void encode(Writer& w, std::int16_t v, const CreateTopicsResponse& in) {
  if (v >= 2) w.i32(0);  // throttle
  w.array(in.topics.size());
  for (const auto& t : in.topics) {
    w.string(t.name);
    w.i16(static_cast<std::int16_t>(t.error));
    if (v >= 1) w.nullable_string(t.message);
  }
}

bool decode(Reader& r, std::int16_t /*version*/, DeleteTopicsRequest* out) {
  const std::size_t n = r.array(2);
  out->topics.reserve(n);
  for (std::size_t i = 0; i < n && r.ok(); ++i) out->topics.emplace_back(r.string());
  r.i32();  // timeout
  return r.ok();
}

void encode_delete_topics(Writer& w, std::int16_t v, const std::vector<TopicResult>& results) {
  if (v >= 1) w.i32(0);  // throttle
  w.array(results.size());
  for (const auto& t : results) {
    w.string(t.name);
    w.i16(static_cast<std::int16_t>(t.error));
  }
}

bool decode(Reader& r, std::int16_t /*version*/, DeleteRecordsRequest* out) {
  const std::size_t topics = r.array(6);
  out->topics.reserve(topics);
  for (std::size_t i = 0; i < topics && r.ok(); ++i) {
    auto& t = out->topics.emplace_back();
    t.name = r.string();
    const std::size_t parts = r.array(12);
    t.partitions.reserve(parts);
    for (std::size_t j = 0; j < parts && r.ok(); ++j) {
      auto& p = t.partitions.emplace_back();
      p.index = r.i32();
      p.offset = r.i64();
    }
  }
  r.i32();  // timeout
  return r.ok();
}

void encode(Writer& w, std::int16_t /*version*/, const DeleteRecordsResponse& in) {
  w.i32(0);  // throttle
  w.array(in.topics.size());
  for (const auto& t : in.topics) {
    w.string(t.name);
    w.array(t.partitions.size());
    for (const auto& p : t.partitions) {
      w.i32(p.index);
      w.i64(p.low_watermark);
      w.i16(static_cast<std::int16_t>(p.error));
    }
  }
}

bool decode(Reader& r, std::int16_t /*version*/, InitProducerIdRequest* out) {
  if (auto id = r.nullable_string()) out->transactional_id.emplace(*id);
  out->transaction_timeout_ms = r.i32();
  return r.ok();
}

void encode(Writer& w, std::int16_t /*version*/, const InitProducerIdResponse& in) {
  w.i32(0);  // throttle
  w.i16(static_cast<std::int16_t>(in.error));
  w.i64(in.producer_id);
  w.i16(in.producer_epoch);
}

}  // namespace wharf::protocol::kafka
