// librdkafka's high-level consumer (Debian's librdkafka++ 2.0.2) in groups
// on Wharf: three members of one group split a 6-partition topic, one
// leaves and the others take its partitions over, offsets commit and a
// new member resumes from them; with each of librdkafka's assignors.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "kafka/kafka_wire_helpers.h"
#include "wharf/consumer.h"
#include "wharf/producer.h"

namespace wharf::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

BrokerOptions group_broker() {
  BrokerOptions o = with_kafka();
  o.groups.initial_rebalance_delay = 300ms;
  o.groups.min_session_timeout = 1000ms;
  return o;
}

std::unique_ptr<RdKafka::KafkaConsumer> make_consumer(const std::string& bootstrap, const std::string& group,
                                                      const std::string& assignor) {
  std::string err;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  const std::map<std::string, std::string> settings = {
      {"bootstrap.servers", bootstrap},
      {"group.id", group},
      {"partition.assignment.strategy", assignor},
      {"session.timeout.ms", "2000"},  // cooperative-sticky close in 2.0.2 does not leave: eviction ends it
      {"heartbeat.interval.ms", "200"},
      {"enable.auto.commit", "false"},
      {"auto.offset.reset", "earliest"},
      {"topic.metadata.refresh.interval.ms", "1000"},
  };
  for (const auto& [k, v] : settings)
    EXPECT_EQ(conf->set(k, v, err), RdKafka::Conf::CONF_OK) << k << ": " << err;
  std::unique_ptr<RdKafka::KafkaConsumer> c(RdKafka::KafkaConsumer::create(conf.get(), err));
  EXPECT_NE(c, nullptr) << err;
  return c;
}

std::set<int> assigned(RdKafka::KafkaConsumer& c) {
  std::vector<RdKafka::TopicPartition*> parts;
  EXPECT_EQ(c.assignment(parts), RdKafka::ERR_NO_ERROR);
  std::set<int> out;
  for (auto* p : parts) out.insert(p->partition());
  RdKafka::TopicPartition::destroy(parts);
  return out;
}

// Polls every consumer (records go to `got`) until `done()` or the deadline.
template <typename Done>
bool poll_until(const std::vector<RdKafka::KafkaConsumer*>& consumers, std::map<std::string, int>* got, Done done,
                std::chrono::seconds limit = 60s) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    for (auto* c : consumers) {
      std::unique_ptr<RdKafka::Message> m(c->consume(50));
      if (m->err() == RdKafka::ERR_NO_ERROR) {
        ++(*got)[std::string(static_cast<const char*>(m->payload()), m->len())];
      } else if (m->err() != RdKafka::ERR__TIMED_OUT && m->err() != RdKafka::ERR__PARTITION_EOF) {
        ADD_FAILURE() << "consume: " << m->errstr();
      }
    }
    if (done()) return true;
  }
  return false;
}

// The consumers' assignments are disjoint and cover partitions 0..n-1.
bool split_exactly(const std::vector<RdKafka::KafkaConsumer*>& consumers, int n) {
  std::set<int> all;
  std::size_t total = 0;
  for (auto* c : consumers) {
    auto a = assigned(*c);
    if (a.empty()) return false;
    total += a.size();
    all.insert(a.begin(), a.end());
  }
  return total == static_cast<std::size_t>(n) && all.size() == static_cast<std::size_t>(n);
}

// Every consumer's position on each of its partitions is `end`: all read.
bool all_read(const std::vector<RdKafka::KafkaConsumer*>& consumers, std::int64_t end) {
  for (auto* c : consumers) {
    std::vector<RdKafka::TopicPartition*> parts;
    if (c->assignment(parts) != RdKafka::ERR_NO_ERROR) return false;
    bool done = c->position(parts) == RdKafka::ERR_NO_ERROR;
    for (auto* p : parts) done = done && p->offset() == end;
    RdKafka::TopicPartition::destroy(parts);
    if (!done) return false;
  }
  return true;
}

void produce(Client& client, const std::string& topic, int from, int to) {
  Producer p(client);
  for (int i = from; i < to; ++i) {
    const std::string v = fmt::format("r{}", i);
    ProducerRecord r;
    r.value = v;
    p.send(topic, static_cast<std::uint32_t>(i % 6), r);
  }
  p.flush();
}

class RdkafkaGroupTest : public ::testing::TestWithParam<const char*> {};

