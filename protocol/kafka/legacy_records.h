// Kafka's message sets of magic 0 and 1, which clients older than Kafka
// 0.11 speak (Produce v0-2, Fetch v0-3). Wharf stores only RecordBatch v2:
// old produces are converted up, old fetches get stored batches converted
// down (headers, which the old formats lack, are dropped).
//
//   message set = (offset:int64 size:int32 message)*
//   message     = crc:uint32 magic:int8 attributes:int8 [timestamp:int64, magic 1]
//                 key:bytes value:bytes
// The CRC is CRC-32 (IEEE) of magic..end. A compressed message (attribute
// bits 0-2) holds a whole message set, compressed, as its value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "protocol/kafka/codec.h"
#include "wharf/errors.h"

namespace wharf::protocol::kafka {

// The records of a magic 0/1 message set as one uncompressed v2 batch.
// Records without a timestamp (magic 0, or -1) get `now_ms`. Everything
// decompressed, and the batch built, stay within max_bytes. Errors:
// corrupt_batch (a bad CRC, magic, length or compressed value; an empty
// set), batch_too_large (over max_bytes, found while decompressing),
// unsupported_compression (zstd, which Kafka allows only in v2 batches).
result<std::vector<std::uint8_t>> upconvert_message_set(std::span<const std::uint8_t> set, std::int64_t now_ms,
                                                        std::size_t max_bytes);

// Writes the records of one stored v2 batch at or after `from_offset` as
// uncompressed messages of `magic` (0 or 1), stopping before the message
// that would take what this call writes past max_bytes; with
// `at_least_one`, the first message is written whatever its size. Returns
// whether every such record was written: when not, nothing of a later
// batch may follow (the consumer would skip the rest). Errors: corrupt_batch.
result<bool> downconvert_batch(std::span<const std::uint8_t> batch, std::int8_t magic, std::int64_t from_offset,
                               Writer& out, std::size_t max_bytes = SIZE_MAX, bool at_least_one = true);

// The magic byte of the first message or batch in a record set (both keep
// it at byte 16); -1 when too short.
std::int8_t record_set_magic(std::span<const std::uint8_t> set) noexcept;

}  // namespace wharf::protocol::kafka
