#include "wharf/consumer.h"

#include <fmt/format.h>

#include <deque>
#include <map>

#include "base/mutex.h"
#include "client/client_impl.h"
#include "client/group_membership.h"
#include "protocol/names.h"
#include "protocol/record_batch.h"
#include "protocol/frame_builder.h"

namespace wharf {

namespace pb = protocol::batch;

struct Records::Storage {
  std::vector<std::shared_ptr<const std::vector<std::uint8_t>>> buffers;
  std::vector<std::shared_ptr<const std::string>> topics;
};

Records::Records() = default;
Records::~Records() = default;
Records::Records(Records&&) noexcept = default;
Records& Records::operator=(Records&&) noexcept = default;

std::vector<Header> ConsumerRecord::headers() const {
  return pb::decode_headers(header_bytes, header_bytes_end, header_count);
}

namespace {

// Fetched bytes of one partition, not yet fully returned by poll().
struct Chunk {
  std::shared_ptr<const std::vector<std::uint8_t>> bytes;
  std::size_t pos = 0;       // start of the first batch not fully returned
  std::size_t verified = 0;  // bytes whose batch CRCs were checked
};

struct Part {
  std::shared_ptr<const std::string> topic;
  std::uint32_t partition = 0;
  std::int64_t position = 0;      // next offset poll() returns
  std::int64_t fetch_offset = 0;  // next offset to fetch
  bool in_flight = false;
  bool removed = false;
  std::uint64_t epoch = 0;  // bumped by seek: replies to older fetches are dropped
  std::deque<Chunk> chunks;
  std::size_t buffered = 0;
  status error;
};

}  // namespace

struct Consumer::Impl : std::enable_shared_from_this<Consumer::Impl> {
  Impl(Client::Impl& c, ConsumerOptions o, Client& owner_client)
      : client(c), opts(std::move(o)), owner(owner_client) {}
  Client::Impl& client;
  ConsumerOptions opts;
  // Guards the assignment and every Part's fields.
  Mutex mu;
  CondVar cv;
  std::vector<std::shared_ptr<Part>> parts WHARF_GUARDED_BY(mu);
  std::size_t next_part WHARF_GUARDED_BY(mu) = 0;  // round-robin start for poll
  // Set while subscribed; used from the consumer's thread only.
  std::shared_ptr<client::GroupMembership> membership;

  // Replaces the assignment.
  void install(std::vector<std::shared_ptr<Part>> fresh) {
    MutexLock lock(mu);
    for (auto& p : parts) p->removed = true;
    parts = std::move(fresh);
    next_part = 0;
  }

  // Acts on the group: takes a finished join's assignment, or revokes the
  // current one and joins again. Consumer's thread, mu not held.
  status step_membership();
  // The partitions a join assigned, at the group's committed offsets.
  status take_assignment(const std::vector<TopicPartition>& tps);
  // Gives up the assignment, telling the application first.
  void revoke();

  std::shared_ptr<Part> find(const TopicPartition& tp) WHARF_REQUIRES(mu) {
    for (auto& p : parts)
      if (*p->topic == tp.topic && p->partition == tp.partition) return p;
    return nullptr;
  }

  // Starts a fetch if the partition has room for more.
  void maybe_fetch(const std::shared_ptr<Part>& p) WHARF_REQUIRES(mu) {
    if (p->in_flight || p->removed || !p->error.ok() || p->buffered >= opts.prefetch_bytes) return;
    p->in_flight = true;
    flatbuffers::FlatBufferBuilder fbb(256);
    const std::uint64_t corr = client.conn.next_correlation_id();
    auto topic = fbb.CreateString(*p->topic);
    auto body = wire::CreateFetch(fbb, topic, p->partition, static_cast<std::uint64_t>(p->fetch_offset),
                                  opts.fetch_max_bytes, static_cast<std::uint32_t>(opts.fetch_max_wait.count()));
    protocol::finish_frame(fbb, corr, body);
    client.conn.send(
        corr, fbb,
        [self = shared_from_this(), p, epoch = p->epoch](const status& st, const wire::Frame* f) {
          self->on_fetch(p, epoch, st, f);
        },
        opts.fetch_max_wait);
  }

