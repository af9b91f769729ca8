// Producer: records are added to the open batch of their partition (a
// RecordBatch being built); the shared pipeline (batch_pipeline.h) seals,
// sends and confirms them.
#include "wharf/producer.h"

#include <fmt/format.h>

#include <future>
#include <unordered_map>

#include "base/clock.h"
#include "client/batch_pipeline.h"
#include "client/client_impl.h"
#include "protocol/frame_builder.h"
#include "protocol/murmur2.h"
#include "protocol/record_batch.h"

namespace wharf {
namespace {

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
};

client::PipelineLimits limits_of(const ProducerOptions& o) {
  return {o.linger, o.batch_bytes, o.max_in_flight, o.buffer_bytes, o.max_block};
}

}  // namespace

struct Producer::Impl final : client::BatchPipeline<ProduceBatch>, std::enable_shared_from_this<Producer::Impl> {
  Impl(Client::Impl& c, const ProducerOptions& o)
      : BatchPipeline(c.conn, limits_of(o)), client(c), codec(static_cast<protocol::Codec>(o.compression)) {}

  Client::Impl& client;
  const protocol::Codec codec;
  // Open batches: topic -> partition -> batch (null when none is open).
  std::unordered_map<std::string, std::vector<BatchPtr>, StringHash, std::equal_to<>> open WHARF_GUARDED_BY(mu());
  std::vector<BatchPtr> spare WHARF_GUARDED_BY(mu());  // recycled batches
  std::unordered_map<std::string, std::uint32_t, StringHash, std::equal_to<>> sticky WHARF_GUARDED_BY(mu());
  std::size_t open_count WHARF_GUARDED_BY(mu()) = 0;
  // The slots of the last topic sent to: most sends repeat it.
  std::string_view last_topic WHARF_GUARDED_BY(mu());
  std::vector<BatchPtr>* last_slots WHARF_GUARDED_BY(mu()) = nullptr;
  flatbuffers::FlatBufferBuilder fbb{256u << 10};  // I/O thread only

