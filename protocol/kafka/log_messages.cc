#include "protocol/kafka/log_messages.h"

namespace wharf::protocol::kafka {
namespace {
// Smallest encoded size of array elements, to bound counts before reading.
constexpr std::size_t kMinTopicBytes = 6;  // name + partition count
}  // namespace

// --- Metadata ---------------------------------------------------------------

bool decode(Reader& r, std::int16_t v, MetadataRequest* out) {
  auto n = r.nullable_array(2);
  if (n) {
    out->topics.emplace();
    out->topics->reserve(*n);
    for (std::size_t i = 0; i < *n && r.ok(); ++i) out->topics->emplace_back(r.string());
    // Version 0 has no null: an empty list means every topic.
    if (v == 0 && out->topics->empty()) out->topics.reset();
  } else if (v == 0) {
    r.fail();
  }
  if (v >= 4) out->allow_auto_topic_creation = r.boolean();
  return r.ok();
}

void encode(Writer& w, std::int16_t v, const MetadataResponse& in) {
  if (v >= 3) w.i32(0);  // throttle
  w.array(1);
  w.i32(in.node_id);
  w.string(in.host);
  w.i32(in.port);
  if (v >= 1) w.nullable_string(std::nullopt);  // rack
  if (v >= 2) w.nullable_string(in.cluster_id);
  if (v >= 1) w.i32(in.node_id);  // controller
  w.array(in.topics.size());
  for (const auto& t : in.topics) {
    w.i16(static_cast<std::int16_t>(t.error));
    w.string(t.name);
    if (v >= 1) w.boolean(false);  // internal
    w.array(t.partitions.size());
    for (const auto& p : t.partitions) {
      w.i16(static_cast<std::int16_t>(p.error));
      w.i32(p.index);
      w.i32(in.node_id);  // leader
      w.array(1);         // replicas
      w.i32(in.node_id);
      w.array(1);  // in-sync replicas
      w.i32(in.node_id);
    }
  }
}

// --- Produce ----------------------------------------------------------------

bool decode(Reader& r, std::int16_t v, ProduceRequest* out) {
  if (v >= 3) {
    if (auto id = r.nullable_string()) out->transactional_id.emplace(*id);
  }
  out->acks = r.i16();
  out->timeout_ms = r.i32();
  const std::size_t topics = r.array(kMinTopicBytes);
  out->topics.reserve(topics);
  for (std::size_t i = 0; i < topics && r.ok(); ++i) {
    auto& t = out->topics.emplace_back();
    t.name = r.string();
    const std::size_t parts = r.array(8);
    t.partitions.reserve(parts);
    for (std::size_t j = 0; j < parts && r.ok(); ++j) {
      auto& p = t.partitions.emplace_back();
      p.index = r.i32();
      p.records = r.nullable_bytes();
    }
  }
  return r.ok();
}

void encode(Writer& w, std::int16_t v, const ProduceResponse& in) {
  w.array(in.topics.size());
  for (const auto& t : in.topics) {
    w.string(t.name);
    w.array(t.partitions.size());
    for (const auto& p : t.partitions) {
      w.i32(p.index);
      w.i16(static_cast<std::int16_t>(p.error));
      w.i64(p.base_offset);
      if (v >= 2) w.i64(-1);  // log append time: records keep their create time
      if (v >= 5) w.i64(p.log_start);
    }
  }
  if (v >= 1) w.i32(in.throttle_time_ms);
}

// --- Fetch ------------------------------------------------------------------

bool decode(Reader& r, std::int16_t v, FetchRequest* out) {
  r.i32();  // replica id: -1 from consumers
  out->max_wait_ms = r.i32();
  out->min_bytes = r.i32();
  if (v >= 3) out->max_bytes = r.i32();
  if (v >= 4) out->isolation_level = r.i8();
  if (v >= 7) {
    r.i32();  // session id: no fetch sessions, every request is a full one
    r.i32();  // session epoch
  }
  std::size_t part_bytes = 16;
  if (v >= 5) part_bytes += 8;
  if (v >= 9) part_bytes += 4;
  const std::size_t topics = r.array(kMinTopicBytes);
  out->topics.reserve(topics);
  for (std::size_t i = 0; i < topics && r.ok(); ++i) {
    auto& t = out->topics.emplace_back();
    t.name = r.string();
    const std::size_t parts = r.array(part_bytes);
    t.partitions.reserve(parts);
    for (std::size_t j = 0; j < parts && r.ok(); ++j) {
      auto& p = t.partitions.emplace_back();
      p.index = r.i32();
      if (v >= 9) r.i32();  // current leader epoch
      p.fetch_offset = r.i64();
      if (v >= 5) r.i64();  // the follower's log start
      p.max_bytes = r.i32();
    }
  }
  if (v >= 7) {
    const std::size_t forgotten = r.array(kMinTopicBytes);
    for (std::size_t i = 0; i < forgotten && r.ok(); ++i) {
      r.string();
      const std::size_t parts = r.array(4);
      for (std::size_t j = 0; j < parts && r.ok(); ++j) r.i32();
    }
  }
  if (v >= 11) r.string();  // rack id
  return r.ok();
}

void FetchResponseWriter::begin(std::size_t topics) {
  if (version_ >= 1) w_.i32(0);  // throttle
  if (version_ >= 7) {
    w_.i16(0);  // error
    w_.i32(0);  // session id: none
  }
  w_.array(topics);
}

void FetchResponseWriter::topic(std::string_view name, std::size_t partitions) {
  w_.string(name);
  w_.array(partitions);
}

void FetchResponseWriter::partition(std::int32_t index, Error error, std::int64_t high_watermark,
                                    std::int64_t log_start) {
  w_.i32(index);
  w_.i16(static_cast<std::int16_t>(error));
  w_.i64(high_watermark);
  if (version_ >= 4) w_.i64(high_watermark);  // last stable offset: no transactions
  if (version_ >= 5) w_.i64(log_start);
  if (version_ >= 4) w_.array(0);   // aborted transactions
  if (version_ >= 11) w_.i32(-1);  // preferred read replica
}

// --- ListOffsets ------------------------------------------------------------

bool decode(Reader& r, std::int16_t v, ListOffsetsRequest* out) {
  r.i32();  // replica id
  if (v >= 2) r.i8();  // isolation level: no transactions, both read the same
  const std::size_t topics = r.array(kMinTopicBytes);
  out->topics.reserve(topics);
  for (std::size_t i = 0; i < topics && r.ok(); ++i) {
    auto& t = out->topics.emplace_back();
    t.name = r.string();
    const std::size_t parts = r.array(v == 0 ? 16 : 12);
    t.partitions.reserve(parts);
    for (std::size_t j = 0; j < parts && r.ok(); ++j) {
      auto& p = t.partitions.emplace_back();
      p.index = r.i32();
      p.timestamp = r.i64();
      if (v == 0) r.i32();  // max number of offsets: one is returned
    }
  }
  return r.ok();
}

void encode(Writer& w, std::int16_t v, const ListOffsetsResponse& in) {
  if (v >= 2) w.i32(0);  // throttle
  w.array(in.topics.size());
  for (const auto& t : in.topics) {
    w.string(t.name);
    w.array(t.partitions.size());
    for (const auto& p : t.partitions) {
      w.i32(p.index);
      w.i16(static_cast<std::int16_t>(p.error));
      if (v == 0) {
        w.array(p.error == Error::none ? 1 : 0);
        if (p.error == Error::none) w.i64(p.offset);
      } else {
        w.i64(p.timestamp);
        w.i64(p.offset);
      }
    }
  }
}

}  // namespace wharf::protocol::kafka
