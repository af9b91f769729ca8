// Client::backup: asks the broker for an online backup of its data
// directory, written on the broker's machine.
#include "client/client_impl.h"
#include "protocol/frame_builder.h"

namespace wharf {

result<BackupInfo> Client::backup(std::string_view dir) {
  return impl_->call<BackupInfo>(
      [&](flatbuffers::FlatBufferBuilder& fbb, std::uint64_t corr) {
        protocol::finish_frame(fbb, corr, wire::CreateBackup(fbb, fbb.CreateString(dir)));
      },
      [](const wire::Frame& f) -> result<BackupInfo> {
        const auto* ok = f.body_as_BackupOk();
        if (ok == nullptr) return unexpected_reply(f);
        BackupInfo b{str(ok->dir()), ok->created_ms(), ok->bytes(), str(ok->sha256()), {}, {}};
        if (ok->partitions() != nullptr)
          for (const auto* p : *ok->partitions())
            b.partitions.push_back({str(p->topic()), p->partition(), p->log_start(), p->next_offset()});
        if (ok->queues() != nullptr)
          for (const auto* q : *ok->queues()) b.queues.push_back(q->str());
        return b;
      });
}

}  // namespace wharf
