// On-disk layout of the log tables (docs/STORAGE.md has the grammar).
// Bump kLogFormatVersion on any change here, with an upgrade note in
// docs/STORAGE.md "Versioning"; a broker refuses a data dir whose version it
// does not know.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wharf::storage::log_format {

constexpr std::uint32_t kLogFormatVersion = 1;

// meta table keys
constexpr char kFormatKey[] = "format_version";
constexpr char kNextTopicIdKey[] = "next_topic_id";

// batches: key = topic_id u32 BE | partition u32 BE | base_offset u64 BE
// time_index: key = topic_id u32 BE | partition u32 BE | max_timestamp u64 BE
// partitions: key = topic_id u32 BE | partition u32 BE
constexpr std::size_t kPartitionKeySize = 8;
constexpr std::size_t kBatchKeySize = 16;

// batches value = value header | RecordBatch v2 bytes (base offset set)
//   byte 0     value format (kBatchValueFormat)
//   bytes 1-7  reserved, 0
//   bytes 8-15 append time, int64 ms since epoch, little-endian
constexpr std::size_t kBatchValueHeader = 16;
constexpr std::uint8_t kBatchValueFormat = 1;

// topics value (little-endian): version u32 | id u32 | partitions u32 |
// reserved u32 | retention_ms i64 | retention_bytes i64 | created_ms i64
constexpr std::size_t kTopicValueSize = 40;
constexpr std::uint32_t kTopicValueVersion = 1;

// partitions value (little-endian): next_offset u64 | log_start u64 |
// bytes u64 | batches u64 | max_timestamp i64
constexpr std::size_t kPartitionValueSize = 40;

// group_offsets: key = group | 0x00 | topic | 0x00 | partition u32 BE
// value (little-endian): offset u64 | commit_time_ms i64
constexpr std::size_t kGroupOffsetValueSize = 16;

// deleting_topics: key = topic_id u32 BE, value = partitions u32 LE

// producer_states: key = topic_id u32 BE | partition u32 BE | producer_id u64 BE
// value (little-endian): format u8 | epoch i16 | n u8 | last_append_ms i64 |
//   n x (first_sequence i32 | last_sequence i32 | base_offset u64), oldest
//   batch first
// meta "next_producer_id": u64 LE, the next id InitProducerId hands out
constexpr std::size_t kProducerStateKeySize = 16;
constexpr std::size_t kProducerStateHeader = 12;
constexpr std::size_t kProducerBatchSize = 16;
constexpr std::uint8_t kProducerStateFormat = 1;
constexpr char kNextProducerIdKey[] = "next_producer_id";
constexpr std::uint64_t kFirstProducerId = 1000;

}  // namespace wharf::storage::log_format
