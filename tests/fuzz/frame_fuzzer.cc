// Fuzzes everything that reads untrusted bytes without a broker: the frame
// decoder, the FlatBuffers verifier and the record batch validator and
// reader. Any input must give complete / need-more / bad, never a crash,
// and a stream cut in two must decode to the same frames as when whole.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "protocol/frame.h"
#include "protocol/record_batch.h"
#include "wharf_generated.h"

namespace {

using namespace wharf;

// As the broker validates: BrokerOptions::max_batch_bytes by default.
constexpr std::size_t kBatchLimit = 8u << 20;

struct Outcome {
  std::vector<std::vector<std::uint8_t>> payloads;
  protocol::DecodeState last = protocol::DecodeState::need_more;
  bool operator==(const Outcome&) const = default;
};

// Decodes frames as a connection does: bytes arrive in two reads, split at
// `cut`, and each read decodes every complete frame buffered so far.
Outcome decode_stream(std::span<const std::uint8_t> bytes, std::size_t cut) {
  Outcome out;
  std::vector<std::uint8_t> buffer;
  std::size_t fed = 0;
  for (std::size_t end : {cut, bytes.size()}) {
    buffer.insert(buffer.end(), bytes.begin() + static_cast<long>(fed), bytes.begin() + static_cast<long>(end));
    fed = end;
    for (;;) {
      auto d = protocol::decode_frame(buffer, protocol::kDefaultMaxFrameBytes);
      out.last = d.state;
      if (d.state != protocol::DecodeState::complete) break;
      out.payloads.emplace_back(d.payload.begin(), d.payload.end());
      buffer.erase(buffer.begin(), buffer.begin() + static_cast<long>(protocol::kFrameHeaderSize + d.payload.size()));
    }
    if (out.last == protocol::DecodeState::bad) break;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> rest(data, size);
  if (size > 0 && size < 4096) {
    const std::size_t cut = (static_cast<std::size_t>(data[0]) * 131 + size / 2) % (size + 1);
    if (!(decode_stream(rest, cut) == decode_stream(rest, size))) std::abort();
  }
  // A stream of frames, as a connection sees it.
  while (!rest.empty()) {
    auto d = protocol::decode_frame(rest, protocol::kDefaultMaxFrameBytes);
    if (d.state != protocol::DecodeState::complete) break;
    if (const wire::Frame* f = protocol::verify_frame(d.payload); f != nullptr) {
      // A produce carries a batch the broker validates.
      if (const auto* p = f->body_as_Produce(); p != nullptr && p->batch() != nullptr) {
        protocol::batch::BatchInfo info;
        (void)protocol::batch::validate({p->batch()->data(), p->batch()->size()}, &info, kBatchLimit);
      }
    }
    rest = rest.subspan(protocol::kFrameHeaderSize + d.payload.size());
  }
  // The same bytes as a record batch, and as fetched batches a client reads.
  protocol::batch::BatchInfo info;
  (void)protocol::batch::validate({data, size}, &info, kBatchLimit);
  std::span<const std::uint8_t> batches(data, size);
  for (auto b = protocol::batch::next_batch(&batches); !b.empty(); b = protocol::batch::next_batch(&batches)) {
    protocol::batch::Reader reader(b);
    protocol::batch::RecordFields rec;
    while (reader.next(&rec)) (void)protocol::batch::decode_headers(rec.headers, rec.headers_end, rec.header_count);
  }
  return 0;
}
