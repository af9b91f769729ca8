// Finishing a frame around a body: the union tag follows from the body's
// type, so no call names it by hand.
//
//   auto body = wire::CreateProduceOk(fbb, base, count);
//   protocol::finish_frame(fbb, correlation_id, body);
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <cstdint>

#include "wharf_generated.h"

namespace wharf::protocol {

template <typename T>
void finish_frame(flatbuffers::FlatBufferBuilder& fbb, std::uint64_t correlation_id, flatbuffers::Offset<T> body) {
  fbb.Finish(wire::CreateFrame(fbb, correlation_id, wire::BodyTraits<T>::enum_value, body.Union()));
}

}  // namespace wharf::protocol
