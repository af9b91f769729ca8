// A producer's batches being filled: one per (topic, partition), each a
// RecordBatch under construction with one completion per record. Records
// go in here; full batches come out to the caller's `seal`. Not locked: the
// producer holds its pipeline's mutex around every call.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "protocol/record_batch.h"
#include "wharf/producer.h"

namespace wharf::client {

struct PartitionSequence;  // the producer's, for idempotent batches

// Hashes std::string keys and looks them up by string_view.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

// One partition's records on their way.
struct ProduceBatch {
  std::string topic;
  std::uint32_t partition = 0;
  protocol::batch::Builder builder;
  std::vector<Producer::Completion> done;
  std::chrono::steady_clock::time_point first_at;
  // Idempotent producers only (I/O thread): the sealed bytes, where the
  // batch stands among its partition's, and when it was first sent.
  std::span<const std::uint8_t> bytes;
  PartitionSequence* sequence = nullptr;
  std::int32_t base_sequence = -1;
  std::uint64_t send_order = 0;
  std::chrono::steady_clock::time_point first_sent;

  // Runs each record's completion: its offset, or the batch's error.
  void complete(const result<std::int64_t>& base) {
    for (std::size_t i = 0; i < done.size(); ++i) {
      if (!done[i]) continue;
      if (base.ok()) {
        done[i](RecordMetadata{partition, *base + static_cast<std::int64_t>(i)});
      } else {
        done[i](base.error());
      }
    }
  }
};

class OpenBatches {
 public:
  using Clock = std::chrono::steady_clock;
  using BatchPtr = std::unique_ptr<ProduceBatch>;

  // Adds a record to its partition's open batch, first sealing that batch
  // if the record would take it past batch_bytes, and sealing it after if
  // it is full. Sealed batches go to seal(BatchPtr). Returns the bytes the
  // open batches grew by.
  template <typename Seal>
  std::size_t add(std::string_view topic, std::uint32_t partition, const ProducerRecord& record,
                  Producer::Completion& done, std::size_t batch_bytes, Seal&& seal) {
    if (last_slots_ == nullptr || last_topic_ != topic) {
      auto it = open_.find(topic);
      if (it == open_.end()) it = open_.emplace(std::string(topic), std::vector<BatchPtr>()).first;
      last_topic_ = it->first;
      last_slots_ = &it->second;
    }
    auto& slots = *last_slots_;
    if (slots.size() <= partition) slots.resize(partition + 1);
    BatchPtr& b = slots[partition];
    if (b && !b->builder.empty() && b->builder.size_with(record) > batch_bytes) {
      --open_count_;
      seal(std::move(b));
    }
    std::size_t grown = 0;
    if (!b) {
      b = take(topic, partition);
      ++open_count_;
      grown += b->builder.size();  // the batch header
    }
    const std::size_t before = b->builder.size();
    b->builder.add(record, record.timestamp_ms < 0 ? wall_clock_ms() : record.timestamp_ms);
    b->done.push_back(std::move(done));
    grown += b->builder.size() - before;
    if (b->builder.size() >= batch_bytes) {
      --open_count_;
      seal(std::move(b));
    }
    return grown;
  }

  // Seals up to `room` batches opened at least `linger` ago; returns when
  // the next open one will be due (max: none).
  template <typename Seal>
  Clock::time_point seal_lingering(Clock::time_point now, std::size_t room, Clock::duration linger, Seal&& seal) {
    Clock::time_point next_due = Clock::time_point::max();
    if (open_count_ == 0) return next_due;
    for (auto& [topic, slots] : open_) {
      for (auto& b : slots) {
        if (!b) continue;
        const auto due = b->first_at + linger;
        if (due <= now && room > 0) {
          --open_count_;
          --room;
          seal(std::move(b));
        } else {
          next_due = std::min(next_due, due);
        }
      }
    }
    return next_due;
  }

  template <typename Seal>
  void seal_all(Seal&& seal) {
    for (auto& [topic, slots] : open_)
      for (auto& b : slots)
        if (b) {
          --open_count_;
          seal(std::move(b));
        }
  }

  // Keeps a finished batch's buffers for a later one.
  void recycle(ProduceBatch& used) {
    if (spare_.size() >= kMaxSpare) return;
    auto b = std::make_unique<ProduceBatch>();
    std::swap(b->builder, used.builder);
    b->done.swap(used.done);
    b->done.clear();
    spare_.push_back(std::move(b));
  }

 private:
  static constexpr std::size_t kMaxSpare = 64;

  BatchPtr take(std::string_view topic, std::uint32_t partition) {
    BatchPtr b;
    if (!spare_.empty()) {
      b = std::move(spare_.back());
      spare_.pop_back();
    } else {
      b = std::make_unique<ProduceBatch>();
    }
    b->topic.assign(topic);
    b->partition = partition;
    b->builder.clear();
    b->done.clear();
    b->first_at = Clock::now();
    return b;
  }

  // topic -> partition -> open batch (null when none is open)
  std::unordered_map<std::string, std::vector<BatchPtr>, StringHash, std::equal_to<>> open_;
  std::vector<BatchPtr> spare_;
  std::size_t open_count_ = 0;
  // The slots of the last topic sent to: most sends repeat it.
  std::string_view last_topic_;
  std::vector<BatchPtr>* last_slots_ = nullptr;
};

}  // namespace wharf::client
