// A queue's messages by id. Ids come from one counter shared by all queues,
// and a queue's new messages take increasing ids, so most of its messages
// sit in one run of nearby ids: those live in slots indexed by id (a
// publish appends, the ack of the oldest pops the front, a lookup is an
// index into memory that the previous message's lookup already touched).
// Ids that do not fit the run (older than its start: dead letters and
// redrives; or beyond a gap that would leave the run sparse) go to a hash
// map. A long run is kept at least a quarter full: when acks leave it
// sparser, its oldest messages move to the map.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "broker/queue/queue_message.h"

namespace wharf::queue {

class MessageTable {
 public:
  Msg* find(std::uint64_t id);
  const Msg* find(std::uint64_t id) const;
  bool contains(std::uint64_t id) const { return find(id) != nullptr; }
  // The message, which must be there.
  Msg& at(std::uint64_t id) { return *find(id); }
  // Adds a message whose id is not in the table; returns it.
  Msg& insert(std::uint64_t id, const Msg& m);
  // Insert and erase may move other messages: hold no reference across them.
  void erase(std::uint64_t id);
  std::size_t size() const { return run_used_ + spill_.size(); }
  bool empty() const { return size() == 0; }
  // f(id, Msg&) for every message, in no particular order; f must not add
  // or erase.
  template <typename F>
  void for_each(F&& f) {
    for (std::uint64_t id = first_; id < end_; ++id)
      if (Slot& s = slot(id); s.used) f(id, s.msg);
    for (auto& [id, m] : spill_) f(id, m);
  }
  template <typename F>
  void for_each(F&& f) const {
    for (std::uint64_t id = first_; id < end_; ++id)
      if (const Slot& s = slot(id); s.used) f(id, s.msg);
    for (const auto& [id, m] : spill_) f(id, m);
  }

 private:
  static constexpr std::size_t kChunk = 1024;  // slots per chunk
  struct Slot {
    Msg msg;
    bool used = false;
  };
  // Slots outside the run are always unused, so chunks are recycled as
  // they are: the run moves through memory without copying or zeroing.
  struct Chunk {
    Slot slots[kChunk];
  };
  // The run covers ids [first_, end_); chunks_[k] holds ids from
  // chunk_base_ + k * kChunk.
  Slot& slot(std::uint64_t id) {
    const std::uint64_t i = id - chunk_base_;
    return chunks_[i / kChunk]->slots[i % kChunk];
  }
  const Slot& slot(std::uint64_t id) const {
    const std::uint64_t i = id - chunk_base_;
    return chunks_[i / kChunk]->slots[i % kChunk];
  }
  bool in_run(std::uint64_t id) const { return id >= first_ && id < end_; }
  void extend_to(std::uint64_t id);
  void trim();
  void keep_dense();

  std::deque<std::unique_ptr<Chunk>> chunks_;
  std::vector<std::unique_ptr<Chunk>> spare_;
  std::uint64_t chunk_base_ = 0;
  std::uint64_t first_ = 0;
  std::uint64_t end_ = 0;
  std::size_t run_used_ = 0;
  absl::flat_hash_map<std::uint64_t, Msg, MessageIdHash> spill_;
};

}  // namespace wharf::queue
