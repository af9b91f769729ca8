#include "broker/groups/group_lag.h"

#include <map>

#include "broker/groups/assignors.h"
#include "broker/log/log_engine.h"

namespace wharf::groups {

result<std::vector<PartitionLag>> partition_lags(const GroupDescription& group, log::LogEngine& logs) {
  auto committed = logs.group_offsets(group.group, "");
  if (!committed) return committed.error();
  std::map<std::pair<std::string, std::uint32_t>, PartitionLag> rows;
  for (const auto& o : *committed) rows[{o.topic, o.partition}].committed = static_cast<std::int64_t>(o.offset);
  for (const auto& m : group.members)
    for (const auto& tp : assigned_partitions(m.assignment))
      for (auto p : tp.partitions) rows[{tp.topic, static_cast<std::uint32_t>(p)}].member_id = m.member_id;
  std::vector<PartitionLag> out;
  out.reserve(rows.size());
  for (auto& [tp, row] : rows) {
    row.topic = tp.first;
    row.partition = tp.second;
    auto end = logs.list_offset(tp.first, tp.second, log::OffsetSpec::latest, 0);
    row.log_end = end ? static_cast<std::int64_t>(*end) : -1;
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace wharf::groups
