#include "protocol/kafka/legacy_records.h"

#include <fmt/format.h>
#include <zlib.h>

#include <functional>
#include <optional>
#include <string>

#include "protocol/compression.h"
#include "protocol/record_batch.h"

namespace wharf::protocol::kafka {
namespace {

constexpr std::size_t kLogOverhead = 12;  // offset + size
constexpr std::size_t kMagicOffset = 16;  // in a message set entry: offset, size, crc

status corrupt(std::string what) { return {errc::corrupt_batch, "message set: " + what}; }

std::uint32_t crc32_ieee(const std::uint8_t* p, std::size_t n) {
  return static_cast<std::uint32_t>(::crc32(::crc32(0, nullptr, 0), p, static_cast<uInt>(n)));
}

struct Message {
  std::optional<std::string_view> key;
  std::optional<std::string_view> value;
  std::int64_t timestamp = -1;
};

// Parses a message set, calling `sink` per message; compressed messages
// are unpacked one level deep (Kafka never nests them further), each
// within what is left of `*budget` decompressed bytes.
status parse_set(std::span<const std::uint8_t> set, bool inner, std::vector<std::vector<std::uint8_t>>& buffers,
                 std::size_t* budget, const std::function<status(const Message&)>& sink) {
  std::size_t pos = 0;
  std::size_t count = 0;
  while (pos < set.size()) {
    if (set.size() - pos < kLogOverhead) return corrupt("truncated entry");
    const auto size = load_be<std::int32_t>(set.data() + pos + 8);
    if (size < 14 || static_cast<std::size_t>(size) > set.size() - pos - kLogOverhead)
      return corrupt(fmt::format("message size {} does not fit", size));
    Reader r(set.subspan(pos + kLogOverhead, static_cast<std::size_t>(size)));
    const auto crc = static_cast<std::uint32_t>(r.i32());
    const std::uint8_t* body = set.data() + pos + kLogOverhead + 4;
    if (crc32_ieee(body, static_cast<std::size_t>(size) - 4) != crc) return corrupt("CRC mismatch");
    const std::int8_t magic = r.i8();
    const std::int8_t attributes = r.i8();
    if (magic != 0 && magic != 1) return corrupt(fmt::format("magic {} in a message set", magic));
    Message m;
    if (magic == 1) m.timestamp = r.i64();
    auto key = r.nullable_bytes();
    auto value = r.nullable_bytes();
    if (!r.ok()) return corrupt("malformed message");
    if (key) m.key = std::string_view(reinterpret_cast<const char*>(key->data()), key->size());
    if (value) m.value = std::string_view(reinterpret_cast<const char*>(value->data()), value->size());
    const int codec = attributes & 0x07;
    if (codec != 0) {
      if (inner) return corrupt("nested compressed message");
      if (!value) return corrupt("compressed message without a value");
      // As Kafka: zstd needs the v2 format.
      if (codec == static_cast<int>(Codec::zstd))
        return {errc::unsupported_compression, "zstd is allowed only in record batches (magic 2)"};
      if (codec > static_cast<int>(kMaxCodec)) return corrupt(fmt::format("compression codec {} is unknown", codec));
      auto& plain = buffers.emplace_back();
      if (status st = decompress(static_cast<Codec>(codec), *value, &plain, *budget); !st.ok()) return st;
      *budget -= plain.size();
      if (status st = parse_set(plain, true, buffers, budget, sink); !st.ok()) return st;
    } else if (status st = sink(m); !st.ok()) {
      return st;
    }
    pos += kLogOverhead + static_cast<std::size_t>(size);
    ++count;
  }
  if (count == 0) return corrupt("no messages");
  return {};
}

}  // namespace

std::int8_t record_set_magic(std::span<const std::uint8_t> set) noexcept {
  if (set.size() <= kMagicOffset) return -1;
  return static_cast<std::int8_t>(set[kMagicOffset]);
}

result<std::vector<std::uint8_t>> upconvert_message_set(std::span<const std::uint8_t> set, std::int64_t now_ms,
                                                        std::size_t max_bytes) {
  std::vector<std::vector<std::uint8_t>> buffers;  // decompressed values the views point into
  batch::Builder builder;
  std::size_t budget = max_bytes;
  status st = parse_set(set, false, buffers, &budget, [&](const Message& m) -> status {
    ProducerRecord r;
    r.key = m.key;
    r.value = m.value.value_or(std::string_view());
    if (builder.size_with(r) > max_bytes)
      return {errc::batch_too_large, fmt::format("the message set converts to more than {} bytes", max_bytes)};
    builder.add(r, m.timestamp < 0 ? now_ms : m.timestamp);
    return {};
  });
  if (!st.ok()) return st;
  auto bytes = builder.finish();
  return std::vector<std::uint8_t>(bytes.begin(), bytes.end());
}

result<bool> downconvert_batch(std::span<const std::uint8_t> batch, std::int8_t magic, std::int64_t from_offset,
                               Writer& out, std::size_t max_bytes, bool at_least_one) {
  std::vector<std::uint8_t> plain;
  batch::Reader reader(batch, &plain);
  batch::RecordFields rec;
  const std::size_t start = out.size();
  bool whole = true;
  while (reader.next(&rec)) {
    if (rec.offset < from_offset) continue;
    const std::size_t size = kLogOverhead + 4 + 2 + (magic == 1 ? 8 : 0) + 4 + (rec.key ? rec.key->size() : 0) + 4 +
                             rec.value.size();
    const bool may_exceed = at_least_one && out.size() == start;
    if (!may_exceed && out.size() - start + size > max_bytes) {
      whole = false;
      break;
    }
    out.i64(rec.offset);
    const std::size_t size_at = out.placeholder_i32();
    const std::size_t crc_at = out.placeholder_i32();
    out.i8(magic);
    out.i8(0);  // uncompressed, create time
    if (magic == 1) out.i64(rec.timestamp_ms);
    if (rec.key) {
      out.bytes({reinterpret_cast<const std::uint8_t*>(rec.key->data()), rec.key->size()});
    } else {
      out.nullable_bytes(std::nullopt);
    }
    out.bytes({reinterpret_cast<const std::uint8_t*>(rec.value.data()), rec.value.size()});
    const std::size_t end = out.size();
    out.patch_i32(size_at, static_cast<std::int32_t>(end - size_at - 4));
    const std::uint8_t* body = out.buffer().data() + crc_at + 4;
    out.patch_i32(crc_at, static_cast<std::int32_t>(crc32_ieee(body, end - crc_at - 4)));
  }
  if (!whole) return false;
  if (!reader.ok())
    return reader.error().ok() ? status(errc::corrupt_batch, "a stored batch has a malformed record") : reader.error();
  return true;
}

}  // namespace wharf::protocol::kafka
