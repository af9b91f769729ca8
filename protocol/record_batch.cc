#include "protocol/record_batch.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "protocol/crc32c.h"
#include "protocol/varint.h"

namespace wharf::protocol::batch {
namespace {

// Reads a length-prefixed byte string; length -1 means null.
const std::uint8_t* read_bytes(const std::uint8_t* p, const std::uint8_t* end,
                               std::optional<std::string_view>* out) {
  std::int64_t len = 0;
  p = read_varint(p, end, &len);
  if (p == nullptr || len < -1 || len > end - p) return nullptr;
  if (len < 0) {
    *out = std::nullopt;
    return p;
  }
  *out = std::string_view(reinterpret_cast<const char*>(p), static_cast<std::size_t>(len));
  return p + len;
}

// Parses one record at p; returns the position after it, or nullptr if malformed.
const std::uint8_t* parse_record(const std::uint8_t* p, const std::uint8_t* end,
                                 std::int64_t base_offset, std::int64_t base_timestamp,
                                 std::uint32_t index, RecordFields* out) {
  std::int64_t length = 0;
  p = read_varint(p, end, &length);
  if (p == nullptr || length < 1 || length > end - p) return nullptr;
  const std::uint8_t* rec_end = p + length;
  ++p;  // record attributes, unused in v2
  std::int64_t ts_delta = 0;
  std::int64_t offset_delta = 0;
  p = read_varint(p, rec_end, &ts_delta);
  if (p == nullptr) return nullptr;
  p = read_varint(p, rec_end, &offset_delta);
  if (p == nullptr || offset_delta != static_cast<std::int64_t>(index)) return nullptr;
  p = read_bytes(p, rec_end, &out->key);
  if (p == nullptr) return nullptr;
  std::optional<std::string_view> value;
  p = read_bytes(p, rec_end, &value);
  if (p == nullptr) return nullptr;
  std::int64_t header_count = 0;
  p = read_varint(p, rec_end, &header_count);
  if (p == nullptr || header_count < 0 || header_count > rec_end - p) return nullptr;
  out->headers = p;
  for (std::int64_t h = 0; h < header_count; ++h) {
    std::optional<std::string_view> hk;
    std::optional<std::string_view> hv;
    p = read_bytes(p, rec_end, &hk);
    if (p == nullptr || !hk) return nullptr;
    p = read_bytes(p, rec_end, &hv);
    if (p == nullptr) return nullptr;
  }
  if (p != rec_end) return nullptr;
  if (__builtin_add_overflow(base_timestamp, ts_delta, &out->timestamp_ms)) return nullptr;
  out->headers_end = p;
  out->header_count = static_cast<std::uint32_t>(header_count);
  out->value = value.value_or(std::string_view());
  out->offset = base_offset + static_cast<std::int64_t>(index);
  return rec_end;
}

status corrupt(std::string message) { return {errc::corrupt_batch, std::move(message)}; }

status check_header(std::span<const std::uint8_t> bytes) {
  const std::uint8_t* b = bytes.data();
  if (bytes.size() < kHeaderSize)
    return corrupt(fmt::format("batch of {} bytes is shorter than its {}-byte header",
                               bytes.size(), kHeaderSize));
  const auto length = load_be<std::int32_t>(b + kBatchLength);
  if (length < 0 || static_cast<std::size_t>(length) + kLengthPrefix != bytes.size())
    return corrupt(fmt::format("batch length field {} does not match {} bytes", length,
                               bytes.size()));
  if (static_cast<std::int8_t>(b[kMagic]) != kMagicV2)
    return corrupt(fmt::format("batch magic {} is not 2", static_cast<int>(b[kMagic])));
  const auto attributes = load_be<std::uint16_t>(b + kAttributes);
  if ((attributes & kUnsupportedAttributes) != 0)
    return corrupt(fmt::format("batch attributes 0x{:x}: transactions and control batches are not supported",
                               attributes));
  if ((attributes & kCodecMask) > kMaxCodec)
    return corrupt(fmt::format("batch compression codec {} is unknown", attributes & kCodecMask));
  const auto count = load_be<std::int32_t>(b + kRecordCount);
  if (count < 1) return corrupt(fmt::format("batch record count {} is not positive", count));
  if (load_be<std::int32_t>(b + kLastOffsetDelta) != count - 1)
    return corrupt("batch last offset delta does not match its record count");
  const std::uint32_t want = load_be<std::uint32_t>(b + kCrc);
  const std::uint32_t got = crc32c(b + kAttributes, bytes.size() - kAttributes);
  if (want != got)
    return corrupt(fmt::format("batch CRC-32C is 0x{:08x}, computed 0x{:08x}", want, got));
  return {};
}

}  // namespace

std::int64_t base_offset(const std::uint8_t* b) noexcept {
  return load_be<std::int64_t>(b + kBaseOffset);
}
void set_base_offset(std::uint8_t* b, std::int64_t offset) noexcept {
  store_be<std::int64_t>(b + kBaseOffset, offset);
}
std::uint32_t record_count(const std::uint8_t* b) noexcept {
  return load_be<std::uint32_t>(b + kRecordCount);
}
std::int64_t max_timestamp(const std::uint8_t* b) noexcept {
  return load_be<std::int64_t>(b + kMaxTimestamp);
}
ProducerStamp producer_stamp(const std::uint8_t* b) noexcept {
  return {load_be<std::int64_t>(b + kProducerId), load_be<std::int16_t>(b + kProducerEpoch),
          load_be<std::int32_t>(b + kBaseSequence), load_be<std::int32_t>(b + kLastOffsetDelta)};
}
std::size_t total_size(const std::uint8_t* b) noexcept {
  return static_cast<std::size_t>(load_be<std::uint32_t>(b + kBatchLength)) + kLengthPrefix;
}

Codec codec(const std::uint8_t* b) noexcept {
  return static_cast<Codec>(load_be<std::uint16_t>(b + kAttributes) & kCodecMask);
}

namespace {

// Records of a compressed batch, decompressed through a window: at most
// the window plus the largest record is held, whatever the batch expands
// to. Returns the greatest timestamp.
result<std::int64_t> check_compressed_records(std::span<const std::uint8_t> bytes, std::size_t max_bytes) {
  const std::uint8_t* b = bytes.data();
  const auto count = record_count(b);
  const auto base_ts = load_be<std::int64_t>(b + kBaseTimestamp);
  constexpr std::size_t kWindow = 256u << 10;
  thread_local std::vector<std::uint8_t, UninitializedAllocator<std::uint8_t>> window;
  struct Shrink {
    ~Shrink() {
      if (window.capacity() > 4 * kWindow) {
        window.clear();
        window.shrink_to_fit();
      }
    }
  } shrink;
  if (window.size() < kWindow) window.resize(kWindow);
  Decompressor in(codec(b), bytes.subspan(kHeaderSize), max_bytes);
  std::size_t begin = 0;
  std::size_t filled = 0;
  std::int64_t max_ts = std::numeric_limits<std::int64_t>::min();
  RecordFields rec;
  std::uint32_t i = 0;
  for (;;) {
    // Every whole record in the window.
    while (i < count) {
      const std::uint8_t* p = window.data() + begin;
      const std::uint8_t* end = window.data() + filled;
      std::int64_t length = 0;
      const std::uint8_t* body = read_varint(p, end, &length);
      if (body == nullptr) {
        if (end - p >= 10) return corrupt(fmt::format("record {} of the batch is malformed", i));
        break;  // its length is not whole yet
      }
      if (length < 1) return corrupt(fmt::format("record {} of the batch is malformed", i));
      if (static_cast<std::uint64_t>(length) > max_bytes)
        return {errc::batch_too_large, fmt::format("record {} of the batch is over the limit of {} bytes", i, max_bytes)};
      if (length > end - body) break;  // not whole yet
      p = parse_record(p, end, 0, base_ts, i, &rec);
      if (p == nullptr) return corrupt(fmt::format("record {} of the batch is malformed", i));
      max_ts = std::max(max_ts, rec.timestamp_ms);
      begin = static_cast<std::size_t>(p - window.data());
      ++i;
    }
    if (i == count && begin != filled) return corrupt("batch has bytes after its last record");
    if (in.done()) break;
    // Keep the unread part at the front, room for the next record behind.
    if (begin != 0) {
      std::memmove(window.data(), window.data() + begin, filled - begin);
      filled -= begin;
      begin = 0;
    }
    // Grown as bytes arrive, not to what a record claims: a length field
    // alone allocates nothing.
    if (filled == window.size()) window.resize(std::max(window.size(), std::min(window.size() * 2, max_bytes + 1)));
    if (filled == window.size())
      return {errc::batch_too_large, fmt::format("a record of the batch is over the limit of {} bytes", max_bytes)};
    auto n = in.read({window.data() + filled, window.size() - filled});
    if (!n) return n.error();
    filled += *n;
  }
  if (i < count) return corrupt(fmt::format("record {} of the batch is malformed", i));
  if (begin != filled) return corrupt("batch has bytes after its last record");
  return max_ts;
}

}  // namespace

status validate(std::span<const std::uint8_t> bytes, BatchInfo* info, std::size_t max_bytes) {
  if (bytes.size() > max_bytes)
    return {errc::batch_too_large, fmt::format("batch of {} bytes is over the limit of {}", bytes.size(), max_bytes)};
  if (status st = check_header(bytes); !st.ok()) return st;
  const std::uint8_t* b = bytes.data();
  const auto count = record_count(b);
  const auto base_ts = load_be<std::int64_t>(b + kBaseTimestamp);
  std::int64_t max_ts = std::numeric_limits<std::int64_t>::min();
  if (codec(b) != Codec::none) {
    auto ts = check_compressed_records(bytes, max_bytes);
    if (!ts) return ts.error();
    max_ts = *ts;
  } else {
    const std::uint8_t* p = b + kHeaderSize;
    const std::uint8_t* end = b + bytes.size();
    RecordFields rec;
    for (std::uint32_t i = 0; i < count; ++i) {
      p = parse_record(p, end, 0, base_ts, i, &rec);
      if (p == nullptr) return corrupt(fmt::format("record {} of the batch is malformed", i));
      max_ts = std::max(max_ts, rec.timestamp_ms);
    }
    if (p != end) return corrupt("batch has bytes after its last record");
  }
  if (max_ts != load_be<std::int64_t>(b + kMaxTimestamp))
    return corrupt("batch max timestamp does not match its records");
  info->record_count = count;
  info->base_timestamp = base_ts;
  info->max_timestamp = max_ts;
  return {};
}

Builder::Builder() { clear(); }

void Builder::clear() {
  buf_.assign(kHeaderSize, 0);
  count_ = 0;
  base_timestamp_ = 0;
  max_timestamp_ = 0;
}

namespace {
std::size_t bytes_size(std::size_t len) { return varint_size(static_cast<std::int64_t>(len)) + len; }

// Size of the record body (everything after its length varint).
std::size_t body_size(const ProducerRecord& r, std::int64_t ts_delta, std::uint32_t index) {
  std::size_t n = 1 + varint_size(ts_delta) + varint_size(index);
  n += r.key ? bytes_size(r.key->size()) : 1;
  n += bytes_size(r.value.size());
  n += varint_size(static_cast<std::int64_t>(r.headers.size()));
  for (const Header& h : r.headers) n += bytes_size(h.key.size()) + bytes_size(h.value.size());
  return n;
}

std::uint8_t* put_bytes(std::uint8_t* p, std::string_view s) {
  p = write_varint(p, static_cast<std::int64_t>(s.size()));
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  return p + s.size();
}
}  // namespace

std::size_t Builder::size_with(const ProducerRecord& r) const {
  const std::size_t body = body_size(r, 0, count_) + 9;  // timestamp delta varint worst case
  return buf_.size() + varint_size(static_cast<std::int64_t>(body)) + body;
}

void Builder::add(const ProducerRecord& r, std::int64_t ts) {
  if (count_ == 0) {
    base_timestamp_ = ts;
    max_timestamp_ = ts;
  }
  max_timestamp_ = std::max(max_timestamp_, ts);
  const std::int64_t ts_delta = ts - base_timestamp_;
  const std::size_t body = body_size(r, ts_delta, count_);
  const std::size_t old = buf_.size();
  buf_.resize(old + varint_size(static_cast<std::int64_t>(body)) + body);
  std::uint8_t* p = buf_.data() + old;
  p = write_varint(p, static_cast<std::int64_t>(body));
  *p++ = 0;  // record attributes
  p = write_varint(p, ts_delta);
  p = write_varint(p, count_);
  p = r.key ? put_bytes(p, *r.key) : write_varint(p, -1);
  p = put_bytes(p, r.value);
  p = write_varint(p, static_cast<std::int64_t>(r.headers.size()));
  for (const Header& h : r.headers) {
    p = put_bytes(p, h.key);
    p = put_bytes(p, h.value);
  }
  ++count_;
}

std::span<const std::uint8_t> Builder::finish(const ProducerStamp& stamp) {
  std::uint8_t* b = buf_.data();
  store_be<std::int64_t>(b + kBaseOffset, 0);
  store_be<std::int32_t>(b + kBatchLength, static_cast<std::int32_t>(buf_.size() - kLengthPrefix));
  store_be<std::int32_t>(b + kPartitionLeaderEpoch, -1);
  b[kMagic] = static_cast<std::uint8_t>(kMagicV2);
  store_be<std::int16_t>(b + kAttributes, 0);
  store_be<std::int32_t>(b + kLastOffsetDelta, static_cast<std::int32_t>(count_) - 1);
  store_be<std::int64_t>(b + kBaseTimestamp, base_timestamp_);
  store_be<std::int64_t>(b + kMaxTimestamp, max_timestamp_);
  store_be<std::int64_t>(b + kProducerId, stamp.producer_id);
  store_be<std::int16_t>(b + kProducerEpoch, stamp.producer_id < 0 ? std::int16_t{-1} : stamp.epoch);
  store_be<std::int32_t>(b + kBaseSequence, stamp.producer_id < 0 ? -1 : stamp.base_sequence);
  store_be<std::int32_t>(b + kRecordCount, static_cast<std::int32_t>(count_));
  store_be<std::uint32_t>(b + kCrc, crc32c(b + kAttributes, buf_.size() - kAttributes));
  return {buf_.data(), buf_.size()};
}

result<std::span<const std::uint8_t>> Builder::finish(Codec c, const ProducerStamp& stamp) {
  auto plain = finish(stamp);
  if (c == Codec::none) return plain;
  compressed_.assign(plain.begin(), plain.begin() + kHeaderSize);
  if (status st = compress(c, plain.subspan(kHeaderSize), &compressed_); !st.ok()) return st;
  std::uint8_t* b = compressed_.data();
  store_be<std::int32_t>(b + kBatchLength, static_cast<std::int32_t>(compressed_.size() - kLengthPrefix));
  store_be<std::uint16_t>(b + kAttributes, static_cast<std::uint16_t>(c));
  store_be<std::uint32_t>(b + kCrc, crc32c(b + kAttributes, compressed_.size() - kAttributes));
  return std::span<const std::uint8_t>(compressed_);
}

Reader::Reader(std::span<const std::uint8_t> batch, std::vector<std::uint8_t>* scratch)
    : batch_(batch), pos_(batch.data() + kHeaderSize), end_(batch.data() + batch.size()) {
  if (batch.size() < kHeaderSize) {
    ok_ = false;
    count_ = 0;
    base_offset_ = 0;
    base_timestamp_ = 0;
    return;
  }
  count_ = record_count(batch.data());
  base_offset_ = base_offset(batch.data());
  base_timestamp_ = load_be<std::int64_t>(batch.data() + kBaseTimestamp);
  if (const Codec c = codec(batch.data()); c != Codec::none) {
    if (scratch == nullptr) {
      error_ = corrupt(fmt::format("batch is compressed ({}) and this reader does not decompress", codec_name(c)));
      ok_ = false;
      return;
    }
    const std::size_t at = scratch->size();
    error_ = decompress(c, {pos_, end_}, scratch);
    if (!error_.ok()) {
      ok_ = false;
      return;
    }
    pos_ = scratch->data() + at;
    end_ = scratch->data() + scratch->size();
  }
}

status Reader::check() const { return check_header(batch_); }

bool Reader::next(RecordFields* out) {
  if (!ok_ || index_ >= count_) return false;
  const std::uint8_t* p = parse_record(pos_, end_, base_offset_, base_timestamp_, index_, out);
  if (p == nullptr) {
    ok_ = false;
    return false;
  }
  pos_ = p;
  ++index_;
  return true;
}

std::vector<Header> decode_headers(const std::uint8_t* p, const std::uint8_t* end,
                                   std::uint32_t count) {
  std::vector<Header> out;
  out.reserve(count);
  for (std::uint32_t i = 0; i < count && p != nullptr; ++i) {
    std::optional<std::string_view> k;
    std::optional<std::string_view> v;
    p = read_bytes(p, end, &k);
    if (p == nullptr) break;
    p = read_bytes(p, end, &v);
    if (p == nullptr) break;
    out.push_back({k.value_or(std::string_view()), v.value_or(std::string_view())});
  }
  return out;
}

std::span<const std::uint8_t> next_batch(std::span<const std::uint8_t>* rest) noexcept {
  if (rest->size() < kHeaderSize) return {};
  const std::size_t size = total_size(rest->data());
  if (size < kHeaderSize || size > rest->size()) return {};
  auto out = rest->first(size);
  *rest = rest->subspan(size);
  return out;
}

}  // namespace wharf::protocol::batch
