#include "broker/storage/queue_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "storage/storage_test_util.h"
#include "support/temp_dir.h"

namespace wharf::storage {
namespace {

using test::write;

struct Fixture {
  wharf::test::TempDir dir;
  std::unique_ptr<Storage> storage;
  Fixture() { open(); }
  void open() {
    StorageOptions o;
    o.dir = dir.path();
    o.map_size = 64u << 20;
    auto s = Storage::open(o);
    EXPECT_TRUE(s.ok()) << s.error().to_string();
    storage = std::move(*s);
    storage->writer().start();
  }
  void reopen() {
    storage.reset();
    open();
  }
  QueueStore& queues() { return storage->queues(); }
  std::vector<MessageView> scan(std::uint32_t queue) {
    std::vector<MessageView> out;
    auto txn = storage->read();
    EXPECT_TRUE(txn.ok());
    EXPECT_TRUE(queues().scan_messages(*txn, queue, [&](const MessageView& v) {
                  out.push_back(v);
                  return true;
                }).ok());
    return out;  // fields only: the spans died with the txn
  }
};

QueueRecord record(std::string name, std::uint32_t id, DlqMode mode, std::string dlq) {
  QueueRecord q;
  q.name = std::move(name);
  q.id = id;
  q.dlq_mode = mode;
  q.dlq = std::move(dlq);
  q.max_length = 10;
  q.overflow = Overflow::drop_oldest;
  q.backoff_multiplier = 1.5;
  return q;
}

TEST(StorageQueueStore, QueueRecordsKeepEveryFieldAndTheirDeadLetterMode) {
  Fixture f;
  ASSERT_TRUE(write(*f.storage, [&](WriteTxn& txn) {
                for (const auto& q : {record("a", 1, DlqMode::default_queue, "a.dlq"), record("b", 2, DlqMode::named, "x"),
                                      record("c", 3, DlqMode::none, "")})
                  if (status st = f.queues().put_queue(txn, q); !st.ok()) return st;
                return status();
              }).ok());
  f.reopen();
  auto txn = f.storage->read();
  auto loaded = f.queues().load_queues(*txn);
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->size(), 3u);
  EXPECT_EQ((*loaded)[0].dlq_mode, DlqMode::default_queue);
  EXPECT_EQ((*loaded)[0].dlq, "a.dlq");
  EXPECT_EQ((*loaded)[1].dlq_mode, DlqMode::named);
  EXPECT_EQ((*loaded)[1].dlq, "x");
  EXPECT_EQ((*loaded)[2].dlq_mode, DlqMode::none);
  EXPECT_EQ((*loaded)[0].max_length, 10);
  EXPECT_EQ((*loaded)[0].overflow, Overflow::drop_oldest);
  EXPECT_EQ((*loaded)[0].backoff_multiplier, 1.5);
}

// Records written before the default mode existed said "named" for both:
// "<name>.dlq" named that way is read as the default one.
TEST(StorageQueueStore, OldNamedRecordOfTheDefaultNameReadsAsDefault) {
  Fixture f;
  ASSERT_TRUE(write(*f.storage, [&](WriteTxn& txn) {
                return f.queues().put_queue(txn, record("jobs", 1, DlqMode::named, "jobs.dlq"));
              }).ok());
  auto txn = f.storage->read();
  auto loaded = f.queues().load_queues(*txn);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ((*loaded)[0].dlq_mode, DlqMode::default_queue);
}

TEST(StorageQueueStore, RewriteChangesDeliveryFieldsAndMovesBetweenQueues) {
  Fixture f;
  const std::vector<Header> headers = {{"k", "v"}};
  const std::string payload = "hello";
  MessageFields fields;
  fields.priority = 2;
  fields.origin_queue = 1;
  fields.publish_ms = 1000;
  fields.expires_ms = 9000;
  ASSERT_TRUE(write(*f.storage, [&](WriteTxn& txn) {
                return f.queues().put_message(
                    txn, 1, 42, fields, headers,
                    {reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()});
              }).ok());
  // A backoff: attempts and retry time stored.
  ASSERT_TRUE(write(*f.storage, [&](WriteTxn& txn) {
                MessageView view;
                status st = f.queues().rewrite_message(txn, 1, 1, 42, {3, false, 5555}, &view);
                EXPECT_EQ(std::string(view.payload.begin(), view.payload.end()), payload);
                return st;
              }).ok());
  auto in_queue = f.scan(1);
  ASSERT_EQ(in_queue.size(), 1u);
  EXPECT_EQ(in_queue[0].fields.attempts, 3u);
  EXPECT_EQ(in_queue[0].fields.deliver_at_ms, 5555);
  EXPECT_EQ(in_queue[0].fields.expires_ms, 9000);
  EXPECT_EQ(in_queue[0].fields.priority, 2);
  // Dead-lettered into queue 2: attempts, delay and expiry cleared.
  ASSERT_TRUE(write(*f.storage, [&](WriteTxn& txn) { return f.queues().rewrite_message(txn, 1, 2, 42, {0, true, 0}); })
                  .ok());
  EXPECT_TRUE(f.scan(1).empty());
  auto moved = f.scan(2);
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_TRUE(moved[0].fields.dead_lettered);
  EXPECT_EQ(moved[0].fields.deliver_at_ms, 0);
  EXPECT_EQ(moved[0].fields.expires_ms, 0);
  EXPECT_EQ(moved[0].fields.origin_queue, 1u);
  {
    auto txn = f.storage->read();
    MessageView view;
    bool found = false;
    ASSERT_TRUE(f.queues().get_message(*txn, 2, 42, &view, &found).ok());
    ASSERT_TRUE(found);
    auto decoded = decode_message_headers(view.headers, view.header_count);
    ASSERT_EQ(decoded.size(), 1u);
    EXPECT_EQ(decoded[0].key, "k");
    EXPECT_EQ(decoded[0].value, "v");
  }
  // A message that is not there is a damaged store, not a silent no-op.
  EXPECT_EQ(write(*f.storage, [&](WriteTxn& w) { return f.queues().rewrite_message(w, 1, 1, 42, {1, false, 0}); })
                .code(),
            errc::storage_corrupt);
}

// A rewrite within a queue overwrites the message where it is found. A
// value on LMDB overflow pages (4 KiB here) is deleted and added again by
// that overwrite: the key it is added under must still be the message's,
// in a committed group as in the one that wrote it.
TEST(StorageQueueStore, RewriteInPlaceKeepsKeysOfSmallAndOverflowMessages) {
  Fixture f;
  const std::string small(100, 's');
  const std::string big(4096, 'b');
  auto bytes = [](const std::string& s) {
    return std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  };
  ASSERT_TRUE(write(*f.storage, [&](WriteTxn& txn) {
                for (std::uint64_t id = 1; id <= 20; ++id)
                  if (status st = f.queues().put_message(txn, 1, id, {}, {}, bytes(id % 2 ? big : small)); !st.ok())
                    return st;
                return status();
              }).ok());
  for (std::uint32_t attempt = 1; attempt <= 2; ++attempt) {
    ASSERT_TRUE(write(*f.storage, [&](WriteTxn& txn) {
                  for (std::uint64_t id = 1; id <= 20; ++id) {
                    MessageView view;
                    if (status st = f.queues().rewrite_message(txn, 1, 1, id, {attempt, false, 0}, &view); !st.ok())
                      return st;
                    EXPECT_EQ(view.payload.size(), id % 2 ? big.size() : small.size()) << id;
                  }
                  return status();
                }).ok());
  }
  f.reopen();
  auto all = f.scan(1);
  ASSERT_EQ(all.size(), 20u);
  for (std::uint64_t id = 1; id <= 20; ++id) {
    EXPECT_EQ(all[id - 1].id, id);
    EXPECT_EQ(all[id - 1].fields.attempts, 2u) << id;
    auto txn = f.storage->read();
    MessageView view;
    bool found = false;
    ASSERT_TRUE(f.queues().get_message(*txn, 1, id, &view, &found).ok());
    ASSERT_TRUE(found) << id;
    EXPECT_EQ(std::string(view.payload.begin(), view.payload.end()), id % 2 ? big : small) << id;
  }
}

// Messages are appended at the table's end when their key is the largest;
// any other key (an older queue, an older id) takes the plain path. Both
// must leave every message under its own key, in order.
TEST(StorageQueueStore, PutsAtTheEndAndInTheMiddleKeepEveryMessage) {
  Fixture f;
  auto payload = [](std::uint32_t queue, std::uint64_t id) { return std::to_string(queue) + "/" + std::to_string(id); };
  auto put = [&](WriteTxn& txn, std::uint32_t queue, std::uint64_t id) {
    const std::string p = payload(queue, id);
    const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(p.data()), p.size());
    return f.queues().put_message(txn, queue, id, {}, {}, bytes);
  };
  // Queue 3 first, then the older queues 1 and 2 interleaved with it, and
  // ids below ones already stored.
  ASSERT_TRUE(write(*f.storage, [&](WriteTxn& txn) {
                for (std::uint64_t id = 100; id < 400; ++id)
                  if (status st = put(txn, 3, id); !st.ok()) return st;
                for (std::uint64_t id = 1; id < 300; ++id)
                  for (std::uint32_t queue : {1u, 3u, 2u})
                    if (status st = put(txn, queue, queue == 3 ? 1000 + id : id); !st.ok()) return st;
                for (std::uint64_t id = 50; id < 100; ++id)
                  if (status st = put(txn, 3, id); !st.ok()) return st;
                return status();
              }).ok());
  f.reopen();
  auto txn = f.storage->read();
  ASSERT_TRUE(txn.ok());
  for (std::uint32_t queue : {1u, 2u, 3u}) {
    std::vector<std::uint64_t> ids;
    ASSERT_TRUE(f.queues().scan_messages(*txn, queue, [&](const MessageView& v) {
                  EXPECT_EQ(std::string(v.payload.begin(), v.payload.end()), payload(queue, v.id));
                  ids.push_back(v.id);
                  return true;
                }).ok());
    ASSERT_EQ(ids.size(), queue == 3 ? 350u + 299u : 299u) << queue;
    EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  }
}

