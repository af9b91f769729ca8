#include "protocol/kafka/consumer_protocol.h"

#include "protocol/kafka/codec.h"

namespace wharf::protocol::kafka {

std::vector<std::uint8_t> encode_subscription(const std::vector<std::string>& topics) {
  std::vector<std::uint8_t> out;
  Writer w(out);
  w.i16(0);
  w.array(topics.size());
  for (const auto& t : topics) w.string(t);
  w.nullable_bytes(std::nullopt);  // user data
  return out;
}

std::vector<std::uint8_t> encode_assignment(const std::vector<TopicPartitions>& assignment) {
  std::vector<std::uint8_t> out;
  Writer w(out);
  w.i16(0);
  w.array(assignment.size());
  for (const auto& tp : assignment) {
    w.string(tp.topic);
    w.array(tp.partitions.size());
    for (auto p : tp.partitions) w.i32(p);
  }
  w.nullable_bytes(std::nullopt);  // user data
  return out;
}

std::optional<std::vector<std::string>> decode_subscription(std::span<const std::uint8_t> bytes) {
  Reader r(bytes);
  if (r.i16() < 0) return std::nullopt;
  std::vector<std::string> topics;
  const std::size_t n = r.array(2);
  topics.reserve(n);
  for (std::size_t i = 0; i < n && r.ok(); ++i) topics.emplace_back(r.string());
  if (!r.ok()) return std::nullopt;
  return topics;
}

std::optional<std::vector<TopicPartitions>> decode_assignment(std::span<const std::uint8_t> bytes) {
  std::vector<TopicPartitions> out;
  if (bytes.empty()) return out;  // an empty assignment is sent as no bytes
  Reader r(bytes);
  if (r.i16() < 0) return std::nullopt;
  const std::size_t n = r.array(6);
  out.reserve(n);
  for (std::size_t i = 0; i < n && r.ok(); ++i) {
    auto& tp = out.emplace_back();
    tp.topic = r.string();
    const std::size_t parts = r.array(4);
    tp.partitions.reserve(parts);
    for (std::size_t j = 0; j < parts && r.ok(); ++j) tp.partitions.push_back(r.i32());
  }
  if (!r.ok()) return std::nullopt;
  return out;
}

}  // namespace wharf::protocol::kafka
