#include "broker/storage/log_store.h"

#include <fmt/format.h>

#include <array>
#include <cstring>
#include <limits>

#include "broker/storage/lmdb_env.h"
#include "broker/storage/log_format.h"
#include "protocol/record_batch.h"
#include "protocol/varint.h"

namespace wharf::storage {

using protocol::load_be;
using protocol::load_le;
using protocol::store_be;
using protocol::store_le;
namespace lf = log_format;

namespace {

using PartitionKey = std::array<std::uint8_t, lf::kPartitionKeySize>;
using BatchKey = std::array<std::uint8_t, lf::kBatchKeySize>;

PartitionKey partition_key(std::uint32_t topic, std::uint32_t partition) {
  PartitionKey k;
  store_be<std::uint32_t>(k.data(), topic);
  store_be<std::uint32_t>(k.data() + 4, partition);
  return k;
}

BatchKey batch_key(std::uint32_t topic, std::uint32_t partition, std::uint64_t n) {
  BatchKey k;
  store_be<std::uint32_t>(k.data(), topic);
  store_be<std::uint32_t>(k.data() + 4, partition);
  store_be<std::uint64_t>(k.data() + 8, n);
  return k;
}

bool same_prefix(const MDB_val& key, const std::uint8_t* prefix, std::size_t n) {
  return has_prefix(key, prefix, n);
}

std::uint64_t key_u64(const MDB_val& key) {
  return load_be<std::uint64_t>(static_cast<const std::uint8_t*>(key.mv_data) + 8);
}

// The RecordBatch inside a stored value, or an empty span if the value is damaged.
std::span<const std::uint8_t> stored_batch(const MDB_val& value) {
  auto v = from_val(value);
  if (v.size() < lf::kBatchValueHeader + protocol::batch::kHeaderSize ||
      v[0] != lf::kBatchValueFormat)
    return {};
  auto b = v.subspan(lf::kBatchValueHeader);
  if (protocol::batch::total_size(b.data()) != b.size()) return {};
  return b;
}

status corrupt_value(std::uint32_t topic, std::uint32_t partition, const MDB_val& key) {
  return {errc::storage_corrupt,
          fmt::format("stored batch of topic id {} partition {} at offset {} is damaged", topic,
                      partition, key_u64(key))};
}

}  // namespace

status LogStore::init_format(WriteTxn& txn) {
  MDB_val key{std::strlen(lf::kFormatKey), const_cast<char*>(lf::kFormatKey)};
  MDB_val value;
  int rc = mdb_get(txn.txn_, env_.dbi(Table::meta), &key, &value);
  if (rc == 0) {
    if (value.mv_size != 4) return {errc::storage_corrupt, "format version record is damaged"};
    const auto version = load_le<std::uint32_t>(static_cast<const std::uint8_t*>(value.mv_data));
    if (version != lf::kLogFormatVersion)
      return {errc::storage_corrupt,
              fmt::format("data dir has log format version {}, this broker reads version {}",
                          version, lf::kLogFormatVersion)};
    return {};
  }
  if (rc != MDB_NOTFOUND) return lmdb_status(rc, "reading the format version");
  std::uint8_t buf[4];
  store_le<std::uint32_t>(buf, lf::kLogFormatVersion);
  value = MDB_val{4, buf};
  return lmdb_status(mdb_put(txn.txn_, env_.dbi(Table::meta), &key, &value, 0),
                     "writing the format version");
}

result<std::uint32_t> LogStore::allocate_topic_id(WriteTxn& txn) {
  MDB_val key{std::strlen(lf::kNextTopicIdKey), const_cast<char*>(lf::kNextTopicIdKey)};
  MDB_val value;
  std::uint32_t id = 1;
  int rc = mdb_get(txn.txn_, env_.dbi(Table::meta), &key, &value);
  if (rc == 0 && value.mv_size == 4) {
    id = load_le<std::uint32_t>(static_cast<const std::uint8_t*>(value.mv_data));
  } else if (rc != MDB_NOTFOUND) {
    return lmdb_status(rc, "reading the next topic id");
  }
  if (id == UINT32_MAX) return status(errc::storage_full, "topic ids are exhausted");
  std::uint8_t buf[4];
  store_le<std::uint32_t>(buf, id + 1);
  value = MDB_val{4, buf};
  if (status st = lmdb_status(mdb_put(txn.txn_, env_.dbi(Table::meta), &key, &value, 0),
                              "writing the next topic id");
      !st.ok())
    return st;
  return id;
}

status LogStore::put_topic(WriteTxn& txn, const TopicRecord& t) {
  std::uint8_t buf[lf::kTopicValueSize] = {};
  store_le<std::uint32_t>(buf, lf::kTopicValueVersion);
  store_le<std::uint32_t>(buf + 4, t.id);
  store_le<std::uint32_t>(buf + 8, t.partitions);
  store_le<std::int64_t>(buf + 16, t.retention_ms);
  store_le<std::int64_t>(buf + 24, t.retention_bytes);
  store_le<std::int64_t>(buf + 32, t.created_ms);
  MDB_val key{t.name.size(), const_cast<char*>(t.name.data())};
  MDB_val value{sizeof(buf), buf};
  return lmdb_status(mdb_put(txn.txn_, env_.dbi(Table::topics), &key, &value, 0), "writing a topic");
}

status LogStore::erase_topic(WriteTxn& txn, const TopicRecord& t) {
  MDB_val key{t.name.size(), const_cast<char*>(t.name.data())};
  if (int rc = mdb_del(txn.txn_, env_.dbi(Table::topics), &key, nullptr); rc != 0)
    return lmdb_status(rc, "deleting a topic");
  std::uint8_t id[4];
  std::uint8_t parts[4];
  store_be<std::uint32_t>(id, t.id);
  store_le<std::uint32_t>(parts, t.partitions);
  MDB_val k{4, id};
  MDB_val v{4, parts};
  return lmdb_status(mdb_put(txn.txn_, env_.dbi(Table::deleting_topics), &k, &v, 0),
                     "queueing topic data for deletion");
}

result<std::vector<TopicRecord>> LogStore::load_topics(Txn& txn) {
  std::vector<TopicRecord> out;
  Cursor c(txn.txn_, env_.dbi(Table::topics));
  if (c.open_rc() != 0) return lmdb_status(c.open_rc(), "reading topics");
  MDB_val key;
  MDB_val value;
  for (int rc = c.get(&key, &value, MDB_FIRST); rc == 0; rc = c.get(&key, &value, MDB_NEXT)) {
    const auto* v = static_cast<const std::uint8_t*>(value.mv_data);
    if (value.mv_size != lf::kTopicValueSize || load_le<std::uint32_t>(v) != lf::kTopicValueVersion)
      return status(errc::storage_corrupt, "a topic record is damaged");
    TopicRecord t;
    t.name.assign(static_cast<const char*>(key.mv_data), key.mv_size);
    t.id = load_le<std::uint32_t>(v + 4);
    t.partitions = load_le<std::uint32_t>(v + 8);
    t.retention_ms = load_le<std::int64_t>(v + 16);
    t.retention_bytes = load_le<std::int64_t>(v + 24);
    t.created_ms = load_le<std::int64_t>(v + 32);
    out.push_back(std::move(t));
  }
  return out;
}

result<std::vector<std::pair<std::uint32_t, std::uint32_t>>> LogStore::load_deleting(Txn& txn) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
  Cursor c(txn.txn_, env_.dbi(Table::deleting_topics));
  if (c.open_rc() != 0) return lmdb_status(c.open_rc(), "reading deleted topics");
  MDB_val key;
  MDB_val value;
  for (int rc = c.get(&key, &value, MDB_FIRST); rc == 0; rc = c.get(&key, &value, MDB_NEXT)) {
    if (key.mv_size != 4 || value.mv_size != 4) return status(errc::storage_corrupt, "a deleted-topic record is damaged");
    out.emplace_back(load_be<std::uint32_t>(static_cast<const std::uint8_t*>(key.mv_data)),
                     load_le<std::uint32_t>(static_cast<const std::uint8_t*>(value.mv_data)));
  }
  return out;
}

