#include "broker/queue/message_table.h"

#include <utility>

namespace wharf::queue {
namespace {

// Ids skipped (other queues' messages) that a new message may leave as
// empty slots behind the run's end, as long as the run stays dense.
constexpr std::uint64_t kMaxGap = 64;
// Runs shorter than this are never thinned.
constexpr std::uint64_t kDenseFloor = 4096;
// Emptied chunks kept for reuse.
constexpr std::size_t kSpareChunks = 4;

}  // namespace

Msg* MessageTable::find(std::uint64_t id) {
  if (in_run(id)) {
    Slot& s = slot(id);
    return s.used ? &s.msg : nullptr;
  }
  auto it = spill_.find(id);
  return it == spill_.end() ? nullptr : &it->second;
}

const Msg* MessageTable::find(std::uint64_t id) const {
  if (in_run(id)) {
    const Slot& s = slot(id);
    return s.used ? &s.msg : nullptr;
  }
  auto it = spill_.find(id);
  return it == spill_.end() ? nullptr : &it->second;
}

// Makes the run end just past `id`, taking in any skipped id that sat in
// the map while the run ended before it.
void MessageTable::extend_to(std::uint64_t id) {
  while (chunk_base_ + chunks_.size() * kChunk <= id) {
    if (spare_.empty()) {
      chunks_.push_back(std::make_unique<Chunk>());
    } else {
      chunks_.push_back(std::move(spare_.back()));
      spare_.pop_back();
    }
  }
  const std::uint64_t from = end_;
  end_ = id + 1;
  if (spill_.empty()) return;
  for (std::uint64_t skipped = from; skipped < id; ++skipped) {
    auto it = spill_.find(skipped);
    if (it == spill_.end()) continue;
    Slot& s = slot(skipped);
    s.msg = it->second;
    s.used = true;
    ++run_used_;
    spill_.erase(it);
  }
}

Msg& MessageTable::insert(std::uint64_t id, const Msg& m) {
  if (run_used_ == 0) {
    // An empty run starts again at this id.
    while (!chunks_.empty()) {
      if (spare_.size() < kSpareChunks) spare_.push_back(std::move(chunks_.back()));
      chunks_.pop_back();
    }
    chunk_base_ = id - id % kChunk;
    first_ = end_ = id;
  }
  if (!in_run(id)) {
    const bool fits =
        id >= end_ && id - end_ <= kMaxGap && (run_used_ + 1) * 4 >= (end_ - first_) + (id - end_) + 1;
    if (!fits) return spill_.insert_or_assign(id, m).first->second;
    extend_to(id);
  }
  Slot& s = slot(id);
  if (!s.used) ++run_used_;
  s.msg = m;
  s.used = true;
  return s.msg;
}

void MessageTable::erase(std::uint64_t id) {
  if (!in_run(id)) {
    spill_.erase(id);
    return;
  }
  Slot& s = slot(id);
  if (!s.used) return;
  s.used = false;
  --run_used_;
  trim();
  keep_dense();
}

// Drops unused slots at both ends, and the chunks the front leaves.
void MessageTable::trim() {
  while (first_ < end_ && !slot(first_).used) ++first_;
  while (end_ > first_ && !slot(end_ - 1).used) --end_;
  if (first_ == end_) return;  // emptied: the next insert starts afresh
  while (first_ - chunk_base_ >= kChunk) {
    if (spare_.size() < kSpareChunks) spare_.push_back(std::move(chunks_.front()));
    chunks_.pop_front();
    chunk_base_ += kChunk;
  }
}

// A message held long (a delay, a slow consumer) at the front while later
// ones are acked would keep an ever longer, ever emptier run: once less
// than a quarter of it is used, the oldest move to the map until half is.
void MessageTable::keep_dense() {
  if (end_ - first_ < kDenseFloor || run_used_ * 4 >= end_ - first_) return;
  while (first_ < end_ && run_used_ * 2 < end_ - first_) {
    Slot& s = slot(first_);
    if (s.used) {
      spill_.insert_or_assign(first_, s.msg);
      s.used = false;
      --run_used_;
    }
    trim();
  }
}

}  // namespace wharf::queue