TEST_P(RdkafkaGroupTest, MembersSplitPartitionsTakeOverOnLeaveAndResumeFromCommits) {
  TestBroker tb(group_broker());
  auto client = tb.client();
  ASSERT_TRUE(client->create_topic({"six", 6}).ok());
  produce(*client, "six", 0, 600);
  const std::string group = fmt::format("g-{}", GetParam());

  std::vector<std::unique_ptr<RdKafka::KafkaConsumer>> owned;
  std::vector<RdKafka::KafkaConsumer*> members;
  for (int i = 0; i < 3; ++i) {
    owned.push_back(make_consumer(tb.kafka_address(), group, GetParam()));
    ASSERT_EQ(owned.back()->subscribe({"six"}), RdKafka::ERR_NO_ERROR);
    members.push_back(owned.back().get());
  }
  std::map<std::string, int> got;
  ASSERT_TRUE(poll_until(members, &got, [&] { return split_exactly(members, 6) && all_read(members, 100); }))
      << "assignments: " << assigned(*members[0]).size() << "+" << assigned(*members[1]).size() << "+"
      << assigned(*members[2]).size() << ", records " << got.size();
  for (const auto& [value, n] : got) EXPECT_EQ(n, 1) << value << " was delivered to more than one member";
  for (auto* c : members) ASSERT_EQ(c->commitSync(), RdKafka::ERR_NO_ERROR);

  EXPECT_EQ(got.size(), 600u);
  // One leaves: the other two take over all six partitions. (Records read
  // during the rebalance and not committed are read again by their new
  // owner: at least once.)
  ASSERT_EQ(members[2]->close(), RdKafka::ERR_NO_ERROR);
  members.pop_back();
  produce(*client, "six", 600, 660);
  ASSERT_TRUE(poll_until(members, &got, [&] { return split_exactly(members, 6) && all_read(members, 110); }))
      << "assignments: " << assigned(*members[0]).size() << "+" << assigned(*members[1]).size() << ", records "
      << got.size();
  EXPECT_EQ(got.size(), 660u);
  for (auto* c : members) ASSERT_EQ(c->commitSync(), RdKafka::ERR_NO_ERROR);
  auto committed = client->committed_offsets(group, "six");
  ASSERT_TRUE(committed.ok());
  ASSERT_EQ(committed->size(), 6u);
  for (const auto& c : *committed) EXPECT_EQ(c.offset, 110) << "partition " << c.partition;
  for (auto* c : members) c->close();

  // A new member of the group starts where the group left off.
  produce(*client, "six", 660, 672);
  auto fresh = make_consumer(tb.kafka_address(), group, GetParam());
  ASSERT_EQ(fresh->subscribe({"six"}), RdKafka::ERR_NO_ERROR);
  std::map<std::string, int> after;
  ASSERT_TRUE(poll_until({fresh.get()}, &after, [&] { return after.size() == 12; }));
  EXPECT_FALSE(poll_until({fresh.get()}, &after, [&] { return after.size() > 12; }, 2s));
  for (int i = 660; i < 672; ++i) EXPECT_EQ(after.count(fmt::format("r{}", i)), 1u) << i;
  fresh->close();
}

// A Wharf consumer and a librdkafka consumer in one group: the librdkafka
// member leads and assigns, both read their share, and both commit to the
// same offsets.
TEST(MixedGroupTest, AWharfConsumerAndALibrdkafkaConsumerShareAGroup) {
  TestBroker tb(group_broker());
  auto client = tb.client();
  ASSERT_TRUE(client->create_topic({"six", 6}).ok());
  produce(*client, "six", 0, 600);
  auto kafka = make_consumer(tb.kafka_address(), "mixed", "range");
  ASSERT_EQ(kafka->subscribe({"six"}), RdKafka::ERR_NO_ERROR);
  ConsumerOptions o;
  o.group = "mixed";
  o.heartbeat_interval = 200ms;
  o.session_timeout = 2000ms;
  Consumer native(*client, o);
  ASSERT_TRUE(native.subscribe({"six"}).ok());

  std::map<std::string, int> got;
  auto split = [&] {
    const std::set<int> theirs = assigned(*kafka);
    std::set<int> all = theirs;
    const auto mine = native.assignment();
    for (const auto& tp : mine) all.insert(static_cast<int>(tp.partition));
    return !mine.empty() && !theirs.empty() && all.size() == 6 && theirs.size() + mine.size() == 6;
  };
  auto native_done = [&] {
    for (const auto& tp : native.assignment())
      if (auto pos = native.position(tp); !pos || *pos != 100) return false;
    return true;
  };
  const auto deadline = Clock::now() + 60s;
  while (Clock::now() < deadline && !(split() && native_done() && all_read({kafka.get()}, 100))) {
    poll_until({kafka.get()}, &got, [] { return true; });
    auto records = native.poll(20ms);
    if (records) {
      for (const auto& r : *records) ++got[std::string(r.value)];
    } else {
      EXPECT_EQ(records.error().code(), errc::rebalance_in_progress) << records.error().to_string();
    }
  }
  ASSERT_TRUE(split()) << assigned(*kafka).size() << " + " << native.assignment().size();
  EXPECT_EQ(got.size(), 600u);
  ASSERT_EQ(kafka->commitSync(), RdKafka::ERR_NO_ERROR);
  ASSERT_TRUE(native.commit().ok());
  auto committed = client->committed_offsets("mixed", "six");
  ASSERT_TRUE(committed.ok());
  ASSERT_EQ(committed->size(), 6u);
  for (const auto& c : *committed) EXPECT_EQ(c.offset, 100) << "partition " << c.partition;
  auto info = client->describe_group("mixed");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->members.size(), 2u);
  EXPECT_EQ(info->protocol, "range");
  kafka->close();
}

INSTANTIATE_TEST_SUITE_P(Assignors, RdkafkaGroupTest, ::testing::Values("range", "roundrobin", "cooperative-sticky"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::erase(name, '-');
                           return name;
                         });

}  // namespace
}  // namespace wharf::test
