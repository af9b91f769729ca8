#include "broker/storage/queue_store.h"

#include <fmt/format.h>

#include <array>
#include <cstring>

#include "broker/storage/lmdb_env.h"
#include "broker/storage/queue_format.h"
#include "protocol/varint.h"

namespace wharf::storage {

using protocol::load_be;
using protocol::load_le;
using protocol::store_be;
using protocol::store_le;
namespace qf = queue_format;

namespace {

using MessageKey = std::array<std::uint8_t, qf::kMessageKeySize>;

MessageKey message_key(std::uint32_t queue, std::uint64_t id) {
  MessageKey k;
  store_be<std::uint32_t>(k.data(), queue);
  store_be<std::uint64_t>(k.data() + 4, id);
  return k;
}

std::array<std::uint8_t, 4> queue_key(std::uint32_t queue) {
  std::array<std::uint8_t, 4> k;
  store_be<std::uint32_t>(k.data(), queue);
  return k;
}

std::array<std::uint8_t, 8> id_key(std::uint64_t id) {
  std::array<std::uint8_t, 8> k;
  store_be<std::uint64_t>(k.data(), id);
  return k;
}

// Parses a stored message value; false if it is damaged.
bool parse_message(std::uint64_t id, std::span<const std::uint8_t> v, MessageView* out) {
  if (v.size() < qf::kMessageFixed || v[0] != qf::kMessageFormat) return false;
  const std::uint8_t* p = v.data();
  out->id = id;
  out->fields.priority = p[1];
  const auto flags = load_le<std::uint16_t>(p + qf::kFlagsOffset);
  out->fields.dead_lettered = (flags & qf::kFlagDeadLettered) != 0;
  out->fields.rewritten = (flags & qf::kFlagRewritten) != 0;
  out->fields.attempts = load_le<std::uint32_t>(p + 4);
  out->fields.origin_queue = load_le<std::uint32_t>(p + 8);
  out->header_count = load_le<std::uint32_t>(p + 12);
  out->fields.publish_ms = load_le<std::int64_t>(p + 16);
  out->fields.deliver_at_ms = load_le<std::int64_t>(p + 24);
  out->fields.expires_ms = load_le<std::int64_t>(p + 32);
  std::size_t pos = qf::kMessageFixed;
  for (std::uint32_t i = 0; i < out->header_count; ++i) {
    for (int part = 0; part < 2; ++part) {
      if (v.size() - pos < 4) return false;
      const auto len = load_le<std::uint32_t>(p + pos);
      if (v.size() - pos - 4 < len) return false;
      pos += 4 + len;
    }
  }
  out->headers = v.subspan(qf::kMessageFixed, pos - qf::kMessageFixed);
  out->payload = v.subspan(pos);
  return true;
}

status damaged(std::uint32_t queue, std::uint64_t id) {
  return {errc::storage_corrupt, fmt::format("stored message {} of queue id {} is damaged", id, queue)};
}

}  // namespace

std::vector<Header> decode_message_headers(std::span<const std::uint8_t> encoded, std::uint32_t count) {
  std::vector<Header> out;
  out.reserve(count);
  std::size_t pos = 0;
  for (std::uint32_t i = 0; i < count && pos + 4 <= encoded.size(); ++i) {
    std::string_view kv[2];
    for (auto& part : kv) {
      const auto len = load_le<std::uint32_t>(encoded.data() + pos);
      part = std::string_view(reinterpret_cast<const char*>(encoded.data() + pos + 4), len);
      pos += 4 + len;
    }
    out.push_back({kv[0], kv[1]});
  }
  return out;
}

std::string_view outcome_name(Outcome o) {
  switch (o) {
    case Outcome::nack: return "nack";
    case Outcome::reject: return "reject";
    case Outcome::timeout: return "timeout";
    case Outcome::expired: return "expired";
    case Outcome::disconnected: return "disconnected";
    case Outcome::overflow: return "overflow";
    case Outcome::redriven: return "redriven";
  }
  return "unknown";
}

// --- queues -----------------------------------------------------------------

result<std::uint32_t> QueueStore::allocate_queue_id(WriteTxn& txn) {
  std::uint64_t next = 0;
  if (status st = get_meta_u64(txn.txn_, env_.dbi(Table::meta), qf::kNextQueueIdKey, 1, &next); !st.ok()) return st;
  if (next >= UINT32_MAX) return status(errc::storage_full, "queue ids are exhausted");
  if (status st = put_meta_u64(txn.txn_, env_.dbi(Table::meta), qf::kNextQueueIdKey, next + 1); !st.ok()) return st;
  return static_cast<std::uint32_t>(next);
}

status QueueStore::put_queue(WriteTxn& txn, const QueueRecord& q) {
  std::vector<std::uint8_t> v(qf::kQueueValueFixed + q.dlq.size(), 0);
  std::uint8_t* p = v.data();
  store_le<std::uint32_t>(p, qf::kQueueValueVersion);
  store_le<std::uint32_t>(p + 4, q.id);
  store_le<std::uint32_t>(p + 8, q.max_deliveries);
  store_le<std::uint32_t>(p + 12, q.priorities);
  store_le<std::int64_t>(p + 16, q.ack_deadline_ms);
  store_le<std::int64_t>(p + 24, q.backoff_initial_ms);
  store_le<std::int64_t>(p + 32, q.backoff_max_ms);
  std::memcpy(p + 40, &q.backoff_multiplier, 8);
  store_le<std::int64_t>(p + 48, q.max_length);
  store_le<std::int64_t>(p + 56, q.ttl_ms);
  store_le<std::int64_t>(p + 64, q.created_ms);
  p[72] = static_cast<std::uint8_t>(q.overflow);
  p[73] = static_cast<std::uint8_t>(q.dlq_mode);
  store_le<std::uint16_t>(p + 74, static_cast<std::uint16_t>(q.dlq.size()));
  std::memcpy(p + qf::kQueueValueFixed, q.dlq.data(), q.dlq.size());
  MDB_val key{q.name.size(), const_cast<char*>(q.name.data())};
  MDB_val value{v.size(), v.data()};
  return lmdb_status(mdb_put(txn.txn_, env_.dbi(Table::queues), &key, &value, 0), "writing a queue");
}

status QueueStore::erase_queue(WriteTxn& txn, const QueueRecord& q) {
  MDB_val key{q.name.size(), const_cast<char*>(q.name.data())};
  if (int rc = mdb_del(txn.txn_, env_.dbi(Table::queues), &key, nullptr); rc != 0)
    return lmdb_status(rc, "deleting a queue");
  auto k = queue_key(q.id);
  MDB_val dk = to_val(k);
  mdb_del(txn.txn_, env_.dbi(Table::queue_stats), &dk, nullptr);
  MDB_val empty{0, nullptr};
  return lmdb_status(mdb_put(txn.txn_, env_.dbi(Table::deleting_queues), &dk, &empty, 0),
                     "queueing messages for deletion");
}

result<std::vector<QueueRecord>> QueueStore::load_queues(Txn& txn) {
  std::vector<QueueRecord> out;
  Cursor c(txn.txn_, env_.dbi(Table::queues));
  if (c.open_rc() != 0) return lmdb_status(c.open_rc(), "reading queues");
  MDB_val key;
  MDB_val value;
  for (int rc = c.get(&key, &value, MDB_FIRST); rc == 0; rc = c.get(&key, &value, MDB_NEXT)) {
    const auto* p = static_cast<const std::uint8_t*>(value.mv_data);
    if (value.mv_size < qf::kQueueValueFixed || load_le<std::uint32_t>(p) != qf::kQueueValueVersion ||
        value.mv_size != qf::kQueueValueFixed + load_le<std::uint16_t>(p + 74))
      return status(errc::storage_corrupt, "a queue record is damaged");
    QueueRecord q;
    q.name.assign(static_cast<const char*>(key.mv_data), key.mv_size);
    q.id = load_le<std::uint32_t>(p + 4);
    q.max_deliveries = load_le<std::uint32_t>(p + 8);
    q.priorities = load_le<std::uint32_t>(p + 12);
    q.ack_deadline_ms = load_le<std::int64_t>(p + 16);
    q.backoff_initial_ms = load_le<std::int64_t>(p + 24);
    q.backoff_max_ms = load_le<std::int64_t>(p + 32);
    std::memcpy(&q.backoff_multiplier, p + 40, 8);
    q.max_length = load_le<std::int64_t>(p + 48);
    q.ttl_ms = load_le<std::int64_t>(p + 56);
    q.created_ms = load_le<std::int64_t>(p + 64);
    q.overflow = static_cast<Overflow>(p[72]);
    q.dlq.assign(reinterpret_cast<const char*>(p + qf::kQueueValueFixed), load_le<std::uint16_t>(p + 74));
    if (p[73] > static_cast<std::uint8_t>(DlqMode::default_queue))
      return status(errc::storage_corrupt, "a queue record has an unknown dead-letter mode");
    q.dlq_mode = static_cast<DlqMode>(p[73]);
    // Records written before the default mode existed said "named" for both.
    if (q.dlq_mode == DlqMode::named && q.dlq == q.name + ".dlq") q.dlq_mode = DlqMode::default_queue;
    if ((q.dlq_mode == DlqMode::none) != q.dlq.empty())
      return status(errc::storage_corrupt, "a queue record's dead-letter queue is damaged");
    out.push_back(std::move(q));
  }
  return out;
}

result<std::vector<std::uint32_t>> QueueStore::load_deleting(Txn& txn) {
  std::vector<std::uint32_t> out;
  Cursor c(txn.txn_, env_.dbi(Table::deleting_queues));
  if (c.open_rc() != 0) return lmdb_status(c.open_rc(), "reading deleted queues");
  MDB_val key;
  MDB_val value;
  for (int rc = c.get(&key, &value, MDB_FIRST); rc == 0; rc = c.get(&key, &value, MDB_NEXT)) {
    if (key.mv_size != 4) return status(errc::storage_corrupt, "a deleted-queue record is damaged");
    out.push_back(load_be<std::uint32_t>(static_cast<const std::uint8_t*>(key.mv_data)));
  }
  return out;
}

status QueueStore::purge_deleted_queue(WriteTxn& txn, std::uint32_t queue_id, std::size_t limit, bool* done) {
  auto prefix = queue_key(queue_id);
  Cursor c(txn.txn_, env_.dbi(Table::queue_messages));
  if (c.open_rc() != 0) return lmdb_status(c.open_rc(), "purging a deleted queue");
  MDB_val key = to_val(prefix);
  MDB_val value;
  std::size_t deleted = 0;
  int rc = c.get(&key, &value, MDB_SET_RANGE);
  while (rc == 0 && has_prefix(key, prefix.data(), prefix.size())) {
    if (deleted >= limit) {
      *done = false;
      return {};
    }
    const auto id = load_be<std::uint64_t>(static_cast<const std::uint8_t*>(key.mv_data) + 4);
    if (status st = delete_history(txn, id); !st.ok()) return st;
    ++deleted;
    rc = delete_and_advance(c, &key, &value);
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return lmdb_status(rc, "purging a deleted queue");
  MDB_val dk = to_val(prefix);
  rc = mdb_del(txn.txn_, env_.dbi(Table::deleting_queues), &dk, nullptr);
  if (rc != 0 && rc != MDB_NOTFOUND) return lmdb_status(rc, "finishing a queue deletion");
  *done = true;
  return {};
}

result<std::uint64_t> QueueStore::load_next_message_id(Txn& txn) {
  std::uint64_t next = 0;
  if (status st = get_meta_u64(txn.txn_, env_.dbi(Table::meta), qf::kNextMessageIdKey, 1, &next); !st.ok()) return st;
  return next;
}

status QueueStore::put_next_message_id(WriteTxn& txn, std::uint64_t next) {
  return put_meta_u64(txn.txn_, env_.dbi(Table::meta), qf::kNextMessageIdKey, next);
}

// --- messages ----------------------------------------------------------------

status QueueStore::put_message(WriteTxn& txn, std::uint32_t queue_id, std::uint64_t id, const MessageFields& f,
                               std::span<const Header> headers, std::span<const std::uint8_t> payload) {
  std::size_t size = qf::kMessageFixed + payload.size();
  for (const auto& h : headers) size += 8 + h.key.size() + h.value.size();
  if (status st = txn.reserve_space(size); !st.ok()) return st;
  auto k = message_key(queue_id, id);
  MDB_val key = to_val(k);
  MDB_val value{size, nullptr};
  // Ids grow, so the newest queue's messages go at the table's end: an
  // append skips the search and fills pages instead of splitting them in
  // half. Any other key is refused untouched (MDB_KEYEXIST): a plain put.
  int rc = mdb_put(txn.txn_, env_.dbi(Table::queue_messages), &key, &value, MDB_RESERVE | MDB_APPEND);
  if (rc == MDB_KEYEXIST) rc = mdb_put(txn.txn_, env_.dbi(Table::queue_messages), &key, &value, MDB_RESERVE);
  if (rc != 0) return lmdb_status(rc, "storing a message");
  auto* p = static_cast<std::uint8_t*>(value.mv_data);
  std::memset(p, 0, qf::kMessageFixed);
  p[0] = qf::kMessageFormat;
  p[1] = f.priority;
  store_le<std::uint16_t>(p + qf::kFlagsOffset, f.dead_lettered ? qf::kFlagDeadLettered : 0);
  store_le<std::uint32_t>(p + 4, f.attempts);
  store_le<std::uint32_t>(p + 8, f.origin_queue);
  store_le<std::uint32_t>(p + 12, static_cast<std::uint32_t>(headers.size()));
  store_le<std::int64_t>(p + 16, f.publish_ms);
  store_le<std::int64_t>(p + 24, f.deliver_at_ms);
  store_le<std::int64_t>(p + 32, f.expires_ms);
  std::uint8_t* w = p + qf::kMessageFixed;
  for (const auto& h : headers) {
    for (std::string_view part : {h.key, h.value}) {
      store_le<std::uint32_t>(w, static_cast<std::uint32_t>(part.size()));
      if (!part.empty()) std::memcpy(w + 4, part.data(), part.size());
      w += 4 + part.size();
    }
  }
  if (!payload.empty()) std::memcpy(w, payload.data(), payload.size());
  return {};
}

status QueueStore::rewrite_message(WriteTxn& txn, std::uint32_t from_queue, std::uint32_t to_queue, std::uint64_t id,
                                   const MessageRewrite& r, MessageView* out) {
  auto k = message_key(from_queue, id);
  MDB_val key = to_val(k);
  MDB_val old;
  // One search finds the message for the read and, within its queue, for
  // the overwrite (MDB_CURRENT). MDB_SET leaves `key` pointing at k: a key
  // pointing into the page would be read after LMDB has moved that page's
  // nodes (a value on overflow pages is deleted and re-added).
  Cursor c(txn.txn_, env_.dbi(Table::queue_messages));
  if (c.open_rc() != 0) return lmdb_status(c.open_rc(), "reading a message");
  int rc = c.get(&key, &old, MDB_SET);
  if (rc != 0) return rc == MDB_NOTFOUND ? damaged(from_queue, id) : lmdb_status(rc, "reading a message");
  if (old.mv_size < qf::kMessageFixed) return damaged(from_queue, id);
  // Copy first: the old value may sit on a page the put below replaces.
  scratch_.assign(static_cast<const std::uint8_t*>(old.mv_data),
                  static_cast<const std::uint8_t*>(old.mv_data) + old.mv_size);
  store_le<std::uint32_t>(scratch_.data() + qf::kAttemptsOffset, r.attempts);
  store_le<std::uint16_t>(scratch_.data() + qf::kFlagsOffset,
                          qf::kFlagRewritten | (r.dead_lettered ? qf::kFlagDeadLettered : 0));
  store_le<std::int64_t>(scratch_.data() + qf::kDeliverAtOffset, r.deliver_at_ms);
  // A dead letter does not expire again in its dead-letter queue.
  if (r.dead_lettered) store_le<std::int64_t>(scratch_.data() + qf::kExpiresOffset, 0);
  MDB_val value{scratch_.size(), scratch_.data()};
  if (from_queue == to_queue) {
    if (int p = mdb_cursor_put(c.raw(), &key, &value, MDB_CURRENT); p != 0)
      return lmdb_status(p, "rewriting a message");
  } else {
    if (status st = txn.reserve_space(scratch_.size()); !st.ok()) return st;
    if (int d = c.del(); d != 0) return lmdb_status(d, "moving a message");
    k = message_key(to_queue, id);
    key = to_val(k);
    if (int p = mdb_put(txn.txn_, env_.dbi(Table::queue_messages), &key, &value, 0); p != 0)
      return lmdb_status(p, "rewriting a message");
  }
  if (out != nullptr && !parse_message(id, scratch_, out)) return damaged(to_queue, id);
  return {};
}

status QueueStore::delete_message(WriteTxn& txn, std::uint32_t queue_id, std::uint64_t id) {
  auto k = message_key(queue_id, id);
  MDB_val key = to_val(k);
  const int rc = mdb_del(txn.txn_, env_.dbi(Table::queue_messages), &key, nullptr);
  if (rc == MDB_NOTFOUND) return damaged(queue_id, id);
  return lmdb_status(rc, "deleting a message");
}

status QueueStore::get_message(Txn& txn, std::uint32_t queue_id, std::uint64_t id, MessageView* out, bool* found) {
  auto k = message_key(queue_id, id);
  MDB_val key = to_val(k);
  MDB_val value;
  const int rc = mdb_get(txn.txn_, env_.dbi(Table::queue_messages), &key, &value);
  *found = rc == 0;
  if (rc == MDB_NOTFOUND) return {};
  if (rc != 0) return lmdb_status(rc, "reading a message");
  if (!parse_message(id, from_val(value), out)) return damaged(queue_id, id);
  return {};
}

status QueueStore::scan_messages(Txn& txn, std::uint32_t queue_id, const std::function<bool(const MessageView&)>& fn,
                                 std::uint64_t from_id) {
  const auto start = message_key(queue_id, from_id);
  return scan_prefix_from(txn.txn_, env_.dbi(Table::queue_messages), start.data(), start.size(),
                          queue_key(queue_id).size(), "reading messages",
                          [&](const MDB_val& key, const MDB_val& value) -> result<bool> {
                            if (key.mv_size != qf::kMessageKeySize)
                              return status(errc::storage_corrupt, "a message key is damaged");
                            const auto id =
                                load_be<std::uint64_t>(static_cast<const std::uint8_t*>(key.mv_data) + 4);
                            MessageView m;
                            if (!parse_message(id, from_val(value), &m)) return damaged(queue_id, id);
                            return fn(m);
                          });
}

// --- history ------------------------------------------------------------------

status QueueStore::append_history(WriteTxn& txn, std::uint64_t id, std::uint32_t seq, const HistoryEntry& e) {
  const std::size_t consumer = std::min<std::size_t>(e.consumer.size(), 1024);
  const std::size_t reason = std::min<std::size_t>(e.reason.size(), 1024);
  std::vector<std::uint8_t> v(qf::kHistoryFixed + consumer + reason, 0);
  store_le<std::int64_t>(v.data(), e.time_ms);
  v[8] = static_cast<std::uint8_t>(e.outcome);
  store_le<std::uint16_t>(v.data() + 10, static_cast<std::uint16_t>(consumer));
  store_le<std::uint16_t>(v.data() + 12, static_cast<std::uint16_t>(reason));
  std::memcpy(v.data() + qf::kHistoryFixed, e.consumer.data(), consumer);
  std::memcpy(v.data() + qf::kHistoryFixed + consumer, e.reason.data(), reason);
  std::uint8_t k[12];
  store_be<std::uint64_t>(k, id);
  store_be<std::uint32_t>(k + 8, seq);
  MDB_val key{sizeof(k), k};
  MDB_val value{v.size(), v.data()};
  return lmdb_status(mdb_put(txn.txn_, env_.dbi(Table::queue_history), &key, &value, 0), "writing history");
}

status QueueStore::delete_history(WriteTxn& txn, std::uint64_t id) {
  auto prefix = id_key(id);
  std::size_t deleted = 0;
  bool left = false;
  return lmdb_status(delete_prefix(txn.txn_, env_.dbi(Table::queue_history), prefix, SIZE_MAX, &deleted, &left),
                     "deleting history");
}

result<std::vector<HistoryEntry>> QueueStore::history(Txn& txn, std::uint64_t id) {
  std::vector<HistoryEntry> out;
  const auto prefix = id_key(id);
  status st = scan_prefix(
      txn.txn_, env_.dbi(Table::queue_history), prefix.data(), prefix.size(), "reading history",
      [&](const MDB_val&, const MDB_val& value) -> result<bool> {
        const auto* p = static_cast<const std::uint8_t*>(value.mv_data);
        if (value.mv_size < qf::kHistoryFixed) return status(errc::storage_corrupt, "a history record is damaged");
        const auto consumer = load_le<std::uint16_t>(p + 10);
        const auto reason = load_le<std::uint16_t>(p + 12);
        if (value.mv_size != qf::kHistoryFixed + consumer + reason)
          return status(errc::storage_corrupt, "a history record is damaged");
        HistoryEntry e;
        e.time_ms = load_le<std::int64_t>(p);
        e.outcome = static_cast<Outcome>(p[8]);
        e.consumer.assign(reinterpret_cast<const char*>(p + qf::kHistoryFixed), consumer);
        e.reason.assign(reinterpret_cast<const char*>(p + qf::kHistoryFixed + consumer), reason);
        out.push_back(std::move(e));
        return true;
      });
  if (!st.ok()) return st;
  return out;
}

status QueueStore::scan_history_counts(Txn& txn, const std::function<void(std::uint64_t, std::uint32_t)>& fn) {
  Cursor c(txn.txn_, env_.dbi(Table::queue_history));
  if (c.open_rc() != 0) return lmdb_status(c.open_rc(), "reading history");
  MDB_val key;
  MDB_val value;
  std::uint64_t current = 0;
  std::uint32_t count = 0;
  int rc = c.get(&key, &value, MDB_FIRST);
  for (; rc == 0; rc = c.get(&key, &value, MDB_NEXT)) {
    if (key.mv_size != 12) return status(errc::storage_corrupt, "a history key is damaged");
    const auto id = load_be<std::uint64_t>(static_cast<const std::uint8_t*>(key.mv_data));
    if (count > 0 && id != current) {
      fn(current, count);
      count = 0;
    }
    current = id;
    count = load_be<std::uint32_t>(static_cast<const std::uint8_t*>(key.mv_data) + 8) + 1;
  }
  if (count > 0) fn(current, count);
  if (rc != MDB_NOTFOUND) return lmdb_status(rc, "reading history");
  return {};
}

// --- counters ------------------------------------------------------------------

status QueueStore::put_stats(WriteTxn& txn, std::uint32_t queue_id, const QueueStats& s) {
  auto k = queue_key(queue_id);
  std::uint8_t v[qf::kStatsValueSize];
  store_le<std::uint64_t>(v, s.dead_lettered);
  store_le<std::uint64_t>(v + 8, s.dropped);
  store_le<std::uint64_t>(v + 16, s.expired);
  store_le<std::uint64_t>(v + 24, s.first_delivered_through);
  MDB_val key = to_val(k);
  MDB_val value{sizeof(v), v};
  return lmdb_status(mdb_put(txn.txn_, env_.dbi(Table::queue_stats), &key, &value, 0), "writing queue counters");
}

result<QueueStats> QueueStore::get_stats(Txn& txn, std::uint32_t queue_id) {
  auto k = queue_key(queue_id);
  MDB_val key = to_val(k);
  MDB_val value;
  const int rc = mdb_get(txn.txn_, env_.dbi(Table::queue_stats), &key, &value);
  if (rc == MDB_NOTFOUND) return QueueStats{};
  if (rc != 0) return lmdb_status(rc, "reading queue counters");
  if (value.mv_size != qf::kStatsValueSize && value.mv_size != qf::kStatsValueSizeV1)
    return status(errc::storage_corrupt, "queue counters are damaged");
  const auto* p = static_cast<const std::uint8_t*>(value.mv_data);
  QueueStats s{load_le<std::uint64_t>(p), load_le<std::uint64_t>(p + 8), load_le<std::uint64_t>(p + 16), 0};
  if (value.mv_size == qf::kStatsValueSize) s.first_delivered_through = load_le<std::uint64_t>(p + 24);
  return s;
}

}  // namespace wharf::storage