TEST(StorageQueueStore, HistoryAppendsInOrderAndGoesWithItsMessage) {
  Fixture f;
  ASSERT_TRUE(write(*f.storage, [&](WriteTxn& txn) {
                for (std::uint32_t i = 0; i < 3; ++i)
                  if (status st = f.queues().append_history(txn, 7, i, {100 + i, Outcome::nack, "c", "r" + std::to_string(i)});
                      !st.ok())
                    return st;
                return f.queues().append_history(txn, 8, 0, {5, Outcome::timeout, "", ""});
              }).ok());
  {
    auto txn = f.storage->read();
    auto h = f.queues().history(*txn, 7);
    ASSERT_TRUE(h.ok());
    ASSERT_EQ(h->size(), 3u);
    EXPECT_EQ((*h)[2].reason, "r2");
    EXPECT_EQ(outcome_name((*h)[0].outcome), "nack");
    std::vector<std::pair<std::uint64_t, std::uint32_t>> counts;
    ASSERT_TRUE(f.queues().scan_history_counts(*txn, [&](std::uint64_t id, std::uint32_t n) { counts.push_back({id, n}); }).ok());
    EXPECT_EQ(counts, (std::vector<std::pair<std::uint64_t, std::uint32_t>>{{7, 3}, {8, 1}}));
  }
  ASSERT_TRUE(write(*f.storage, [&](WriteTxn& txn) { return f.queues().delete_history(txn, 7); }).ok());
  auto txn = f.storage->read();
  EXPECT_TRUE(f.queues().history(*txn, 7)->empty());
  EXPECT_EQ(f.queues().history(*txn, 8)->size(), 1u);
}

