// Deduplication for idempotent producers: whether a batch continues its
// producer's sequence on a partition, repeats a batch already written, or
// is out of order. Pure functions over the stored state, so the rules are
// testable alone; the log engine reads and writes the state in the append's
// transaction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "broker/storage/producer_store.h"
#include "protocol/record_batch.h"
#include "wharf/errors.h"

namespace wharf::log {

// Batches remembered per producer and partition: as many as a Kafka
// producer keeps in flight (max.in.flight 5 with idempotence).
inline constexpr std::size_t kProducerBatchesKept = 5;

struct SequenceVerdict {
  status error;                              // out_of_order_sequence, invalid_producer_epoch, corrupt_batch
  std::optional<std::uint64_t> duplicate_of;  // a retry: the base offset it was written at
};

SequenceVerdict check_sequence(const std::optional<storage::ProducerStateRecord>& state,
                               const protocol::batch::ProducerStamp& stamp);

// The state after appending the batch at base_offset at now_ms
// (check_sequence accepted it).
storage::ProducerStateRecord next_state(std::optional<storage::ProducerStateRecord> state,
                                        const protocol::batch::ProducerStamp& stamp, std::uint64_t base_offset,
                                        std::int64_t now_ms);

}  // namespace wharf::log
