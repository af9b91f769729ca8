// Fuzzes everything that reads untrusted bytes without a broker: the frame
// decoder, the FlatBuffers verifier and the record batch validator and
// reader. Any input must give complete / need-more / bad, never a crash.
#include <cstddef>
#include <cstdint>
#include <span>

#include "protocol/frame.h"
#include "protocol/record_batch.h"
#include "wharf_generated.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace wharf;
  std::span<const std::uint8_t> rest(data, size);
  // A stream of frames, as a connection sees it.
  while (!rest.empty()) {
    auto d = protocol::decode_frame(rest, protocol::kDefaultMaxFrameBytes);
    if (d.state != protocol::DecodeState::complete) break;
    if (const wire::Frame* f = protocol::verify_frame(d.payload); f != nullptr) {
      // A produce carries a batch the broker validates.
      if (const auto* p = f->body_as_Produce(); p != nullptr && p->batch() != nullptr) {
        protocol::batch::BatchInfo info;
        (void)protocol::batch::validate({p->batch()->data(), p->batch()->size()}, &info);
      }
    }
    rest = rest.subspan(protocol::kFrameHeaderSize + d.payload.size());
  }
  // The same bytes as a record batch, and as fetched batches a client reads.
  protocol::batch::BatchInfo info;
  (void)protocol::batch::validate({data, size}, &info);
  std::span<const std::uint8_t> batches(data, size);
  for (auto b = protocol::batch::next_batch(&batches); !b.empty(); b = protocol::batch::next_batch(&batches)) {
    protocol::batch::Reader reader(b);
    protocol::batch::RecordFields rec;
    while (reader.next(&rec)) (void)protocol::batch::decode_headers(rec.headers, rec.headers_end, rec.header_count);
  }
  return 0;
}
