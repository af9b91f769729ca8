// A group's partitions as admins see them: every partition it has a
// committed offset for or a member is assigned, with the log end and the
// owner. Shared by the native DescribeGroup and the HTTP API.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "broker/groups/group_types.h"
#include "wharf/errors.h"

namespace wharf::log {
class LogEngine;
}

namespace wharf::groups {

struct PartitionLag {
  std::string topic;
  std::uint32_t partition = 0;
  std::int64_t committed = -1;  // -1: no committed offset
  std::int64_t log_end = -1;    // -1: the partition is gone
  std::string member_id;        // empty: unassigned
  std::int64_t lag() const { return committed < 0 || log_end < 0 ? -1 : std::max<std::int64_t>(0, log_end - committed); }
};

// Sorted by topic and partition.
result<std::vector<PartitionLag>> partition_lags(const GroupDescription& group, log::LogEngine& logs);

}  // namespace wharf::groups