  BatchPtr take_batch(std::string_view topic, std::uint32_t partition) WHARF_REQUIRES(mu()) {
    BatchPtr b;
    if (!spare.empty()) {
      b = std::move(spare.back());
      spare.pop_back();
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

  // Appends one record to its partition's open batch. On error (buffer
  // full past max_block) the caller completes `done`. *sealed tells whether
  // the partition's batch was closed by this record.
  status append(std::string_view topic, std::uint32_t partition, const ProducerRecord& record, Completion& done,
                bool* sealed) WHARF_REQUIRES(mu()) {
    if (status st = wait_for_room(); !st.ok()) return st;
    if (last_slots == nullptr || last_topic != topic) {
      auto it = open.find(topic);
      if (it == open.end()) it = open.emplace(std::string(topic), std::vector<BatchPtr>()).first;
      last_topic = it->first;
      last_slots = &it->second;
    }
    auto& slots = *last_slots;
    if (slots.size() <= partition) slots.resize(partition + 1);
    BatchPtr& b = slots[partition];
    if (b && !b->builder.empty() && b->builder.size_with(record) > limits().batch_bytes) {
      seal(std::move(b));
      --open_count;
      *sealed = true;
    }
    if (!b) {
      b = take_batch(topic, partition);
      ++open_count;
      buffered(b->builder.size());  // the batch header
    }
    const std::size_t before = b->builder.size();
    b->builder.add(record, record.timestamp_ms < 0 ? wall_clock_ms() : record.timestamp_ms);
    b->done.push_back(std::move(done));
    buffered(b->builder.size() - before);
    if (b->builder.size() >= limits().batch_bytes) {
      seal(std::move(b));
      --open_count;
      *sealed = true;
    }
    return {};
  }

  Clock::time_point seal_lingering(Clock::time_point now, std::size_t room) override WHARF_REQUIRES(mu()) {
    Clock::time_point next_due = Clock::time_point::max();
    if (open_count == 0) return next_due;
    for (auto& [topic, slots] : open) {
      for (auto& b : slots) {
        if (!b) continue;
        const auto due = b->first_at + limits().linger;
        if (due <= now && room > 0) {
          seal(std::move(b));
          --open_count;
          --room;
        } else {
          next_due = std::min(next_due, due);
        }
      }
    }
    return next_due;
  }

  void seal_all() override WHARF_REQUIRES(mu()) {
    for (auto& [topic, slots] : open)
      for (auto& b : slots)
        if (b) {
          seal(std::move(b));
          --open_count;
        }
  }

  void send_batch(BatchPtr b) override {
    auto sealed = b->builder.finish(codec);
    if (!sealed) {
      complete(*b, sealed.error());
      recycle(*b);
      return;
    }
    const auto bytes = *sealed;
    fbb.Clear();
    const std::uint64_t corr = client.conn.next_correlation_id();
    auto topic = fbb.CreateString(b->topic);
    auto vec = fbb.CreateVector(bytes.data(), bytes.size());
    protocol::finish_frame(fbb, corr, wire::CreateProduce(fbb, topic, b->partition, vec));
    // The handler owns the batch: dropped unrun, it still frees it.
    std::shared_ptr<ProduceBatch> batch(std::move(b));
    client.conn.send(corr, fbb, [self = shared_from_this(), batch](const status& st, const wire::Frame* f) {
      result<std::int64_t> base = st;
      if (st.ok()) {
        const auto* ok = f->body_as_ProduceOk();
        base = ok == nullptr ? result<std::int64_t>(unexpected_reply(*f))
                             : result<std::int64_t>(static_cast<std::int64_t>(ok->base_offset()));
      }
      complete(*batch, base);
      self->recycle(*batch);
    });
  }

  // Runs each record's completion: its offset, or the batch's error.
  static void complete(ProduceBatch& batch, const result<std::int64_t>& base) {
    for (std::size_t i = 0; i < batch.done.size(); ++i) {
      if (!batch.done[i]) continue;
      if (base.ok()) {
        batch.done[i](RecordMetadata{batch.partition, *base + static_cast<std::int64_t>(i)});
      } else {
        batch.done[i](base.error());
      }
    }
  }

  // Keeps the batch's buffers for a later one, then frees its slot.
  void recycle(ProduceBatch& used) {
    const std::size_t size = used.builder.size();
    {
      MutexLock lock(mu());
      if (spare.size() < 64) {
        auto b = std::make_unique<ProduceBatch>();
        std::swap(b->builder, used.builder);
        b->done.swap(used.done);
        b->done.clear();
        spare.push_back(std::move(b));
      }
    }
    finished(size);
  }

  std::shared_ptr<BatchPipeline> keep_alive() override { return shared_from_this(); }
};

Producer::Producer(Client& client, ProducerOptions options)
    : impl_(std::make_shared<Impl>(client.impl(), options)) {}

Producer::~Producer() { flush(); }

void Producer::send(std::string_view topic, std::uint32_t partition, const ProducerRecord& record,
                    Completion done) {
  status st;
  bool post = false;
  {
    MutexLock lock(impl_->mu());
    bool sealed = false;
    st = impl_->append(topic, partition, record, done, &sealed);
    post = st.ok() && impl_->drain_needed();
  }
  if (post) impl_->post_drain();
  if (!st.ok() && done) done(st);
}

void Producer::send(std::string_view topic, const ProducerRecord& record, Completion done) {
  auto count = impl_->client.partition_count(topic);
  if (!count) {
    if (done) done(count.error());
    return;
  }
  status st;
  bool post = false;
  {
    MutexLock lock(impl_->mu());
    std::uint32_t partition = 0;
    bool sticky = false;
    if (record.key) {
      partition = protocol::partition_for_key(*record.key, *count);
    } else {
      auto it = impl_->sticky.find(topic);
      if (it == impl_->sticky.end()) it = impl_->sticky.emplace(std::string(topic), 0).first;
      partition = it->second % *count;
      sticky = true;
    }
    bool sealed = false;
    st = impl_->append(topic, partition, record, done, &sealed);
    if (st.ok()) {
      // Without a key, stick to one partition per batch.
      if (sticky && sealed) impl_->sticky.find(topic)->second = (partition + 1) % *count;
      post = impl_->drain_needed();
    }
  }
  if (post) impl_->post_drain();
  if (!st.ok() && done) done(st);
}

result<std::int64_t> Producer::send_and_wait(std::string_view topic, std::uint32_t partition,
                                             const ProducerRecord& record) {
  if (impl_->client.conn.on_io_thread())
    return status(errc::internal, "send_and_wait called from the client's I/O thread");
  std::promise<result<std::int64_t>> p;
  auto f = p.get_future();
  send(topic, partition, record, [&p](result<RecordMetadata> r) {
    p.set_value(r.ok() ? result<std::int64_t>(r->offset) : result<std::int64_t>(r.error()));
  });
  return f.get();
}

void Producer::flush() { impl_->flush(); }

}  // namespace wharf
