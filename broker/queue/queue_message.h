// One message of a queue in memory: what the engine needs to order and
// hand it out without reading storage. Writer thread only.
#pragma once

#include <cstddef>
#include <cstdint>

#include "broker/queue/queue_types.h"

namespace wharf::queue {

struct Subscription;

struct Msg {
  std::uint64_t epoch = 0;
  std::int64_t publish_ms = 0;
  std::int64_t expires_ms = 0;  // 0: never
  std::int64_t due_ms = 0;      // delayed: ready at; in flight: lease deadline
  std::uint64_t tag = 0;        // current delivery (in flight)
  Subscription* holder = nullptr;
  std::uint32_t attempts = 0;
  std::uint32_t history = 0;    // history entries stored so far
  std::uint32_t origin_queue = 0;
  std::uint8_t priority = 0;
  bool dead_lettered = false;
  // Stored as published (no delay, never rewritten) and never delivered:
  // its first delivery is recorded by the queue's first_delivered_through
  // instead of rewriting it (see Core::record_attempt).
  bool pristine = false;
  MessageState state = MessageState::ready;
};

// The hash of MessageTable's map, for ids outside its run. Those still come
// in clusters of nearby ids (a batch of dead letters, a redrive): each 16
// consecutive ids share one 16-slot run of the table (absl takes the
// position from bits 7 and up and the control byte from bits 0-6), so an
// in-order walk touches one table region per 16 messages; the runs are
// spread by a mix, so sparse or strided ids fare no worse than with a
// plain hash.
struct MessageIdHash {
  std::size_t operator()(std::uint64_t id) const {
    std::uint64_t run = id >> 4;
    run ^= run >> 33;
    run *= 0xff51afd7ed558ccdULL;
    run ^= run >> 33;
    return static_cast<std::size_t>((run << 11) | ((id & 15) << 7) | (id & 0x7F));
  }
};

}  // namespace wharf::queue
