#include "protocol/kafka/group_messages.h"

#include <limits>

namespace wharf::protocol::kafka {
namespace {

Bytes copy(std::span<const std::uint8_t> b) { return Bytes(b.begin(), b.end()); }

std::optional<std::string> optional_string(Reader& r) {
  auto s = r.nullable_string();
  return s ? std::optional<std::string>(std::string(*s)) : std::nullopt;
}

std::vector<std::string> strings(Reader& r) {
  std::vector<std::string> out;
  const std::size_t n = r.array(2);
  out.reserve(n);
  for (std::size_t i = 0; i < n && r.ok(); ++i) out.emplace_back(r.string());
  return out;
}

void throttle(Writer& w) { w.i32(0); }

}  // namespace

// --- FindCoordinator ----------------------------------------------------------

bool decode(Reader& r, std::int16_t v, FindCoordinatorRequest* out) {
  out->key = r.string();
  if (v >= 1) out->key_type = r.i8();
  return r.ok();
}

void encode(Writer& w, std::int16_t v, const FindCoordinatorResponse& in) {
  if (v >= 1) throttle(w);
  w.i16(static_cast<std::int16_t>(in.error));
  if (v >= 1) w.nullable_string(in.message);
  w.i32(in.node_id);
  w.string(in.host);
  w.i32(in.port);
}

// --- JoinGroup ----------------------------------------------------------------

bool decode(Reader& r, std::int16_t v, JoinGroupRequest* out) {
  out->group = r.string();
  out->session_timeout_ms = r.i32();
  out->rebalance_timeout_ms = v >= 1 ? r.i32() : out->session_timeout_ms;
  out->member_id = r.string();
  if (v >= 5) out->group_instance_id = optional_string(r);
  out->protocol_type = r.string();
  const std::size_t n = r.array(6);
  out->protocols.reserve(n);
  for (std::size_t i = 0; i < n && r.ok(); ++i) {
    auto& p = out->protocols.emplace_back();
    p.name = r.string();
    p.metadata = copy(r.bytes());
  }
  return r.ok();
}

void encode(Writer& w, std::int16_t v, const JoinGroupResponse& in) {
  if (v >= 2) throttle(w);
  w.i16(static_cast<std::int16_t>(in.error));
  w.i32(in.generation);
  w.string(in.protocol_name);
  w.string(in.leader);
  w.string(in.member_id);
  w.array(in.members.size());
  for (const auto& m : in.members) {
    w.string(m.member_id);
    if (v >= 5) w.nullable_string(m.group_instance_id);
    w.bytes(m.metadata);
  }
}

// --- SyncGroup ----------------------------------------------------------------

bool decode(Reader& r, std::int16_t v, SyncGroupRequest* out) {
  out->group = r.string();
  out->generation = r.i32();
  out->member_id = r.string();
  if (v >= 3) out->group_instance_id = optional_string(r);
  const std::size_t n = r.array(6);
  out->assignments.reserve(n);
  for (std::size_t i = 0; i < n && r.ok(); ++i) {
    auto& a = out->assignments.emplace_back();
    a.member_id = r.string();
    a.assignment = copy(r.bytes());
  }
  return r.ok();
}

void encode(Writer& w, std::int16_t v, const SyncGroupResponse& in) {
  if (v >= 1) throttle(w);
  w.i16(static_cast<std::int16_t>(in.error));
  w.bytes(in.assignment);
}

// --- Heartbeat, LeaveGroup ----------------------------------------------------

bool decode(Reader& r, std::int16_t v, HeartbeatRequest* out) {
  out->group = r.string();
  out->generation = r.i32();
  out->member_id = r.string();
  if (v >= 3) out->group_instance_id = optional_string(r);
  return r.ok();
}

void encode_error_only(Writer& w, std::int16_t v, Error error) {
  if (v >= 1) throttle(w);
  w.i16(static_cast<std::int16_t>(error));
}

bool decode(Reader& r, std::int16_t /*version*/, LeaveGroupRequest* out) {
  out->group = r.string();
  out->member_id = r.string();
  return r.ok();
}

// --- OffsetCommit -------------------------------------------------------------

bool decode(Reader& r, std::int16_t v, OffsetCommitRequest* out) {
  out->group = r.string();
  if (v >= 1) {
    out->generation = r.i32();
    out->member_id = r.string();
  }
  if (v >= 7) out->group_instance_id = optional_string(r);
  if (v >= 2 && v <= 4) r.i64();  // retention time: offsets are kept until deleted
  std::size_t part_bytes = 4 + 8 + 2;
  if (v >= 6) part_bytes += 4;
  if (v == 1) part_bytes += 8;
  const std::size_t topics = r.array(6);
  out->topics.reserve(topics);
  for (std::size_t i = 0; i < topics && r.ok(); ++i) {
    auto& t = out->topics.emplace_back();
    t.name = r.string();
    const std::size_t parts = r.array(part_bytes);
    t.partitions.reserve(parts);
    for (std::size_t j = 0; j < parts && r.ok(); ++j) {
      auto& p = t.partitions.emplace_back();
      p.index = r.i32();
      p.offset = r.i64();
      if (v >= 6) r.i32();  // leader epoch
      if (v == 1) r.i64();  // commit timestamp
      p.metadata = optional_string(r);
    }
  }
  return r.ok();
}

void encode(Writer& w, std::int16_t v, const OffsetCommitResponse& in) {
  if (v >= 3) throttle(w);
  w.array(in.topics.size());
  for (const auto& t : in.topics) {
    w.string(t.name);
    w.array(t.partitions.size());
    for (const auto& p : t.partitions) {
      w.i32(p.index);
      w.i16(static_cast<std::int16_t>(p.error));
    }
  }
}

// --- OffsetFetch --------------------------------------------------------------

bool decode(Reader& r, std::int16_t v, OffsetFetchRequest* out) {
  out->group = r.string();
  auto topics = r.nullable_array(6);
  if (!topics) {
    if (v < 2) r.fail();
    return r.ok();
  }
  out->topics.emplace();
  out->topics->reserve(*topics);
  for (std::size_t i = 0; i < *topics && r.ok(); ++i) {
    auto& t = out->topics->emplace_back();
    t.name = r.string();
    const std::size_t parts = r.array(4);
    t.partitions.reserve(parts);
    for (std::size_t j = 0; j < parts && r.ok(); ++j) t.partitions.push_back(r.i32());
  }
  return r.ok();
}

void encode(Writer& w, std::int16_t v, const OffsetFetchResponse& in) {
  if (v >= 3) throttle(w);
  w.array(in.topics.size());
  for (const auto& t : in.topics) {
    w.string(t.name);
    w.array(t.partitions.size());
    for (const auto& p : t.partitions) {
      w.i32(p.index);
      w.i64(p.offset);
      if (v >= 5) w.i32(-1);  // leader epoch
      w.nullable_string(std::string_view());  // metadata: not kept
      w.i16(static_cast<std::int16_t>(p.error));
    }
  }
  if (v >= 2) w.i16(static_cast<std::int16_t>(in.error));
}

// --- ListGroups ---------------------------------------------------------------

void encode(Writer& w, std::int16_t v, const ListGroupsResponse& in) {
  if (v >= 1) throttle(w);
  w.i16(static_cast<std::int16_t>(in.error));
  w.array(in.groups.size());
  for (const auto& g : in.groups) {
    w.string(g.group);
    w.string(g.protocol_type);
  }
}

// --- DescribeGroups -----------------------------------------------------------

bool decode(Reader& r, std::int16_t v, DescribeGroupsRequest* out) {
  out->groups = strings(r);
  if (v >= 3) r.boolean();  // include authorized operations: there is no authorization
  return r.ok();
}

void encode(Writer& w, std::int16_t v, const DescribeGroupsResponse& in) {
  if (v >= 1) throttle(w);
  w.array(in.groups.size());
  for (const auto& g : in.groups) {
    w.i16(static_cast<std::int16_t>(g.error));
    w.string(g.group);
    w.string(g.state);
    w.string(g.protocol_type);
    w.string(g.protocol);
    w.array(g.members.size());
    for (const auto& m : g.members) {
      w.string(m.member_id);
      if (v >= 4) w.nullable_string(m.group_instance_id);
      w.string(m.client_id);
      w.string(m.client_host);
      w.bytes(m.metadata);
      w.bytes(m.assignment);
    }
    if (v >= 3) w.i32(std::numeric_limits<std::int32_t>::min());  // authorized operations: not asked
  }
}

// --- DeleteGroups -------------------------------------------------------------

bool decode(Reader& r, std::int16_t /*version*/, DeleteGroupsRequest* out) {
  out->groups = strings(r);
  return r.ok();
}

void encode(Writer& w, std::int16_t /*version*/, const DeleteGroupsResponse& in) {
  throttle(w);
  w.array(in.results.size());
  for (const auto& g : in.results) {
    w.string(g.group);
    w.i16(static_cast<std::int16_t>(g.error));
  }
}

}  // namespace wharf::protocol::kafka
