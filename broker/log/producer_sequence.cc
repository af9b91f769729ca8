#include "broker/log/producer_sequence.h"

#include <fmt/format.h>

#include <limits>

namespace wharf::log {

namespace {

// Sequences wrap from INT32_MAX to 0, as Kafka's do.
std::int32_t add(std::int32_t seq, std::int32_t n) {
  const std::int64_t sum = static_cast<std::int64_t>(seq) + n;
  return static_cast<std::int32_t>(sum % (static_cast<std::int64_t>(std::numeric_limits<std::int32_t>::max()) + 1));
}

std::int32_t last_sequence(const protocol::batch::ProducerStamp& s) {
  return add(s.base_sequence, s.last_offset_delta);
}

}  // namespace

SequenceVerdict check_sequence(const std::optional<storage::ProducerStateRecord>& state,
                               const protocol::batch::ProducerStamp& stamp) {
  if (stamp.epoch < 0 || stamp.base_sequence < 0)
    return {status(errc::corrupt_batch, fmt::format("producer {} sent a batch without epoch or sequence",
                                                    stamp.producer_id)), {}};
  // A producer new to this partition starts anywhere (as in Kafka: its
  // earlier batches may have gone with the records that held them).
  if (!state || state->recent.empty()) return {};
  if (stamp.epoch < state->epoch)
    return {status(errc::invalid_producer_epoch, fmt::format("producer {} epoch {} is older than its current {}",
                                                             stamp.producer_id, stamp.epoch, state->epoch)), {}};
  if (stamp.epoch > state->epoch) {
    if (stamp.base_sequence == 0) return {};
    return {status(errc::out_of_order_sequence,
                   fmt::format("producer {} began epoch {} at sequence {}, not 0", stamp.producer_id, stamp.epoch,
                               stamp.base_sequence)), {}};
  }
  const std::int32_t last = last_sequence(stamp);
  for (const auto& b : state->recent)
    if (b.first_sequence == stamp.base_sequence && b.last_sequence == last) return {{}, b.base_offset};
  const std::int32_t expected = add(state->recent.back().last_sequence, 1);
  if (stamp.base_sequence == expected) return {};
  return {status(errc::out_of_order_sequence, fmt::format("producer {} sent sequence {}, expected {}",
                                                          stamp.producer_id, stamp.base_sequence, expected)), {}};
}

storage::ProducerStateRecord next_state(std::optional<storage::ProducerStateRecord> state,
                                        const protocol::batch::ProducerStamp& stamp, std::uint64_t base_offset,
                                        std::int64_t now_ms) {
  storage::ProducerStateRecord s = state.value_or(storage::ProducerStateRecord{});
  if (!state || stamp.epoch != s.epoch) s.recent.clear();
  s.epoch = stamp.epoch;
  s.last_append_ms = now_ms;
  s.recent.push_back({stamp.base_sequence, last_sequence(stamp), base_offset});
  if (s.recent.size() > kProducerBatchesKept) s.recent.erase(s.recent.begin());
  return s;
}

}  // namespace wharf::log
