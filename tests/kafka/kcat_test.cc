// Debian's kcat (librdkafka 2.0.2) against the Kafka listener, and the
// records it writes read back by Wharf's own client, and the reverse.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sstream>

#include "kafka/kafka_wire_helpers.h"
#include "support/run_command.h"
#include "wharf/consumer.h"
#include "wharf/producer.h"

namespace wharf::test {
namespace {

BrokerOptions kcat_broker() {
  BrokerOptions o = with_kafka();
  o.groups.initial_rebalance_delay = std::chrono::milliseconds(200);
  return o;
}

class KcatTest : public ::testing::Test {
 protected:
  KcatTest() : tb_(kcat_broker()) {}

  CommandResult kcat(const std::string& args, const std::string& input = "") {
    return run_command(fmt::format("timeout 60 kcat -b {} {}", tb_.kafka_address(), args), input);
  }

  // Every record of partition 0 through the native consumer.
  std::vector<ConsumerRecord> native_read(const std::string& topic, std::size_t n, std::vector<Records>* keep) {
    auto c = tb_.client();
    Consumer consumer(*c);
    EXPECT_TRUE(consumer.assign({{topic, 0}}).ok());
    EXPECT_TRUE(consumer.seek_to_beginning({topic, 0}).ok());
    std::vector<ConsumerRecord> out;
    while (out.size() < n) {
      auto r = consumer.poll(std::chrono::seconds(10));
      EXPECT_TRUE(r.ok());
      if (!r.ok() || r->empty()) break;
      for (const auto& rec : *r) out.push_back(rec);
      keep->push_back(std::move(*r));
    }
    return out;
  }

  TestBroker tb_;
};

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST_F(KcatTest, ListsTheBrokerAndTopics) {
  ASSERT_TRUE(tb_.client()->create_topic({"listed", 3}).ok());
  auto r = kcat("-L");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(fmt::format("broker 0 at {}", tb_.kafka_address())), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("topic \"listed\" with 3 partitions"), std::string::npos) << r.out;
}

TEST_F(KcatTest, ProducesPlainAndCompressedAndNativeClientsReadIt) {
  const std::vector<std::string> codecs = {"none", "lz4", "zstd", "gzip", "snappy"};
  std::string expected;
  for (const auto& z : codecs) {
    std::string input;
    for (int i = 0; i < 50; ++i) input += fmt::format("{}-{}\n", z, i);
    expected += input;
    auto r = kcat(fmt::format("-P -t made -p 0 -z {} -K: -H origin=kcat", z), "k:" + input);
    ASSERT_EQ(r.exit_code, 0) << z << ": " << r.err;
  }
  auto info = tb_.client()->describe_topic("made");
  ASSERT_TRUE(info.ok()) << "kcat's produce created the topic";
  EXPECT_EQ(info->partition_info[0].high_watermark, 250);
  std::vector<Records> keep;
  auto recs = native_read("made", 250, &keep);
  ASSERT_EQ(recs.size(), 250u);
  auto want = lines(expected);
  for (std::size_t i = 0; i < recs.size(); ++i) {
    EXPECT_EQ(recs[i].value, want[i]);
    ASSERT_EQ(recs[i].headers().size(), 1u);
    EXPECT_EQ(recs[i].headers()[0].key, "origin");
  }
  EXPECT_EQ(recs[0].key.value_or(""), "k") << "-K: made 'k' the first line's key";
}

TEST_F(KcatTest, ConsumesFromTheBeginningAndTheLastTenWhatNativeProducersWrote) {
  auto c = tb_.client();
  ASSERT_TRUE(c->create_topic({"native", 1}).ok());
  for (auto codec : {Compression::none, Compression::zstd}) {
    ProducerOptions po;
    po.compression = codec;
    Producer producer(*c, po);
    for (int i = 0; i < 30; ++i) {
      std::string v = fmt::format("n{}", i + (codec == Compression::none ? 0 : 30));
      ProducerRecord r;
      r.value = v;
      producer.send("native", 0, r);
    }
    producer.flush();
  }
  auto r = kcat("-C -t native -o beginning -e -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto got = lines(r.out);
  ASSERT_EQ(got.size(), 60u) << r.err;
  for (int i = 0; i < 60; ++i) EXPECT_EQ(got[i], fmt::format("n{}", i));
  r = kcat("-C -t native -o -10 -e -q -f '%o %s\\n'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  got = lines(r.out);
  ASSERT_EQ(got.size(), 10u) << r.out;
  EXPECT_EQ(got.front(), "50 n50");
  EXPECT_EQ(got.back(), "59 n59");
}

TEST_F(KcatTest, GroupConsumerCommitsAndResumesFromTheGroupsOffsets) {
  std::string input;
  for (int i = 0; i < 20; ++i) input += fmt::format("a{}\n", i);
  ASSERT_EQ(kcat("-P -t grouped -p 0", input).exit_code, 0);
  auto r = kcat("-G kgroup -e -q -o beginning -X auto.commit.interval.ms=50 grouped");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines(r.out).size(), 20u) << r.out;
  auto committed = tb_.client()->committed_offsets("kgroup", "grouped");
  ASSERT_TRUE(committed.ok());
  ASSERT_EQ(committed->size(), 1u);
  EXPECT_EQ((*committed)[0].offset, 20) << "the same offsets `wharf group offsets` shows";
  ASSERT_EQ(kcat("-P -t grouped -p 0", "b0\nb1\n").exit_code, 0);
  r = kcat("-G kgroup -e -q grouped");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines(r.out), (std::vector<std::string>{"b0", "b1"})) << "resumed from the committed offset";
}

}  // namespace
}  // namespace wharf::test
