#include "wharf/producer.h"

#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <fmt/format.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <unordered_map>

#include "client/client_impl.h"
#include "protocol/murmur2.h"
#include "protocol/record_batch.h"
#include "protocol/frame_builder.h"

namespace wharf {
namespace {

using Clock = std::chrono::steady_clock;

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

}  // namespace

struct Producer::Impl : std::enable_shared_from_this<Producer::Impl> {
  struct Batch {
    std::string topic;
    std::uint32_t partition = 0;
    protocol::batch::Builder builder;
    std::vector<Completion> done;
    Clock::time_point first_at;
  };
  using BatchPtr = std::unique_ptr<Batch>;

  Impl(Client::Impl& c, ProducerOptions o) : client(c), opts(o), linger_timer(c.conn.io()) {}

  Client::Impl& client;
  ProducerOptions opts;

  std::mutex mu;
  std::condition_variable cv;
  // Open batches: topic -> partition -> batch (null when none is open).
  std::unordered_map<std::string, std::vector<BatchPtr>, StringHash, std::equal_to<>> open;  // guarded by mu
  std::deque<BatchPtr> ready;                // sealed, waiting for an in-flight slot; guarded by mu
  std::vector<BatchPtr> spare;               // recycled batches; guarded by mu
  std::unordered_map<std::string, std::uint32_t, StringHash, std::equal_to<>> sticky;  // guarded by mu
  std::size_t buffered = 0;                  // bytes not yet confirmed; guarded by mu
  std::size_t open_count = 0;                // guarded by mu
  std::size_t in_flight = 0;                 // guarded by mu
  bool drain_posted = false;                 // guarded by mu
  std::string_view last_topic;               // key of *last_slots; guarded by mu
  std::vector<BatchPtr>* last_slots = nullptr;  // guarded by mu

  // I/O thread only.
  asio::steady_timer linger_timer;
  bool linger_armed = false;
  flatbuffers::FlatBufferBuilder fbb{256u << 10};

  BatchPtr take_batch(std::string_view topic, std::uint32_t partition) {
    BatchPtr b;
    if (!spare.empty()) {
      b = std::move(spare.back());
      spare.pop_back();
    } else {
      b = std::make_unique<Batch>();
    }
    b->topic.assign(topic);
    b->partition = partition;
    b->builder.clear();
    b->done.clear();
    b->first_at = Clock::now();
    return b;
  }

  // Appends one record; returns false (and completes `done`) on timeout.
  // Sets *sealed when the partition's batch was closed by this record.
  bool append(std::unique_lock<std::mutex>& lock, std::string_view topic, std::uint32_t partition,
              const ProducerRecord& record, Completion& done, bool* sealed) {
    const auto deadline = Clock::now() + opts.max_block;
    if (buffered >= opts.buffer_bytes && client.conn.on_io_thread()) {
      // Waiting here would block the thread that frees the buffer.
      lock.unlock();
      if (done) done(status(errc::too_many_requests, "producer buffer is full (send from a completion)"));
      lock.lock();
      return false;
    }
    while (buffered >= opts.buffer_bytes) {
      if (cv.wait_until(lock, deadline) == std::cv_status::timeout && buffered >= opts.buffer_bytes) {
        lock.unlock();
        if (done) done(status(errc::timeout, "producer buffer stayed full for max_block"));
        lock.lock();
        return false;
      }
    }
    // Most sends go to the topic of the previous send: skip the hash lookup.
    if (last_slots == nullptr || last_topic != topic) {
      auto it = open.find(topic);
      if (it == open.end()) it = open.emplace(std::string(topic), std::vector<BatchPtr>()).first;
      last_topic = it->first;
      last_slots = &it->second;
    }
    auto& slots = *last_slots;
    if (slots.size() <= partition) slots.resize(partition + 1);
    BatchPtr& b = slots[partition];
    if (b && !b->builder.empty() && b->builder.size_with(record) > opts.batch_bytes) {
      ready.push_back(std::move(b));
      --open_count;
      *sealed = true;
    }
    if (!b) {
      b = take_batch(topic, partition);
      ++open_count;
      buffered += b->builder.size();  // the batch header
    }
    const std::size_t before = b->builder.size();
    b->builder.add(record, record.timestamp_ms < 0 ? wall_ms() : record.timestamp_ms);
    b->done.push_back(std::move(done));
    buffered += b->builder.size() - before;
    if (b->builder.size() >= opts.batch_bytes) {
      ready.push_back(std::move(b));
      --open_count;
      *sealed = true;
    }
    return true;
  }

