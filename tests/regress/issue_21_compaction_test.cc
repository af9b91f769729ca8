// Issue 21, item 15: the data file never shrank after deletes (LMDB reuses
// freed pages but does not return them). compact_on_start rewrites it
// compacted before serving; what was kept is all there, offsets and all.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "support/test_broker.h"
#include "support/wait_for.h"
#include "wharf/consumer.h"
#include "wharf/producer.h"
#include "wharf/queue.h"

namespace wharf {
namespace {

using namespace std::chrono_literals;

std::uintmax_t data_file_size(const test::TestBroker& tb) {
  return std::filesystem::file_size(tb.data_dir() / "data.mdb");
}

TEST(Issue21Compaction, CompactOnStartReturnsTheSpaceOfDeletedData) {
  BrokerOptions o;
  o.retention_interval = 50ms;  // deleted topics are purged by the background thread
  test::TestBroker tb(o);
  auto c = tb.client();
  ASSERT_TRUE(c->create_topic({"big", 1}).ok());
  ASSERT_TRUE(c->create_topic({"keep", 2}).ok());
  {
    Producer p(*c);
    const std::string value(4000, 'v');
    for (int i = 0; i < 10'000; ++i) p.send("big", 0, {.value = value});
    for (int i = 0; i < 100; ++i) p.send("keep", static_cast<std::uint32_t>(i % 2), {.value = "kept-" + std::to_string(i)});
    p.flush();
  }
  ASSERT_TRUE(c->create_queue("jobs").ok());
  {
    Publisher pub(*c);
    OutgoingMessage job;
    job.payload = "job";
    ASSERT_TRUE(pub.publish_and_wait("jobs", job).ok());
  }
  ASSERT_TRUE(c->delete_topic("big").ok());
  c.reset();
  const auto full = data_file_size(tb);
  ASSERT_GT(full, 35u << 20);
  // The purge runs in the background; once done, a restart frees nothing by itself.
  tb.stop();
  tb.start();
  std::this_thread::sleep_for(2s);
  tb.stop();
  EXPECT_GE(data_file_size(tb), full) << "without compaction the file keeps its size";

  // A partial copy left by a crash is cleared at start.
  std::ofstream(tb.data_dir() / "data.mdb.compacting") << "partial";
  tb.options().compact_on_start = true;
  tb.start();
  const auto compacted = data_file_size(tb);
  EXPECT_LT(compacted, full / 10) << full << " -> " << compacted;
  EXPECT_FALSE(std::filesystem::exists(tb.data_dir() / "data.mdb.compacting"));
  // Everything kept is there, and offsets go on where they were.
  c = tb.client();
  auto d = c->describe_topic("keep");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->partition_info[0].high_watermark + d->partition_info[1].high_watermark, 100);
  EXPECT_EQ(c->describe_topic("big").code(), errc::unknown_topic);
  EXPECT_EQ(c->describe_queue("jobs")->ready, 1u);
  Producer p(*c);
  auto next = p.send_and_wait("keep", 0, {.value = "after"});
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, 50);
}

}  // namespace
}  // namespace wharf
