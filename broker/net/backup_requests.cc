// The native Backup request (authorized as cluster alter by the table in
// authorization.cc): the storage writes the copy on a thread of its own and
// the answer comes once it is flushed.
#include <vector>

#include "broker/net/connection.h"
#include "broker/net/dispatcher.h"
#include "broker/net/request_helpers.h"
#include "wharf_generated.h"

namespace wharf::net {

void Dispatcher::backup(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_Backup();
  if (req->dir() == nullptr || req->dir()->size() == 0)
    return conn.send_error(frame.correlation_id(), status(errc::invalid_argument, "a backup needs a directory"));
  if (!begin(conn, frame.correlation_id())) return;
  backups_(req->dir()->str(),
           reply_later<BackupInfo>(
               conn, frame.correlation_id(), 0, [](flatbuffers::FlatBufferBuilder& fbb, const BackupInfo& s) {
                        std::vector<flatbuffers::Offset<wire::BackupPartition>> partitions;
                        for (const auto& p : s.partitions)
                          partitions.push_back(wire::CreateBackupPartition(fbb, fbb.CreateString(p.topic), p.partition,
                                                                           p.log_start, p.next_offset));
                        std::vector<flatbuffers::Offset<flatbuffers::String>> queues;
                        for (const auto& q : s.queues) queues.push_back(fbb.CreateString(q));
                        return wire::CreateBackupOk(fbb, fbb.CreateString(s.dir), s.created_ms, s.bytes,
                                                    fbb.CreateString(s.sha256), fbb.CreateVector(partitions),
                                                    fbb.CreateVector(queues));
                      }));
}

}  // namespace wharf::net
