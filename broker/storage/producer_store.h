// Idempotent producers: the producer id counter and, per (topic,
// partition, producer id), the last batches the producer wrote, so that a
// retried batch is recognised. Written in the transaction of the append
// it describes.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "broker/storage/txn.h"
#include "wharf/errors.h"

namespace wharf::storage {

class LmdbEnv;

struct ProducerBatchRecord {
  std::int32_t first_sequence = 0;
  std::int32_t last_sequence = 0;
  std::uint64_t base_offset = 0;
};

struct ProducerStateRecord {
  std::int16_t epoch = 0;
  std::int64_t last_append_ms = 0;
  std::vector<ProducerBatchRecord> recent;  // oldest first
};

class ProducerStore {
 public:
  explicit ProducerStore(LmdbEnv& env) : env_(env) {}

  // A producer id never handed out before (they start at 1000).
  result<std::int64_t> allocate_producer_id(WriteTxn& txn);

  result<std::optional<ProducerStateRecord>> get(Txn& txn, std::uint32_t topic_id, std::uint32_t partition,
                                                 std::int64_t producer_id);
  status put(WriteTxn& txn, std::uint32_t topic_id, std::uint32_t partition, std::int64_t producer_id,
             const ProducerStateRecord& state);
  // Visits up to `limit` states from *cursor (empty: the first) and deletes
  // those last appended to before older_than_ms; *cursor is where the next
  // call goes on, *done when the end was reached.
  status expire(WriteTxn& txn, std::int64_t older_than_ms, std::size_t limit, std::vector<std::uint8_t>* cursor,
                bool* done);
  // Deletes up to `limit` states of a deleted topic; *done when none is left.
  status purge_topic(WriteTxn& txn, std::uint32_t topic_id, std::size_t limit, bool* done);

 private:
  LmdbEnv& env_;
};

}  // namespace wharf::storage
