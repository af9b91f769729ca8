// The engine's values to and from storage's records: the one place that
// knows both (storage keeps its own encoding of each).
#pragma once

#include "broker/queue/queue_types.h"
#include "broker/storage/queue_store.h"

namespace wharf::queue {

storage::QueueRecord to_record(const QueueConfig& c);
QueueConfig from_record(const storage::QueueRecord& r);
MessageEvent to_event(const storage::HistoryEntry& e);

}  // namespace wharf::queue
