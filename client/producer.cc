// Producer: records are added to the open batch of their partition (a
// RecordBatch being built); the shared pipeline (batch_pipeline.h) seals,
// sends and confirms them.
#include "wharf/producer.h"

#include <fmt/format.h>

#include <algorithm>
#include <future>
#include <unordered_map>

#include "base/clock.h"
#include "client/batch_pipeline.h"
#include "client/client_impl.h"
#include "client/open_batches.h"
#include "protocol/frame_builder.h"
#include "protocol/murmur2.h"
#include "protocol/record_batch.h"

namespace wharf {
namespace {

using client::OpenBatches;
using client::PartitionSequence;
using client::ProduceBatch;
using client::StringHash;
using SharedBatch = std::shared_ptr<ProduceBatch>;

// Sequences wrap from INT32_MAX to 0, as Kafka's do.
std::int32_t advance(std::int32_t seq, std::uint32_t records) {
  return static_cast<std::int32_t>((static_cast<std::int64_t>(seq) + records) % (std::int64_t{INT32_MAX} + 1));
}

void sort_by_send_order(std::vector<SharedBatch>& batches) {
  std::sort(batches.begin(), batches.end(),
            [](const SharedBatch& a, const SharedBatch& b) { return a->send_order < b->send_order; });
}

// Errors after which the batch's outcome is unknown: resending is safe.
bool resendable(errc code) {
  return code == errc::disconnected || code == errc::connection_failed || code == errc::timeout ||
         code == errc::shutting_down;
}

client::PipelineLimits limits_of(const ProducerOptions& o) {
  return {o.linger, o.batch_bytes, o.max_in_flight, o.buffer_bytes, o.max_block};
}

}  // namespace

namespace client {

// An idempotent producer's numbering of one partition's batches. Batches
// whose answer was lost are resent in order before any newer one. When a
// batch fails for good, the broker refuses the ones sent after it as out of
// order; the partition then drains (sends nothing new) until every batch in
// flight has answered, goes back to the failed batch's sequence, and sends
// the refused and the held batches again in their original order. If the
// failed batch's outcome is unknown (no answer until delivery_timeout), the
// broker may hold it, so the partition moves to a new epoch at sequence 0
// instead (the broker keeps epochs per partition, as Kafka does).
struct PartitionSequence {
  std::int16_t epoch = 0;
  bool bump_epoch = false;
  std::int32_t next = 0;
  std::size_t in_flight = 0;
  // Batches waiting to be resent: new ones wait behind them.
  std::size_t resending = 0;
  bool draining = false;
  std::int32_t restart_at = 0;
  std::vector<SharedBatch> held;
};

}  // namespace client

struct Producer::Impl final : client::BatchPipeline<ProduceBatch>, std::enable_shared_from_this<Producer::Impl> {
  Impl(Client::Impl& c, const ProducerOptions& o)
      : BatchPipeline(c.conn, limits_of(o)),
        client(c),
        codec(static_cast<protocol::Codec>(o.compression)),
        delivery_timeout(o.delivery_timeout),
        resend_timer(c.conn.io()) {
    if (o.idempotent && !c.conn.on_io_thread()) init_producer_id();
  }

  Client::Impl& client;
  const protocol::Codec codec;
  const std::chrono::milliseconds delivery_timeout;
  // The broker's id for this producer; -1: not idempotent.
  std::int64_t producer_id = -1;
  std::int16_t producer_epoch = 0;
  // I/O thread only.
  std::unordered_map<std::string, std::vector<std::unique_ptr<PartitionSequence>>> sequences;
  std::uint64_t sends = 0;
  std::vector<SharedBatch> to_resend;
  asio::steady_timer resend_timer;
  bool resend_armed = false;
  OpenBatches open WHARF_GUARDED_BY(mu());
  std::unordered_map<std::string, std::uint32_t, StringHash, std::equal_to<>> sticky WHARF_GUARDED_BY(mu());
  flatbuffers::FlatBufferBuilder fbb{256u << 10};  // I/O thread only

  // Appends one record to its partition's open batch. On error (buffer
  // full past max_block) the caller completes `done`. *sealed tells whether
  // the partition's batch was closed by this record.
  status append(std::string_view topic, std::uint32_t partition, const ProducerRecord& record, Completion& done,
                bool* sealed) WHARF_REQUIRES(mu()) {
    if (status st = wait_for_room(); !st.ok()) return st;
    buffered(open.add(topic, partition, record, done, limits().batch_bytes, [&](BatchPtr b) {
      mu().assert_held();  // called inside add, under this function's lock
      seal(std::move(b));
      *sealed = true;
    }));
    return {};
  }

  Clock::time_point seal_lingering(Clock::time_point now, std::size_t room) override WHARF_REQUIRES(mu()) {
    return open.seal_lingering(now, room, limits().linger, [&](BatchPtr b) {
      mu().assert_held();
      seal(std::move(b));
    });
  }

  void seal_all() override WHARF_REQUIRES(mu()) {
    open.seal_all([&](BatchPtr b) {
      mu().assert_held();
      seal(std::move(b));
    });
  }

  void init_producer_id() {
    auto id = client.call<std::pair<std::int64_t, std::int16_t>>(
        [](flatbuffers::FlatBufferBuilder& fbb, std::uint64_t corr) {
          protocol::finish_frame(fbb, corr, wire::CreateInitProducer(fbb));
        },
        [](const wire::Frame& f) -> result<std::pair<std::int64_t, std::int16_t>> {
          const auto* ok = f.body_as_InitProducerOk();
          if (ok == nullptr) return unexpected_reply(f);
          return std::make_pair(ok->producer_id(), ok->epoch());
        });
    // A broker without producer ids gets a plain producer.
    if (id) std::tie(producer_id, producer_epoch) = *id;
  }

