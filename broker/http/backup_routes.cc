// POST /api/v1/backup: an online backup of the data directory, written on
// the broker's machine (cluster alter). Answers once the copy is flushed,
// however long that takes.
#include <future>

#include "broker/http/api_router.h"
#include "broker/storage/storage.h"

namespace wharf::http {
namespace {

ApiResult backup(ApiContext& ctx, const Call& call) {
  if (status st = ctx.need(call.who, auth::ResourceType::cluster, "cluster", auth::Operation::alter); !st.ok())
    return st;
  const std::string dir = call.body.value("dir", "");
  if (dir.empty()) return status(errc::invalid_argument, "the body needs \"dir\": where the broker writes the backup");
  auto done = std::make_shared<std::promise<result<storage::BackupSummary>>>();
  auto answer = done->get_future();
  ctx.src.storage.backup(dir, [done](result<storage::BackupSummary> r) { done->set_value(std::move(r)); });
  auto b = answer.get();
  if (!b) return b.error();
  nlohmann::json partitions = nlohmann::json::array();
  for (const auto& p : b->partitions)
    partitions.push_back(
        {{"topic", p.topic}, {"partition", p.partition}, {"log_start", p.log_start}, {"next_offset", p.next_offset}});
  return ApiReply{200,
                  {{"dir", b->dir},
                   {"created_ms", b->created_ms},
                   {"bytes", b->bytes},
                   {"sha256", b->sha256},
                   {"partitions", std::move(partitions)},
                   {"queues", b->queues}}};
}

}  // namespace

void add_backup_routes(Router& r) { r.post("/api/v1/backup", backup); }

}  // namespace wharf::http