  void schedule_drain(std::unique_lock<std::mutex>& lock) {
    if (drain_posted) return;
    drain_posted = true;
    lock.unlock();
    asio::post(client.conn.io(), [self = shared_from_this()] { self->drain(); });
    lock.lock();
  }

  // I/O thread: fills free in-flight slots with sealed batches, then with
  // open batches whose linger has passed.
  void drain() {
    std::vector<BatchPtr> to_send;
    Clock::time_point next_due = Clock::time_point::max();
    {
      std::lock_guard lock(mu);
      drain_posted = false;
      const auto now = Clock::now();
      while (in_flight < opts.max_in_flight && !ready.empty()) {
        to_send.push_back(std::move(ready.front()));
        ready.pop_front();
        ++in_flight;
      }
      if (in_flight < opts.max_in_flight && open_count > 0) {
        for (auto& [topic, slots] : open) {
          for (auto& b : slots) {
            if (!b) continue;
            const auto due = b->first_at + opts.linger;
            if (due <= now && in_flight < opts.max_in_flight) {
              to_send.push_back(std::move(b));
              --open_count;
              ++in_flight;
            } else {
              next_due = std::min(next_due, due);
            }
          }
        }
      }
    }
    for (auto& b : to_send) send_batch(std::move(b));
    if (next_due != Clock::time_point::max() && !linger_armed) {
      linger_armed = true;
      linger_timer.expires_at(next_due);
      linger_timer.async_wait([self = shared_from_this()](asio::error_code) {
        self->linger_armed = false;
        self->drain();
      });
    }
  }

  void send_batch(BatchPtr b) {
    auto bytes = b->builder.finish();
    fbb.Clear();
    const std::uint64_t corr = client.conn.next_correlation_id();
    auto topic = fbb.CreateString(b->topic);
    auto vec = fbb.CreateVector(bytes.data(), bytes.size());
    auto body = wire::CreateProduce(fbb, topic, b->partition, vec);
    protocol::finish_frame(fbb, corr, body);
    const std::size_t size = b->builder.size();
    Batch* raw = b.release();
    client.conn.send(corr, fbb, [self = shared_from_this(), raw, size](const status& st, const wire::Frame* f) {
      BatchPtr batch(raw);
      result<std::int64_t> base = st.ok() ? result<std::int64_t>(0) : result<std::int64_t>(st);
      if (st.ok()) {
        const auto* ok = f->body_as_ProduceOk();
        base = ok == nullptr ? result<std::int64_t>(unexpected_reply(*f))
                             : result<std::int64_t>(static_cast<std::int64_t>(ok->base_offset()));
      }
      for (std::size_t i = 0; i < batch->done.size(); ++i) {
        if (!batch->done[i]) continue;
        if (base.ok()) {
          batch->done[i](RecordMetadata{batch->partition, *base + static_cast<std::int64_t>(i)});
        } else {
          batch->done[i](base.error());
        }
      }
      {
        std::lock_guard lock(self->mu);
        --self->in_flight;
        self->buffered -= size;
        batch->done.clear();
        if (self->spare.size() < 64) self->spare.push_back(std::move(batch));
      }
      self->cv.notify_all();
      self->drain();
    });
  }
};

Producer::Producer(Client& client, ProducerOptions options)
    : impl_(std::make_shared<Impl>(client.impl(), options)) {
  if (impl_->opts.max_in_flight == 0) impl_->opts.max_in_flight = 1;
}

Producer::~Producer() { flush(); }

void Producer::send(std::string_view topic, std::uint32_t partition, const ProducerRecord& record,
                    Completion done) {
  std::unique_lock lock(impl_->mu);
  bool sealed = false;
  if (!impl_->append(lock, topic, partition, record, done, &sealed)) return;
  impl_->schedule_drain(lock);
}

void Producer::send(std::string_view topic, const ProducerRecord& record, Completion done) {
  auto count = impl_->client.partition_count(topic);
  if (!count) {
    if (done) done(count.error());
    return;
  }
  std::unique_lock lock(impl_->mu);
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
  if (!impl_->append(lock, topic, partition, record, done, &sealed)) return;
  if (sticky && sealed) {
    auto it = impl_->sticky.find(topic);
    it->second = (partition + 1) % *count;
  }
  impl_->schedule_drain(lock);
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

void Producer::flush() {
  if (impl_->client.conn.on_io_thread()) return;
  std::unique_lock lock(impl_->mu);
  for (auto& [topic, slots] : impl_->open)
    for (auto& b : slots)
      if (b) {
        impl_->ready.push_back(std::move(b));
        --impl_->open_count;
      }
  impl_->schedule_drain(lock);
  impl_->cv.wait(lock, [&] { return impl_->buffered == 0 && impl_->in_flight == 0; });
}

}  // namespace wharf
