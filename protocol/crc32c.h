// CRC-32C (Castagnoli), the checksum of Kafka's RecordBatch v2 and of Wharf's
// stored batches. Uses the SSE4.2 instruction when the CPU has it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wharf::protocol {

// Extends `crc` (0 to start) over `size` bytes. crc32c("123456789") == 0xE3069283.
std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t crc = 0) noexcept;

// The portable implementation, exposed so tests can compare both paths.
std::uint32_t crc32c_portable(const void* data, std::size_t size, std::uint32_t crc = 0) noexcept;

}  // namespace wharf::protocol
