#include "broker/storage/producer_store.h"

#include <array>

#include "broker/storage/lmdb_env.h"
#include "broker/storage/log_format.h"
#include "protocol/varint.h"

namespace wharf::storage {

namespace lf = log_format;
using protocol::load_le;
using protocol::store_be;
using protocol::store_le;

namespace {

using ProducerKey = std::array<std::uint8_t, lf::kProducerStateKeySize>;

ProducerKey producer_key(std::uint32_t topic, std::uint32_t partition, std::int64_t producer_id) {
  ProducerKey k;
  store_be<std::uint32_t>(k.data(), topic);
  store_be<std::uint32_t>(k.data() + 4, partition);
  store_be<std::uint64_t>(k.data() + 8, static_cast<std::uint64_t>(producer_id));
  return k;
}

}  // namespace

result<std::int64_t> ProducerStore::allocate_producer_id(WriteTxn& txn) {
  std::uint64_t next = 0;
  if (status st = get_meta_u64(txn.txn_, env_.dbi(Table::meta), lf::kNextProducerIdKey, lf::kFirstProducerId, &next);
      !st.ok())
    return st;
  if (next >= static_cast<std::uint64_t>(INT64_MAX)) return status(errc::storage_full, "producer ids are exhausted");
  if (status st = put_meta_u64(txn.txn_, env_.dbi(Table::meta), lf::kNextProducerIdKey, next + 1); !st.ok())
    return st;
  return static_cast<std::int64_t>(next);
}

result<std::optional<ProducerStateRecord>> ProducerStore::get(Txn& txn, std::uint32_t topic_id,
                                                              std::uint32_t partition, std::int64_t producer_id) {
  auto k = producer_key(topic_id, partition, producer_id);
  MDB_val key = to_val(k);
  MDB_val value;
  int rc = mdb_get(txn.txn_, env_.dbi(Table::producer_states), &key, &value);
  if (rc == MDB_NOTFOUND) return std::optional<ProducerStateRecord>();
  if (rc != 0) return lmdb_status(rc, "reading a producer's state");
  auto v = from_val(value);
  if (v.size() < lf::kProducerStateHeader || v[0] != lf::kProducerStateFormat ||
      v.size() != lf::kProducerStateHeader + v[3] * lf::kProducerBatchSize)
    return status(errc::storage_corrupt, "a producer state record is damaged");
  ProducerStateRecord r;
  r.epoch = load_le<std::int16_t>(v.data() + 1);
  r.last_append_ms = load_le<std::int64_t>(v.data() + 4);
  for (std::size_t i = 0; i < v[3]; ++i) {
    const std::uint8_t* b = v.data() + lf::kProducerStateHeader + i * lf::kProducerBatchSize;
    r.recent.push_back({load_le<std::int32_t>(b), load_le<std::int32_t>(b + 4), load_le<std::uint64_t>(b + 8)});
  }
  return std::optional<ProducerStateRecord>(std::move(r));
}

status ProducerStore::put(WriteTxn& txn, std::uint32_t topic_id, std::uint32_t partition, std::int64_t producer_id,
                          const ProducerStateRecord& state) {
  if (state.recent.size() > 255) return status(errc::internal, "too many batches in a producer state");
  std::vector<std::uint8_t> buf(lf::kProducerStateHeader + state.recent.size() * lf::kProducerBatchSize);
  buf[0] = lf::kProducerStateFormat;
  store_le<std::int16_t>(buf.data() + 1, state.epoch);
  buf[3] = static_cast<std::uint8_t>(state.recent.size());
  store_le<std::int64_t>(buf.data() + 4, state.last_append_ms);
  for (std::size_t i = 0; i < state.recent.size(); ++i) {
    std::uint8_t* b = buf.data() + lf::kProducerStateHeader + i * lf::kProducerBatchSize;
    store_le<std::int32_t>(b, state.recent[i].first_sequence);
    store_le<std::int32_t>(b + 4, state.recent[i].last_sequence);
    store_le<std::uint64_t>(b + 8, state.recent[i].base_offset);
  }
  auto k = producer_key(topic_id, partition, producer_id);
  MDB_val key = to_val(k);
  MDB_val value = to_val(buf);
  return lmdb_status(mdb_put(txn.txn_, env_.dbi(Table::producer_states), &key, &value, 0),
                     "writing a producer's state");
}

status ProducerStore::expire(WriteTxn& txn, std::int64_t older_than_ms, std::size_t limit,
                             std::vector<std::uint8_t>* cursor, bool* done) {
  Cursor c(txn.txn_, env_.dbi(Table::producer_states));
  if (c.open_rc() != 0) return lmdb_status(c.open_rc(), "expiring producer states");
  MDB_val key{cursor->size(), cursor->data()};
  MDB_val value;
  int rc = cursor->empty() ? c.get(&key, &value, MDB_FIRST) : c.get(&key, &value, MDB_SET_RANGE);
  for (std::size_t visited = 0; rc == 0 && visited < limit; ++visited) {
    auto v = from_val(value);
    const bool expired = v.size() >= lf::kProducerStateHeader && v[0] == lf::kProducerStateFormat &&
                         load_le<std::int64_t>(v.data() + 4) < older_than_ms;
    rc = expired ? delete_and_advance(c, &key, &value) : c.get(&key, &value, MDB_NEXT);
  }
  if (rc == MDB_NOTFOUND) {
    cursor->clear();
    *done = true;
    return {};
  }
  if (rc != 0) return lmdb_status(rc, "expiring producer states");
  auto k = from_val(key);
  cursor->assign(k.begin(), k.end());
  *done = false;
  return {};
}

status ProducerStore::purge_topic(WriteTxn& txn, std::uint32_t topic_id, std::size_t limit, bool* done) {
  std::uint8_t prefix[4];
  store_be<std::uint32_t>(prefix, topic_id);
  std::size_t deleted = 0;
  bool left = false;
  if (int rc = delete_prefix(txn.txn_, env_.dbi(Table::producer_states), prefix, limit, &deleted, &left); rc != 0)
    return lmdb_status(rc, "purging a deleted topic's producer states");
  *done = !left;
  return {};
}

}  // namespace wharf::storage
