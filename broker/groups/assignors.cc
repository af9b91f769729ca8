#include "broker/groups/assignors.h"

#include <algorithm>
#include <set>

namespace wharf::groups {
namespace {

void add(std::vector<protocol::kafka::TopicPartitions>& to, const std::string& topic, std::int32_t partition) {
  if (to.empty() || to.back().topic != topic) to.push_back({topic, {}});
  to.back().partitions.push_back(partition);
}

std::set<std::string> all_topics(const Subscriptions& subs) {
  std::set<std::string> topics;
  for (const auto& [member, list] : subs) topics.insert(list.begin(), list.end());
  return topics;
}

bool subscribes(const std::vector<std::string>& topics, const std::string& topic) {
  return std::find(topics.begin(), topics.end(), topic) != topics.end();
}

Assignment range(const Subscriptions& subs, const TopicPartitionCount& partitions) {
  Assignment out;
  for (const auto& [member, topics] : subs) out[member];
  for (const auto& topic : all_topics(subs)) {
    std::vector<std::string> consumers;  // in member-id order (the map's)
    for (const auto& [member, topics] : subs)
      if (subscribes(topics, topic)) consumers.push_back(member);
    const std::uint32_t n = partitions(topic);
    const std::uint32_t each = n / consumers.size();
    const std::uint32_t extra = n % consumers.size();
    for (std::uint32_t i = 0; i < consumers.size(); ++i) {
      const std::uint32_t start = each * i + std::min(i, extra);
      const std::uint32_t count = each + (i < extra ? 1 : 0);
      for (std::uint32_t p = start; p < start + count; ++p) add(out[consumers[i]], topic, static_cast<std::int32_t>(p));
    }
  }
  return out;
}

Assignment roundrobin(const Subscriptions& subs, const TopicPartitionCount& partitions) {
  Assignment out;
  std::vector<std::string> members;
  for (const auto& [member, topics] : subs) {
    out[member];
    members.push_back(member);
  }
  std::size_t next = 0;
  for (const auto& topic : all_topics(subs)) {
    const std::uint32_t n = partitions(topic);
    for (std::uint32_t p = 0; p < n; ++p) {
      // The next member in turn that subscribes to the topic.
      for (std::size_t tried = 0; tried < members.size(); ++tried) {
        const std::string& m = members[next % members.size()];
        ++next;
        if (subscribes(subs.at(m), topic)) {
          add(out[m], topic, static_cast<std::int32_t>(p));
          break;
        }
      }
    }
  }
  return out;
}

}  // namespace

Assignment assign(std::string_view protocol, const Subscriptions& subs, const TopicPartitionCount& partitions) {
  if (subs.empty()) return {};
  return protocol == "roundrobin" ? roundrobin(subs, partitions) : range(subs, partitions);
}

std::vector<Protocol> wharf_member_protocols(const std::vector<std::string>& topics) {
  const Bytes subscription = protocol::kafka::encode_subscription(topics);
  return {{"range", subscription}, {"roundrobin", subscription}};
}

std::vector<protocol::kafka::TopicPartitions> assigned_partitions(const Bytes& assignment) {
  return protocol::kafka::decode_assignment(assignment).value_or(std::vector<protocol::kafka::TopicPartitions>());
}

}  // namespace wharf::groups
