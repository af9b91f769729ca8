// On-disk layout of the queue tables (docs/STORAGE.md "Queue tables").
// Covered by kLogFormatVersion in log_format.h: one version for the whole
// data directory.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wharf::storage::queue_format {

// meta table keys
constexpr char kNextQueueIdKey[] = "next_queue_id";
constexpr char kNextMessageIdKey[] = "next_message_id";

// queues: key = queue name; value (little-endian):
//   version u32 | id u32 | max_deliveries u32 | priorities u32 |
//   ack_deadline_ms i64 | backoff_initial_ms i64 | backoff_max_ms i64 |
//   backoff_multiplier f64 | max_length i64 | ttl_ms i64 | created_ms i64 |
//   overflow u8 | dlq_mode u8 (0 none, 1 named, 2 default "<name>.dlq") |
//   dlq_name_length u16 | reserved u32 | dlq_name
constexpr std::uint32_t kQueueValueVersion = 1;
constexpr std::size_t kQueueValueFixed = 80;

// queue_messages: key = queue_id u32 BE | message_id u64 BE; value:
//   format u8 (=1) | priority u8 | flags u16 (bit 0: dead-lettered, bit 1: rewritten
//   since its publish) | attempts u32 |
//   origin_queue_id u32 | header_count u32 |
//   publish_ms i64 | deliver_at_ms i64 | expires_ms i64 |
//   headers: (key_length u32 | key | value_length u32 | value) * header_count |
//   payload (the rest)
constexpr std::uint8_t kMessageFormat = 1;
constexpr std::size_t kMessageFixed = 40;
constexpr std::size_t kMessageKeySize = 12;
constexpr std::size_t kFlagsOffset = 2;
constexpr std::size_t kAttemptsOffset = 4;
constexpr std::size_t kDeliverAtOffset = 24;
constexpr std::size_t kExpiresOffset = 32;
constexpr std::uint16_t kFlagDeadLettered = 1;
constexpr std::uint16_t kFlagRewritten = 2;

// queue_history: key = message_id u64 BE | sequence u32 BE; value:
//   time_ms i64 | outcome u8 | reserved u8 | consumer_length u16 |
//   reason_length u16 | reserved u16 | consumer | reason
constexpr std::size_t kHistoryFixed = 16;

// queue_stats: key = queue_id u32 BE; value: dead_lettered u64 | dropped u64 | expired u64 |
//   first_delivered_through u64 (absent in 24-byte values written before it: 0)
constexpr std::size_t kStatsValueSize = 32;
constexpr std::size_t kStatsValueSizeV1 = 24;

// deleting_queues: key = queue_id u32 BE; value: empty

}  // namespace wharf::storage::queue_format