TEST(StorageQueueStore, ErasedQueueIsPurgedInChunksWithItsHistory) {
  Fixture f;
  const auto q = record("gone", 5, DlqMode::none, "");
  ASSERT_TRUE(write(*f.storage, [&](WriteTxn& txn) {
                if (status st = f.queues().put_queue(txn, q); !st.ok()) return st;
                for (std::uint64_t id = 1; id <= 10; ++id) {
                  if (status st = f.queues().put_message(txn, 5, id, {}, {}, {}); !st.ok()) return st;
                  if (status st = f.queues().append_history(txn, id, 0, {1, Outcome::nack, "", ""}); !st.ok()) return st;
                }
                return f.queues().erase_queue(txn, q);
              }).ok());
  {
    auto txn = f.storage->read();
    EXPECT_TRUE(f.queues().load_queues(*txn)->empty());
    EXPECT_EQ(*f.queues().load_deleting(*txn), std::vector<std::uint32_t>{5});
  }
  bool done = false;
  ASSERT_TRUE(write(*f.storage, [&](WriteTxn& txn) { return f.queues().purge_deleted_queue(txn, 5, 4, &done); }).ok());
  EXPECT_FALSE(done) << "four at a time";
  EXPECT_EQ(f.scan(5).size(), 6u);
  while (!done)
    ASSERT_TRUE(write(*f.storage, [&](WriteTxn& txn) { return f.queues().purge_deleted_queue(txn, 5, 4, &done); }).ok());
  EXPECT_TRUE(f.scan(5).empty());
  auto txn = f.storage->read();
  EXPECT_TRUE(f.queues().load_deleting(*txn)->empty());
  EXPECT_TRUE(f.queues().history(*txn, 3)->empty());
}

TEST(StorageQueueStore, MessageIdReservationAndStatsPersist) {
  Fixture f;
  ASSERT_TRUE(write(*f.storage, [&](WriteTxn& txn) {
                if (status st = f.queues().put_next_message_id(txn, 65537); !st.ok()) return st;
                return f.queues().put_stats(txn, 3, {4, 5, 6});
              }).ok());
  f.reopen();
  auto txn = f.storage->read();
  EXPECT_EQ(*f.queues().load_next_message_id(*txn), 65537u);
  auto stats = f.queues().get_stats(*txn, 3);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->dead_lettered, 4u);
  EXPECT_EQ(stats->dropped, 5u);
  EXPECT_EQ(stats->expired, 6u);
}

}  // namespace
}  // namespace wharf::storage