  PartitionSequence& sequence_of(const ProduceBatch& b) {
    auto& slots = sequences[b.topic];
    if (slots.size() <= b.partition) slots.resize(b.partition + 1);
    auto& s = slots[b.partition];
    if (!s) {
      s = std::make_unique<PartitionSequence>();
      s->epoch = producer_epoch;
    }
    return *s;
  }

  void send_batch(BatchPtr b) override {
    SharedBatch batch(std::move(b));
    batch->send_order = ++sends;
    batch->first_sent = Clock::now();
    if (producer_id >= 0) {
      auto& seq = sequence_of(*batch);
      batch->sequence = &seq;
      if (seq.draining || seq.resending > 0) {
        seq.held.push_back(std::move(batch));
        return;
      }
    }
    seal_and_send(batch);
  }

  // Numbers (if idempotent), finishes and sends a batch; false if it
  // could not be finished (its records then failed).
  bool seal_and_send(const SharedBatch& batch) {
    protocol::batch::ProducerStamp stamp;
    if (batch->sequence != nullptr) {
      auto& seq = *batch->sequence;
      batch->base_sequence = seq.next;
      seq.next = advance(seq.next, batch->builder.count());
      stamp = {producer_id, seq.epoch, batch->base_sequence, 0};
    }
    auto sealed = batch->builder.finish(codec, stamp);
    if (!sealed) {
      batch->complete(sealed.error());
      recycle(*batch);
      return false;
    }
    batch->bytes = *sealed;
    transmit(batch);
    return true;
  }

  void transmit(const SharedBatch& batch) {
    if (batch->sequence != nullptr) ++batch->sequence->in_flight;
    fbb.Clear();
    const std::uint64_t corr = client.conn.next_correlation_id();
    auto topic = fbb.CreateString(batch->topic);
    auto vec = fbb.CreateVector(batch->bytes.data(), batch->bytes.size());
    protocol::finish_frame(fbb, corr, wire::CreateProduce(fbb, topic, batch->partition, vec));
    // The handler owns the batch: dropped unrun, it still frees it.
    client.conn.send(corr, fbb, [self = shared_from_this(), batch](const status& st, const wire::Frame* f) {
      result<std::int64_t> base = st;
      if (st.ok()) {
        const auto* ok = f->body_as_ProduceOk();
        base = ok == nullptr ? result<std::int64_t>(unexpected_reply(*f))
                             : result<std::int64_t>(static_cast<std::int64_t>(ok->base_offset()));
      }
      self->on_reply(batch, base);
    });
  }

  void on_reply(const SharedBatch& batch, const result<std::int64_t>& base) {
    PartitionSequence* seq = batch->sequence;
    if (seq != nullptr) {
      --seq->in_flight;
      if (!base.ok()) {
        const errc code = base.error().code();
        if (resendable(code) && Clock::now() - batch->first_sent < delivery_timeout) {
          ++seq->in_flight;  // still in flight: nothing after it may overtake
          schedule_resend(batch);
          return;
        }
        if (code == errc::out_of_order_sequence && seq->draining) {
          seq->held.push_back(batch);  // refused because an earlier one failed: send again
          end_drain_if_done(*seq);
          return;
        }
        if (!seq->draining) {
          seq->draining = true;
          seq->restart_at = batch->base_sequence;
        }
        if (resendable(code)) seq->bump_epoch = true;
      }
    }
    batch->complete(base);
    recycle(*batch);
    if (seq != nullptr) end_drain_if_done(*seq);
  }

  void end_drain_if_done(PartitionSequence& seq) {
    if (!seq.draining || seq.in_flight > 0) return;
    seq.draining = false;
    seq.next = seq.restart_at;
    if (seq.bump_epoch && seq.epoch < INT16_MAX) {
      ++seq.epoch;
      seq.next = 0;
    }
    seq.bump_epoch = false;
    auto held = std::move(seq.held);
    seq.held.clear();
    sort_by_send_order(held);
    for (auto& b : held) seal_and_send(b);
  }

  // Resends after a pause (the next send reconnects), oldest first.
  void schedule_resend(const SharedBatch& batch) {
    ++batch->sequence->resending;
    to_resend.push_back(batch);
    if (resend_armed) return;
    resend_armed = true;
    resend_timer.expires_after(std::chrono::milliseconds(100));
    resend_timer.async_wait([self = shared_from_this()](asio::error_code) {
      self->resend_armed = false;
      auto batches = std::move(self->to_resend);
      self->to_resend.clear();
      sort_by_send_order(batches);
      for (auto& b : batches) {
        --b->sequence->resending;
        --b->sequence->in_flight;  // transmit counts it again
        self->transmit(b);
      }
      // Then what was held behind them.
      for (auto& b : batches) {
        auto& seq = *b->sequence;
        if (seq.resending > 0 || seq.draining || seq.held.empty()) continue;
        auto held = std::move(seq.held);
        seq.held.clear();
        sort_by_send_order(held);
        for (auto& h : held) self->seal_and_send(h);
      }
    });
  }

  // Keeps the batch's buffers for a later one, then frees its slot.
  void recycle(ProduceBatch& used) {
    const std::size_t size = used.builder.size();
    {
      MutexLock lock(mu());
      open.recycle(used);
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

bool Producer::idempotent() const noexcept { return impl_->producer_id >= 0; }

}  // namespace wharf