status LogStore::purge_deleted_topic(WriteTxn& txn, std::uint32_t topic_id, std::uint32_t,
                                     std::size_t limit, bool* done) {
  std::uint8_t prefix[4];
  store_be<std::uint32_t>(prefix, topic_id);
  std::size_t deleted = 0;
  for (Table table : {Table::batches, Table::time_index, Table::partitions}) {
    bool left = false;
    if (int rc = delete_prefix(txn.txn_, env_.dbi(table), prefix, limit, &deleted, &left); rc != 0)
      return lmdb_status(rc, "purging a deleted topic");
    if (left) {
      *done = false;
      return {};
    }
  }
  MDB_val key{sizeof(prefix), prefix};
  int rc = mdb_del(txn.txn_, env_.dbi(Table::deleting_topics), &key, nullptr);
  if (rc != 0 && rc != MDB_NOTFOUND) return lmdb_status(rc, "finishing a topic deletion");
  *done = true;
  return {};
}

status LogStore::put_partition(WriteTxn& txn, std::uint32_t topic, std::uint32_t partition,
                               const PartitionRecord& r) {
  auto k = partition_key(topic, partition);
  std::uint8_t buf[lf::kPartitionValueSize];
  store_le<std::uint64_t>(buf, r.next_offset);
  store_le<std::uint64_t>(buf + 8, r.log_start);
  store_le<std::uint64_t>(buf + 16, r.bytes);
  store_le<std::uint64_t>(buf + 24, r.batches);
  store_le<std::int64_t>(buf + 32, r.max_timestamp);
  MDB_val key = to_val(k);
  MDB_val value{sizeof(buf), buf};
  return lmdb_status(mdb_put(txn.txn_, env_.dbi(Table::partitions), &key, &value, 0),
                     "writing partition state");
}

