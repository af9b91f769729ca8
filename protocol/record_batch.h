// The log batch: Kafka's RecordBatch v2 byte layout, used end to end. The
// client builds it, the broker validates it and writes the base offset, LMDB
// stores it as one value, and a fetch returns it untouched. Grammar and
// field table: docs/PROTOCOL.md "Record batch".
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "base/uninitialized_allocator.h"
#include "protocol/compression.h"
#include "wharf/errors.h"
#include "wharf/record.h"

namespace wharf::protocol::batch {

// Field offsets of the fixed 61-byte header (all big-endian).
constexpr std::size_t kBaseOffset = 0;             // int64, written by the broker
constexpr std::size_t kBatchLength = 8;            // int32, bytes after this field
constexpr std::size_t kPartitionLeaderEpoch = 12;  // int32
constexpr std::size_t kMagic = 16;                 // int8, always 2
constexpr std::size_t kCrc = 17;                   // uint32, CRC-32C of bytes [21, end)
constexpr std::size_t kAttributes = 21;            // int16
constexpr std::size_t kLastOffsetDelta = 23;       // int32
constexpr std::size_t kBaseTimestamp = 27;         // int64
constexpr std::size_t kMaxTimestamp = 35;          // int64
constexpr std::size_t kProducerId = 43;            // int64
constexpr std::size_t kProducerEpoch = 51;         // int16
constexpr std::size_t kBaseSequence = 53;          // int32
constexpr std::size_t kRecordCount = 57;           // int32
constexpr std::size_t kHeaderSize = 61;
constexpr std::size_t kLengthPrefix = 12;  // baseOffset + batchLength
constexpr std::int8_t kMagicV2 = 2;
// Attribute bits: the compression codec (protocol/compression.h), and
// those Wharf does not accept: transactional (bit 4), control batch (bit 5).
constexpr std::uint16_t kCodecMask = 0x0007;
constexpr std::uint16_t kUnsupportedAttributes = 0x0010 | 0x0020;

struct BatchInfo {
  std::uint32_t record_count = 0;
  std::int64_t base_timestamp = 0;
  std::int64_t max_timestamp = 0;
};

// Full check of a batch as a producer sent it: header fields, length, CRC,
// and the framing of every record (decompressed first when compressed). On
// failure returns corrupt_batch with what was wrong, or batch_too_large when
// the batch, or its records once decompressed, pass max_bytes. Cost is one
// pass over the bytes, plus the decompression, which streams through a
// window: memory stays near 256 KiB plus the largest record.
status validate(std::span<const std::uint8_t> bytes, BatchInfo* info,
                std::size_t max_bytes = kMaxDecompressedBytes);

// Header accessors; the caller has checked size >= kHeaderSize.
std::int64_t base_offset(const std::uint8_t* batch) noexcept;
void set_base_offset(std::uint8_t* batch, std::int64_t offset) noexcept;
std::uint32_t record_count(const std::uint8_t* batch) noexcept;
std::int64_t max_timestamp(const std::uint8_t* batch) noexcept;
Codec codec(const std::uint8_t* batch) noexcept;
// An idempotent producer's identity and sequence in a batch header;
// producer id -1 means the batch has none.
struct ProducerStamp {
  std::int64_t producer_id = -1;
  std::int16_t epoch = -1;
  std::int32_t base_sequence = -1;
  std::int32_t last_offset_delta = 0;
};
ProducerStamp producer_stamp(const std::uint8_t* batch) noexcept;
// Total bytes of the batch starting at `batch` according to its header.
std::size_t total_size(const std::uint8_t* batch) noexcept;

// Builds one batch record by record. Not thread-safe; reusable after take().
class Builder {
 public:
  Builder();
  // Empties the builder; keeps its memory.
  void clear();
  // Bytes the batch would have after adding this record.
  std::size_t size_with(const ProducerRecord& record) const;
  void add(const ProducerRecord& record, std::int64_t timestamp_ms);
  std::uint32_t count() const noexcept { return count_; }
  std::size_t size() const noexcept { return buf_.size(); }
  bool empty() const noexcept { return count_ == 0; }
  // Fills the header (with an idempotent producer's stamp, if any) and
  // CRC; the returned bytes are valid until clear(). Finishing again (with
  // another stamp) is allowed.
  std::span<const std::uint8_t> finish(const ProducerStamp& stamp = {});
  // The same with the records compressed by `codec`. Errors: internal (the
  // codec failed).
  result<std::span<const std::uint8_t>> finish(Codec codec, const ProducerStamp& stamp = {});

 private:
  // Records are written right after resize(): not zeroed first.
  std::vector<std::uint8_t, UninitializedAllocator<std::uint8_t>> buf_;
  std::vector<std::uint8_t> compressed_;
  std::uint32_t count_ = 0;
  std::int64_t base_timestamp_ = 0;
  std::int64_t max_timestamp_ = 0;
};

// One decoded record of a stored batch; views into the batch bytes.
struct RecordFields {
  std::int64_t offset = 0;
  std::int64_t timestamp_ms = 0;
  std::optional<std::string_view> key;
  std::string_view value;
  const std::uint8_t* headers = nullptr;
  const std::uint8_t* headers_end = nullptr;
  std::uint32_t header_count = 0;
};

// Walks the records of one batch (validated by the caller or by check()).
// A compressed batch is decompressed into `scratch` (appended), and the
// records then point into it (so appending more to scratch may move them);
// without scratch a compressed batch reads as malformed.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> batch, std::vector<std::uint8_t>* scratch = nullptr);
  // Header, length and CRC check, without walking the records.
  status check() const;
  // False at the end or on a malformed record (then ok() is false).
  bool next(RecordFields* out);
  bool ok() const noexcept { return ok_; }
  // Why ok() is false, when decompression failed.
  const status& error() const noexcept { return error_; }

 private:
  std::span<const std::uint8_t> batch_;
  const std::uint8_t* pos_;
  const std::uint8_t* end_;
  status error_;
  std::uint32_t index_ = 0;
  std::uint32_t count_;
  std::int64_t base_offset_;
  std::int64_t base_timestamp_;
  bool ok_ = true;
};

// Decodes the encoded header block of a record.
std::vector<Header> decode_headers(const std::uint8_t* begin, const std::uint8_t* end,
                                   std::uint32_t count);

// Splits a buffer of concatenated batches. Returns the first whole batch and
// advances `rest`; an empty span when no whole batch is left.
std::span<const std::uint8_t> next_batch(std::span<const std::uint8_t>* rest) noexcept;

}  // namespace wharf::protocol::batch