  // I/O thread.
  void on_fetch(const std::shared_ptr<Part>& p, std::uint64_t epoch, const status& st, const wire::Frame* f) {
    MutexLock lock(mu);
    if (p->epoch != epoch || p->removed) {
      if (p->epoch == epoch) p->in_flight = false;
      return;
    }
    p->in_flight = false;
    if (!st.ok()) {
      if (st.code() == errc::offset_out_of_range && f != nullptr && opts.offset_reset != OffsetReset::none) {
        const auto* e = f->body_as_Error();
        const auto to = static_cast<std::int64_t>(opts.offset_reset == OffsetReset::earliest ? e->log_start()
                                                                                             : e->high_watermark());
        p->position = p->fetch_offset = to;
        maybe_fetch(p);
        return;
      }
      p->error = st;
      cv.notify_all();
      return;
    }
    const auto* ok = f->body_as_FetchOk();
    if (ok == nullptr) {
      p->error = unexpected_reply(*f);
      cv.notify_all();
      return;
    }
    if (ok->batches() != nullptr && ok->batches()->size() > 0) {
      auto bytes = std::make_shared<std::vector<std::uint8_t>>(ok->batches()->begin(), ok->batches()->end());
      // The next fetch starts after the last batch returned.
      std::span<const std::uint8_t> rest(*bytes);
      std::int64_t next = p->fetch_offset;
      for (auto b = pb::next_batch(&rest); !b.empty(); b = pb::next_batch(&rest))
        next = pb::base_offset(b.data()) + static_cast<std::int64_t>(pb::record_count(b.data()));
      if (next <= p->fetch_offset) {
        p->error = status(errc::corrupt_batch, "fetched data does not advance the offset");
        cv.notify_all();
        return;
      }
      p->fetch_offset = next;
      p->buffered += bytes->size();
      p->chunks.push_back({std::move(bytes), 0, 0});
      cv.notify_all();
    }
    maybe_fetch(p);
  }

  // Moves records of one partition into `out`.
  status take(Part& p, Records& out, Records::Storage& storage, std::size_t limit) WHARF_REQUIRES(mu) {
    bool topic_added = false;
    while (!p.chunks.empty() && out.records_.size() < limit) {
      Chunk& c = p.chunks.front();
      std::span<const std::uint8_t> rest(c.bytes->data() + c.pos, c.bytes->size() - c.pos);
      bool used = false;
      while (out.records_.size() < limit) {
        auto batch = pb::next_batch(&rest);
        if (batch.empty()) break;
        const std::size_t batch_start = static_cast<std::size_t>(batch.data() - c.bytes->data());
        if (batch_start >= c.verified) {
          pb::Reader check(batch);
          if (status st = check.check(); !st.ok()) return st;
          c.verified = batch_start + batch.size();
        }
        // A compressed batch's records live in a buffer of their own.
        std::shared_ptr<std::vector<std::uint8_t>> plain;
        if (pb::codec(batch.data()) != protocol::Codec::none) plain = std::make_shared<std::vector<std::uint8_t>>();
        pb::Reader reader(batch, plain.get());
        pb::RecordFields rec;
        bool complete = true;
        bool used_plain = false;
        while (reader.next(&rec)) {
          if (rec.offset < p.position) continue;
          if (out.records_.size() >= limit) {
            complete = false;
            break;
          }
          if (!topic_added) {
            storage.topics.push_back(p.topic);
            topic_added = true;
          }
          ConsumerRecord& r = out.records_.emplace_back();
          r.topic = *p.topic;
          r.partition = p.partition;
          r.offset = rec.offset;
          r.timestamp_ms = rec.timestamp_ms;
          r.key = rec.key;
          r.value = rec.value;
          r.header_bytes = rec.headers;
          r.header_bytes_end = rec.headers_end;
          r.header_count = rec.header_count;
          p.position = rec.offset + 1;
          used = true;
          used_plain = true;
        }
        if (plain && used_plain) storage.buffers.push_back(std::move(plain));
        if (!reader.ok())
          return reader.error().ok() ? status(errc::corrupt_batch, "a fetched batch has a malformed record")
                                     : reader.error();
        if (!complete) break;
        c.pos = batch_start + batch.size();
      }
      if (used) storage.buffers.push_back(c.bytes);
      if (c.pos < c.bytes->size()) break;  // the limit was reached inside this chunk
      p.buffered -= c.bytes->size();
      p.chunks.pop_front();
    }
    return {};
  }

  // Where a newly assigned partition starts, per options.start.
  result<std::int64_t> start_offset(const std::string& topic, std::uint32_t partition) {
    if (opts.start == StartFrom::committed && !opts.group.empty()) {
      auto committed = owner.committed_offsets(opts.group, topic);
      if (!committed) return committed.error();
      for (const auto& c : *committed)
        if (c.partition == partition) return c.offset;
    }
    if (opts.start == StartFrom::latest) return owner.latest_offset(topic, partition);
    return owner.earliest_offset(topic, partition);
  }

  // Forgets buffered data and moves the partition.
  void reposition(Part& p, std::int64_t offset) WHARF_REQUIRES(mu) {
    ++p.epoch;
    p.in_flight = false;
    p.chunks.clear();
    p.buffered = 0;
    p.error = status();
    p.position = p.fetch_offset = offset;
  }