result<std::optional<PartitionRecord>> LogStore::get_partition(Txn& txn, std::uint32_t topic,
                                                               std::uint32_t partition) {
  auto k = partition_key(topic, partition);
  MDB_val key = to_val(k);
  MDB_val value;
  int rc = mdb_get(txn.txn_, env_.dbi(Table::partitions), &key, &value);
  if (rc == MDB_NOTFOUND) return std::optional<PartitionRecord>();
  if (rc != 0) return lmdb_status(rc, "reading partition state");
  if (value.mv_size != lf::kPartitionValueSize)
    return status(errc::storage_corrupt, "a partition record is damaged");
  const auto* v = static_cast<const std::uint8_t*>(value.mv_data);
  PartitionRecord r;
  r.next_offset = load_le<std::uint64_t>(v);
  r.log_start = load_le<std::uint64_t>(v + 8);
  r.bytes = load_le<std::uint64_t>(v + 16);
  r.batches = load_le<std::uint64_t>(v + 24);
  r.max_timestamp = load_le<std::int64_t>(v + 32);
  return std::optional<PartitionRecord>(r);
}

status LogStore::append_batch(WriteTxn& txn, std::uint32_t topic, std::uint32_t partition,
                              std::uint64_t base_offset, std::int64_t append_ms,
                              std::span<const std::uint8_t> batch) {
  if (status st = txn.reserve_space(batch.size() + lf::kBatchValueHeader); !st.ok()) return st;
  auto k = batch_key(topic, partition, base_offset);
  MDB_val key = to_val(k);
  MDB_val value{lf::kBatchValueHeader + batch.size(), nullptr};
  if (int rc = mdb_put(txn.txn_, env_.dbi(Table::batches), &key, &value, MDB_RESERVE | MDB_NOOVERWRITE); rc != 0)
    return rc == MDB_KEYEXIST
               ? status(errc::storage_corrupt, fmt::format("offset {} is already stored", base_offset))
               : lmdb_status(rc, "appending a batch");
  auto* out = static_cast<std::uint8_t*>(value.mv_data);
  std::memset(out, 0, lf::kBatchValueHeader);
  out[0] = lf::kBatchValueFormat;
  store_le<std::int64_t>(out + 8, append_ms);
  std::memcpy(out + lf::kBatchValueHeader, batch.data(), batch.size());
  protocol::batch::set_base_offset(out + lf::kBatchValueHeader, static_cast<std::int64_t>(base_offset));
  return {};
}

status LogStore::put_time_index(WriteTxn& txn, std::uint32_t topic, std::uint32_t partition,
                                std::int64_t max_timestamp, std::uint64_t base_offset) {
  auto k = batch_key(topic, partition, static_cast<std::uint64_t>(std::max<std::int64_t>(max_timestamp, 0)));
  std::uint8_t buf[8];
  store_le<std::uint64_t>(buf, base_offset);
  MDB_val key = to_val(k);
  MDB_val value{8, buf};
  return lmdb_status(mdb_put(txn.txn_, env_.dbi(Table::time_index), &key, &value, 0),
                     "writing the time index");
}