  Client& owner;
};

Consumer::Consumer(Client& client, ConsumerOptions options)
    : impl_(std::make_shared<Impl>(client.impl(), std::move(options), client)) {}

Consumer::~Consumer() {
  impl_->install({});
  if (impl_->membership) impl_->membership->leave();
}

status Consumer::subscribe(const std::vector<std::string>& topics) {
  if (impl_->opts.group.empty()) return {errc::invalid_argument, "subscribe() needs ConsumerOptions::group"};
  if (topics.empty()) return {errc::invalid_argument, "subscribe() needs at least one topic"};
  if (status st = protocol::validate_name(impl_->opts.group, "group"); !st.ok()) return st;
  for (const auto& t : topics)
    if (status st = protocol::validate_name(t, "topic"); !st.ok()) return st;
  if (impl_->membership) {
    if (status st = unsubscribe(); !st.ok()) return st;
  } else {
    impl_->install({});
  }
  std::weak_ptr<Impl> weak = impl_;
  impl_->membership = std::make_shared<client::GroupMembership>(impl_->client, impl_->opts, topics, [weak] {
    if (auto self = weak.lock()) {
      MutexLock lock(self->mu);
      self->cv.notify_all();
    }
  });
  impl_->membership->join();
  return {};
}

status Consumer::unsubscribe() {
  if (!impl_->membership) return {};
  impl_->revoke();
  impl_->membership->leave();
  impl_->membership.reset();
  return {};
}

void Consumer::Impl::revoke() {
  auto current = [&] {
    MutexLock lock(mu);
    std::vector<TopicPartition> out;
    for (const auto& p : parts) out.push_back({*p->topic, p->partition});
    return out;
  }();
  if (current.empty()) return;
  if (opts.on_revoked) opts.on_revoked(current);
  install({});
}

status Consumer::Impl::step_membership() {
  if (auto joined = membership->take_joined()) {
    if (!*joined) {
      membership->request_rejoin();  // try again on the next poll
      return joined->error();
    }
    return take_assignment((*joined)->partitions);
  }
  if (membership->rejoin_needed()) {
    revoke();
    membership->join();
  }
  return {};
}

status Consumer::Impl::take_assignment(const std::vector<TopicPartition>& tps) {
  auto committed = owner.committed_offsets(opts.group);
  if (!committed) {
    membership->request_rejoin();
    return committed.error();
  }
  std::vector<std::shared_ptr<Part>> fresh;
  for (const auto& tp : tps) {
    std::optional<std::int64_t> start;
    for (const auto& c : *committed)
      if (c.topic == tp.topic && c.partition == tp.partition) start = c.offset;
    if (!start) {
      auto edge = opts.start == StartFrom::latest ? owner.latest_offset(tp.topic, tp.partition)
                                                  : owner.earliest_offset(tp.topic, tp.partition);
      if (!edge) {
        membership->request_rejoin();
        return edge.error();
      }
      start = *edge;
    }
    auto p = std::make_shared<Part>();
    p->topic = std::make_shared<const std::string>(tp.topic);
    p->partition = tp.partition;
    p->position = p->fetch_offset = *start;
    fresh.push_back(std::move(p));
  }
  install(std::move(fresh));
  if (opts.on_assigned) opts.on_assigned(tps);
  return {};
}

status Consumer::assign(const std::vector<TopicPartition>& tps) {
  if (impl_->membership)
    return {errc::invalid_argument, "the consumer is subscribed: its group assigns the partitions (unsubscribe first)"};
  std::vector<std::shared_ptr<Part>> fresh;
  for (const auto& tp : tps) {
    auto count = impl_->client.partition_count(tp.topic);
    if (!count) return count.error();
    if (tp.partition >= *count)
      return {errc::unknown_partition,
              fmt::format("topic '{}' has {} partitions; there is no partition {}", tp.topic, *count, tp.partition)};
    auto start = impl_->start_offset(tp.topic, tp.partition);
    if (!start) return start.error();
    auto p = std::make_shared<Part>();
    p->topic = std::make_shared<const std::string>(tp.topic);
    p->partition = tp.partition;
    p->position = p->fetch_offset = *start;
    fresh.push_back(std::move(p));
  }
  impl_->install(std::move(fresh));
  return {};
}

status Consumer::assign_topic(std::string_view topic) {
  auto count = impl_->client.partition_count(topic);
  if (!count) return count.error();
  std::vector<TopicPartition> tps;
  for (std::uint32_t p = 0; p < *count; ++p) tps.push_back({std::string(topic), p});
  return assign(tps);
}

std::vector<TopicPartition> Consumer::assignment() const {
  MutexLock lock(impl_->mu);
  std::vector<TopicPartition> out;
  for (const auto& p : impl_->parts) out.push_back({*p->topic, p->partition});
  return out;
}

namespace {
status not_assigned(const TopicPartition& tp) {
  return {errc::unknown_partition, fmt::format("{}/{} is not assigned to this consumer", tp.topic, tp.partition)};
}
}  // namespace

status Consumer::seek(const TopicPartition& tp, std::int64_t offset) {
  {
    MutexLock lock(impl_->mu);
    if (!impl_->find(tp)) return not_assigned(tp);
  }
  auto first = impl_->owner.earliest_offset(tp.topic, tp.partition);
  if (!first) return first.error();
  auto end = impl_->owner.latest_offset(tp.topic, tp.partition);
  if (!end) return end.error();
  if (offset < *first || offset > *end)
    return {errc::offset_out_of_range,
            fmt::format("offset {} is outside [{}, {}] of {}/{}", offset, *first, *end, tp.topic, tp.partition)};
  MutexLock lock(impl_->mu);
  auto p = impl_->find(tp);
  if (!p) return not_assigned(tp);
  impl_->reposition(*p, offset);
  return {};
}

namespace {
status seek_to(Consumer::Impl& impl, const TopicPartition& tp, result<std::int64_t> offset);
}

status Consumer::seek_to_beginning(const TopicPartition& tp) {
  return seek_to(*impl_, tp, impl_->owner.earliest_offset(tp.topic, tp.partition));
}
status Consumer::seek_to_end(const TopicPartition& tp) {
  return seek_to(*impl_, tp, impl_->owner.latest_offset(tp.topic, tp.partition));
}
status Consumer::seek_to_time(const TopicPartition& tp, std::int64_t timestamp_ms) {
  return seek_to(*impl_, tp, impl_->owner.offset_for_time(tp.topic, tp.partition, timestamp_ms));
}

namespace {
status seek_to(Consumer::Impl& impl, const TopicPartition& tp, result<std::int64_t> offset) {
  if (!offset) return offset.error();
  MutexLock lock(impl.mu);
  auto p = impl.find(tp);
  if (!p) return not_assigned(tp);
  impl.reposition(*p, *offset);
  return {};
}
}  // namespace

result<std::int64_t> Consumer::position(const TopicPartition& tp) const {
  MutexLock lock(impl_->mu);
  auto p = impl_->find(tp);
  if (!p) return not_assigned(tp);
  return p->position;
}

result<Records> Consumer::poll(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  Records out;
  out.storage_ = std::make_unique<Records::Storage>();
  auto& membership = impl_->membership;
  for (;;) {
    if (membership)
      if (status st = impl_->step_membership(); !st.ok()) return st;
    MutexLock lock(impl_->mu);
    auto& parts = impl_->parts;
    for (auto& p : parts) impl_->maybe_fetch(p);
    for (std::size_t i = 0; i < parts.size() && out.size() < impl_->opts.max_poll_records; ++i) {
      auto& p = parts[(impl_->next_part + i) % parts.size()];
      if (!p->error.ok() && p->chunks.empty()) {
        status st = p->error;
        if (st.code() != errc::offset_out_of_range) p->error = status();  // transient: fetch again next time
        if (!out.empty()) return out;
        return st;
      }
      if (status st = impl_->take(*p, out, *out.storage_, impl_->opts.max_poll_records); !st.ok()) {
        impl_->reposition(*p, p->position);
        p->error = st;
        if (!out.empty()) return out;
        p->error = status();
        return st;
      }
      impl_->maybe_fetch(p);
    }
    if (!parts.empty()) impl_->next_part = (impl_->next_part + 1) % parts.size();
    if (!out.empty() || std::chrono::steady_clock::now() >= deadline) return out;
    // The group's news wakes this wait (under mu), so none is missed.
    if (membership && membership->needs_attention()) continue;
    impl_->cv.wait_until(impl_->mu, deadline);
  }
}

status Consumer::commit() {
  if (impl_->opts.group.empty()) return {errc::invalid_argument, "commit() needs ConsumerOptions::group"};
  std::map<std::string, std::vector<std::pair<std::uint32_t, std::int64_t>>> by_topic;
  {
    MutexLock lock(impl_->mu);
    for (const auto& p : impl_->parts) by_topic[*p->topic].emplace_back(p->partition, p->position);
  }
  std::int32_t generation = -1;
  std::string member;
  if (impl_->membership) {
    std::tie(generation, member) = impl_->membership->identity();
    if (generation < 0)
      return {errc::rebalance_in_progress, "the consumer is joining its group: nothing it may commit yet"};
  }
  for (const auto& [topic, offsets] : by_topic) {
    status st = impl_->client.commit_offsets(impl_->opts.group, topic, offsets, generation, member);
    if (st.ok()) continue;
    if (impl_->membership &&
        (st.code() == errc::rebalance_in_progress || st.code() == errc::illegal_generation ||
         st.code() == errc::unknown_member || st.code() == errc::fenced_instance))
      impl_->membership->request_rejoin();
    return st;
  }
  return {};
}

}  // namespace wharf