status LogStore::read_batches(Txn& txn, std::uint32_t topic, std::uint32_t partition,
                              std::uint64_t offset, std::size_t max_bytes,
                              std::vector<std::span<const std::uint8_t>>* out) {
  auto k = batch_key(topic, partition, offset);
  Cursor c(txn.txn_, env_.dbi(Table::batches));
  if (c.open_rc() != 0) return lmdb_status(c.open_rc(), "reading batches");
  MDB_val key = to_val(k);
  MDB_val value;
  int rc = c.get(&key, &value, MDB_SET_RANGE);
  const bool exact = rc == 0 && key.mv_size == k.size() && std::memcmp(key.mv_data, k.data(), k.size()) == 0;
  if (!exact) {
    // The batch holding `offset` starts before it: step back one key.
    rc = rc == MDB_NOTFOUND ? c.get(&key, &value, MDB_LAST) : c.get(&key, &value, MDB_PREV);
    if (rc != 0 || !same_prefix(key, k.data(), 8))
      return {errc::storage_corrupt,
              fmt::format("no stored batch holds offset {} of topic id {} partition {}", offset, topic, partition)};
    auto b = stored_batch(value);
    if (b.empty()) return corrupt_value(topic, partition, key);
    if (key_u64(key) + protocol::batch::record_count(b.data()) <= offset)
      return {errc::storage_corrupt,
              fmt::format("no stored batch holds offset {} of topic id {} partition {}", offset, topic, partition)};
  }
  std::size_t total = 0;
  while (rc == 0 && same_prefix(key, k.data(), 8)) {
    auto b = stored_batch(value);
    if (b.empty()) return corrupt_value(topic, partition, key);
    if (!out->empty() && total + b.size() > max_bytes) break;
    out->push_back(b);
    total += b.size();
    if (total >= max_bytes) break;
    rc = c.get(&key, &value, MDB_NEXT);
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return lmdb_status(rc, "reading batches");
  return {};
}

result<std::uint64_t> LogStore::offset_for_time(Txn& txn, std::uint32_t topic, std::uint32_t partition,
                                                std::int64_t ts, std::uint64_t log_start,
                                                std::uint64_t end, std::int64_t* found_timestamp) {
  // The index maps each new running-maximum timestamp to the batch that set
  // it, so the first entry >= ts names the first batch that can hold a
  // record >= ts; every earlier batch holds only older records.
  auto k = batch_key(topic, partition, static_cast<std::uint64_t>(std::max<std::int64_t>(ts, 0)));
  std::uint64_t start = end;
  {
    Cursor c(txn.txn_, env_.dbi(Table::time_index));
    if (c.open_rc() != 0) return lmdb_status(c.open_rc(), "reading the time index");
    MDB_val key = to_val(k);
    MDB_val value;
    int rc = c.get(&key, &value, MDB_SET_RANGE);
    if (rc == MDB_NOTFOUND || (rc == 0 && !same_prefix(key, k.data(), 8))) return end;
    if (rc != 0) return lmdb_status(rc, "reading the time index");
    start = std::max(load_le<std::uint64_t>(static_cast<const std::uint8_t*>(value.mv_data)), log_start);
  }
  if (start >= end) return end;
  // Scan records from there for the first one at or after ts.
  auto bk = batch_key(topic, partition, start);
  Cursor c(txn.txn_, env_.dbi(Table::batches));
  MDB_val key = to_val(bk);
  MDB_val value;
  int rc = c.get(&key, &value, MDB_SET_RANGE);
  if (rc == 0 && !(key.mv_size == bk.size() && std::memcmp(key.mv_data, bk.data(), bk.size()) == 0))
    rc = c.get(&key, &value, MDB_PREV);
  else if (rc == MDB_NOTFOUND)
    rc = c.get(&key, &value, MDB_LAST);
  for (; rc == 0 && same_prefix(key, bk.data(), 8); rc = c.get(&key, &value, MDB_NEXT)) {
    auto b = stored_batch(value);
    if (b.empty()) return corrupt_value(topic, partition, key);
    if (protocol::batch::max_timestamp(b.data()) < ts) continue;
    std::vector<std::uint8_t> plain;  // a compressed batch's records
    protocol::batch::Reader reader(b, &plain);
    protocol::batch::RecordFields rec;
    while (reader.next(&rec)) {
      if (static_cast<std::uint64_t>(rec.offset) >= start && rec.timestamp_ms >= ts) {
        if (found_timestamp != nullptr) *found_timestamp = rec.timestamp_ms;
        return static_cast<std::uint64_t>(rec.offset);
      }
    }
    if (!reader.ok()) return corrupt_value(topic, partition, key);
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return lmdb_status(rc, "scanning batches by time");
  return end;
}

status LogStore::oldest_batches(Txn& txn, std::uint32_t topic, std::uint32_t partition,
                                std::size_t limit, std::vector<BatchSummary>* out) {
  const auto k = batch_key(topic, partition, 0);
  return scan_prefix(txn.txn_, env_.dbi(Table::batches), k.data(), 8, "reading batches",
                     [&](const MDB_val& key, const MDB_val& value) -> result<bool> {
                       if (out->size() >= limit) return false;
                       auto b = stored_batch(value);
                       if (b.empty()) return corrupt_value(topic, partition, key);
                       const auto* v = static_cast<const std::uint8_t*>(value.mv_data);
                       out->push_back({key_u64(key), protocol::batch::record_count(b.data()), b.size(),
                                       load_le<std::int64_t>(v + 8)});
                       return true;
                     });
}

status LogStore::delete_batches_before(WriteTxn& txn, std::uint32_t topic, std::uint32_t partition,
                                       std::uint64_t new_log_start, std::uint64_t* deleted_bytes,
                                       std::uint64_t* deleted_batches) {
  auto k = batch_key(topic, partition, 0);
  {
    Cursor c(txn.txn_, env_.dbi(Table::batches));
    if (c.open_rc() != 0) return lmdb_status(c.open_rc(), "deleting batches");
    MDB_val key = to_val(k);
    MDB_val value;
    int rc = c.get(&key, &value, MDB_SET_RANGE);
    while (rc == 0 && same_prefix(key, k.data(), 8)) {
      auto b = stored_batch(value);
      if (b.empty()) return corrupt_value(topic, partition, key);
      if (key_u64(key) + protocol::batch::record_count(b.data()) > new_log_start) break;
      *deleted_bytes += b.size();
      *deleted_batches += 1;
      rc = delete_and_advance(c, &key, &value);
    }
    if (rc != 0 && rc != MDB_NOTFOUND) return lmdb_status(rc, "deleting batches");
  }
  // Trim the time index: drop entries for deleted batches, but let the last
  // of them point at the new log start so lookups of its range still land.
  Cursor c(txn.txn_, env_.dbi(Table::time_index));
  if (c.open_rc() != 0) return lmdb_status(c.open_rc(), "trimming the time index");
  MDB_val key = to_val(k);
  MDB_val value;
  std::optional<std::uint64_t> last_ts;
  int rc = c.get(&key, &value, MDB_SET_RANGE);
  while (rc == 0 && same_prefix(key, k.data(), 8) &&
         load_le<std::uint64_t>(static_cast<const std::uint8_t*>(value.mv_data)) < new_log_start) {
    last_ts = key_u64(key);
    rc = delete_and_advance(c, &key, &value);
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return lmdb_status(rc, "trimming the time index");
  const bool next_starts_later =
      rc != 0 || !same_prefix(key, k.data(), 8) ||
      load_le<std::uint64_t>(static_cast<const std::uint8_t*>(value.mv_data)) > new_log_start;
  if (last_ts && next_starts_later) {
    if (status st = put_time_index(txn, topic, partition, static_cast<std::int64_t>(*last_ts), new_log_start);
        !st.ok())
      return st;
  }
  return {};
}

namespace {
std::string group_key(std::string_view group, std::string_view topic, std::uint32_t partition) {
  std::string k;
  k.reserve(group.size() + topic.size() + 6);
  k.append(group);
  k.push_back('\0');
  k.append(topic);
  k.push_back('\0');
  std::uint8_t p[4];
  store_be<std::uint32_t>(p, partition);
  k.append(reinterpret_cast<const char*>(p), 4);
  return k;
}

// Splits a group_offsets key; false if it is not well-formed.
bool split_group_key(const MDB_val& key, std::string_view* group, std::string_view* topic,
                     std::uint32_t* partition) {
  std::string_view k(static_cast<const char*>(key.mv_data), key.mv_size);
  const auto a = k.find('\0');
  if (a == std::string_view::npos) return false;
  const auto b = k.find('\0', a + 1);
  if (b == std::string_view::npos || k.size() != b + 5) return false;
  *group = k.substr(0, a);
  *topic = k.substr(a + 1, b - a - 1);
  *partition = load_be<std::uint32_t>(reinterpret_cast<const std::uint8_t*>(k.data() + b + 1));
  return true;
}
}  // namespace

status LogStore::put_group_offset(WriteTxn& txn, std::string_view group, std::string_view topic,
                                  std::uint32_t partition, std::uint64_t offset,
                                  std::int64_t commit_ms) {
  const std::string k = group_key(group, topic, partition);
  std::uint8_t buf[lf::kGroupOffsetValueSize];
  store_le<std::uint64_t>(buf, offset);
  store_le<std::int64_t>(buf + 8, commit_ms);
  MDB_val key{k.size(), const_cast<char*>(k.data())};
  MDB_val value{sizeof(buf), buf};
  return lmdb_status(mdb_put(txn.txn_, env_.dbi(Table::group_offsets), &key, &value, 0),
                     "writing a group offset");
}

result<std::vector<GroupOffsetRecord>> LogStore::group_offsets(Txn& txn, std::string_view group,
                                                               std::string_view topic) {
  std::vector<GroupOffsetRecord> out;
  std::string prefix(group);
  prefix.push_back('\0');
  if (!topic.empty()) {
    prefix.append(topic);
    prefix.push_back('\0');
  }
  status st = scan_prefix(txn.txn_, env_.dbi(Table::group_offsets), prefix.data(), prefix.size(),
                          "reading group offsets", [&](const MDB_val& key, const MDB_val& value) -> result<bool> {
                            std::string_view g;
                            std::string_view t;
                            std::uint32_t p = 0;
                            if (!split_group_key(key, &g, &t, &p) || value.mv_size != lf::kGroupOffsetValueSize)
                              return status(errc::storage_corrupt, "a group offset record is damaged");
                            const auto* v = static_cast<const std::uint8_t*>(value.mv_data);
                            out.push_back({std::string(t), p, load_le<std::uint64_t>(v), load_le<std::int64_t>(v + 8)});
                            return true;
                          });
  if (!st.ok()) return st;
  return out;
}

status LogStore::delete_group_offsets_for_topic(WriteTxn& txn, std::string_view topic) {
  Cursor c(txn.txn_, env_.dbi(Table::group_offsets));
  if (c.open_rc() != 0) return lmdb_status(c.open_rc(), "deleting group offsets");
  MDB_val key;
  MDB_val value;
  int rc = c.get(&key, &value, MDB_FIRST);
  while (rc == 0) {
    std::string_view g;
    std::string_view t;
    std::uint32_t p = 0;
    if (split_group_key(key, &g, &t, &p) && t == topic) {
      rc = delete_and_advance(c, &key, &value);
    } else {
      rc = c.get(&key, &value, MDB_NEXT);
    }
  }
  if (rc != MDB_NOTFOUND) return lmdb_status(rc, "deleting group offsets");
  return {};
}

status LogStore::delete_group_offsets(WriteTxn& txn, std::string_view group, std::size_t* deleted) {
  std::string prefix(group);
  prefix.push_back('\0');
  bool left = false;
  *deleted = 0;
  const int rc = delete_prefix(txn.txn_, env_.dbi(Table::group_offsets),
                               {reinterpret_cast<const std::uint8_t*>(prefix.data()), prefix.size()},
                               std::numeric_limits<std::size_t>::max(), deleted, &left);
  return lmdb_status(rc, "deleting a group's offsets");
}

result<std::vector<std::string>> LogStore::groups_with_offsets(Txn& txn) {
  std::vector<std::string> out;
  Cursor c(txn.txn_, env_.dbi(Table::group_offsets));
  if (c.open_rc() != 0) return lmdb_status(c.open_rc(), "listing groups");
  MDB_val key;
  MDB_val value;
  int rc = c.get(&key, &value, MDB_FIRST);
  while (rc == 0) {
    std::string_view g;
    std::string_view t;
    std::uint32_t p = 0;
    if (!split_group_key(key, &g, &t, &p)) return status(errc::storage_corrupt, "a group offset record is damaged");
    out.emplace_back(g);
    // Skip the rest of this group: its keys all start with "group\0".
    std::string next = out.back();
    next.push_back('\x01');
    key = MDB_val{next.size(), next.data()};
    rc = c.get(&key, &value, MDB_SET_RANGE);
  }
  if (rc != MDB_NOTFOUND) return lmdb_status(rc, "listing groups");
  return out;
}

}  // namespace wharf::storage
