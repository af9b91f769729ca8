// Consumer::subscribe: Wharf's consumers as members of a group on the
// broker's coordinator. Members split the partitions, take over from one
// that leaves or stops heartbeating, commit as members and resume from the
// group's offsets; the admin calls show and delete the group.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "support/test_broker.h"
#include "wharf/consumer.h"
#include "wharf/producer.h"

namespace wharf::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

BrokerOptions group_broker() {
  BrokerOptions o;
  o.groups.initial_rebalance_delay = 200ms;
  o.groups.min_session_timeout = 500ms;
  return o;
}

ConsumerOptions member_options(const std::string& group) {
  ConsumerOptions o;
  o.group = group;
  o.session_timeout = 2000ms;
  o.heartbeat_interval = 100ms;
  o.rebalance_timeout = 5000ms;
  return o;
}

void produce(Client& client, const std::string& topic, std::uint32_t partitions, int from, int to) {
  Producer p(client);
  for (int i = from; i < to; ++i) {
    const std::string v = fmt::format("r{}", i);
    ProducerRecord r;
    r.value = v;
    p.send(topic, static_cast<std::uint32_t>(i) % partitions, r);
  }
  p.flush();
}

// Polls every consumer (values go to `got`) until done() or 30 s pass.
template <typename Done>
bool poll_until(const std::vector<Consumer*>& consumers, std::map<std::string, int>* got, Done done) {
  const auto deadline = Clock::now() + 30s;
  while (Clock::now() < deadline) {
    for (auto* c : consumers) {
      auto records = c->poll(20ms);
      if (!records) {
        // A rebalance under way is news, not a failure.
        if (records.error().code() != errc::rebalance_in_progress) ADD_FAILURE() << records.error().to_string();
        continue;
      }
      for (const auto& r : *records) ++(*got)[std::string(r.value)];
    }
    if (done()) return true;
  }
  return false;
}

// The assignments are disjoint and cover partitions 0..n-1 of the topic.
bool split_exactly(const std::vector<Consumer*>& consumers, std::uint32_t n) {
  std::set<std::uint32_t> all;
  std::size_t total = 0;
  for (auto* c : consumers) {
    auto a = c->assignment();
    if (a.empty()) return false;
    total += a.size();
    for (const auto& tp : a) all.insert(tp.partition);
  }
  return total == n && all.size() == n;
}

bool all_read(const std::vector<Consumer*>& consumers, std::int64_t end) {
  for (auto* c : consumers)
    for (const auto& tp : c->assignment()) {
      auto pos = c->position(tp);
      if (!pos || *pos != end) return false;
    }
  return true;
}

TEST(ClientGroupConsumer, MembersSplitPartitionsAndTakeOverFromOneThatLeaves) {
  TestBroker tb(group_broker());
  auto client = tb.client();
  ASSERT_TRUE(client->create_topic({"four", 4}).ok());
  produce(*client, "four", 4, 0, 400);

  std::vector<std::vector<TopicPartition>> assigned_calls(2), revoked_calls(2);
  auto opts = [&](int i) {
    auto o = member_options("workers");
    o.on_assigned = [&, i](const std::vector<TopicPartition>& tps) { assigned_calls[i] = tps; };
    o.on_revoked = [&, i](const std::vector<TopicPartition>& tps) { revoked_calls[i] = tps; };
    return o;
  };
  Consumer a(*client, opts(0));
  Consumer b(*client, opts(1));
  ASSERT_TRUE(a.subscribe({"four"}).ok());
  ASSERT_TRUE(b.subscribe({"four"}).ok());
  std::map<std::string, int> got;
  ASSERT_TRUE(poll_until({&a, &b}, &got, [&] { return split_exactly({&a, &b}, 4) && all_read({&a, &b}, 100); }))
      << a.assignment().size() << "+" << b.assignment().size() << " partitions, " << got.size() << " records";
  EXPECT_EQ(a.assignment().size(), 2u);
  EXPECT_EQ(assigned_calls[0], a.assignment());
  EXPECT_EQ(assigned_calls[1], b.assignment());
  ASSERT_TRUE(a.commit().ok());
  ASSERT_TRUE(b.commit().ok());
  // Every record once (a rebalance before any commit may repeat a few: at
  // least once, never lost).
  EXPECT_EQ(got.size(), 400u);

  auto info = client->describe_group("workers");
  ASSERT_TRUE(info.ok()) << info.error().to_string();
  EXPECT_EQ(info->state, "Stable");
  EXPECT_EQ(info->members.size(), 2u);
  ASSERT_EQ(info->partitions.size(), 4u);
  for (const auto& p : info->partitions) {
    EXPECT_EQ(p.committed, 100);
    EXPECT_EQ(p.log_end, 100);
    EXPECT_EQ(p.lag(), 0);
    EXPECT_FALSE(p.member_id.empty());
  }
  // Only members commit while there are members; nobody deletes it.
  EXPECT_EQ(client->commit_offsets("workers", "four", {{0, 0}}).code(), errc::group_not_empty);
  EXPECT_EQ(client->delete_group("workers").code(), errc::group_not_empty);

  // b leaves: a gets all four and starts at b's commits.
  const auto b_had = b.assignment();
  ASSERT_TRUE(b.unsubscribe().ok());
  EXPECT_EQ(revoked_calls[1], b_had);
  EXPECT_TRUE(b.assignment().empty());
  produce(*client, "four", 4, 400, 440);
  got.clear();
  ASSERT_TRUE(poll_until({&a}, &got, [&] { return a.assignment().size() == 4 && all_read({&a}, 110); }));
  EXPECT_EQ(got.size(), 40u) << "a re-read records b had committed";
  ASSERT_TRUE(a.commit().ok());
  ASSERT_TRUE(a.unsubscribe().ok());

  auto groups = client->list_groups();
  ASSERT_TRUE(groups.ok());
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_EQ((*groups)[0].group, "workers");
  EXPECT_EQ((*groups)[0].state, "Empty");
  ASSERT_TRUE(client->delete_group("workers").ok());
  EXPECT_EQ(client->describe_group("workers").error().code(), errc::unknown_group);
  auto committed = client->committed_offsets("workers");
  ASSERT_TRUE(committed.ok());
  EXPECT_TRUE(committed->empty());
}

TEST(ClientGroupConsumer, AMemberThatStopsHeartbeatingLosesItsPartitions) {
  TestBroker tb(group_broker());
  auto client = tb.client();
  ASSERT_TRUE(client->create_topic({"two", 2}).ok());
  produce(*client, "two", 2, 0, 20);
  Consumer live(*client, member_options("g"));
  auto silent_opts = member_options("g");
  silent_opts.session_timeout = 600ms;
  silent_opts.heartbeat_interval = 1h;  // never heartbeats
  Consumer silent(*client, silent_opts);
  ASSERT_TRUE(live.subscribe({"two"}).ok());
  ASSERT_TRUE(silent.subscribe({"two"}).ok());
  std::map<std::string, int> got;
  ASSERT_TRUE(poll_until({&live, &silent}, &got, [&] { return split_exactly({&live, &silent}, 2); }));
  // Only `live` polls now; the broker drops `silent` after its session
  // timeout and `live` takes both partitions.
  ASSERT_TRUE(poll_until({&live}, &got, [&] { return live.assignment().size() == 2 && all_read({&live}, 10); }));
  auto info = client->describe_group("g");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->members.size(), 1u);
  // The dropped member's commit is refused; it rejoins on its next poll.
  const status st = silent.commit();
  EXPECT_TRUE(st.code() == errc::unknown_member || st.code() == errc::illegal_generation) << st.to_string();
}

TEST(ClientGroupConsumer, SubscribeNeedsAGroupAndAssignIsRefusedWhileSubscribed) {
  TestBroker tb(group_broker());
  auto client = tb.client();
  ASSERT_TRUE(client->create_topic({"t", 1}).ok());
  Consumer no_group(*client);
  EXPECT_EQ(no_group.subscribe({"t"}).code(), errc::invalid_argument);
  Consumer c(*client, member_options("g"));
  EXPECT_EQ(c.subscribe({}).code(), errc::invalid_argument);
  EXPECT_EQ(c.subscribe({"bad name"}).code(), errc::invalid_name);
  ASSERT_TRUE(c.subscribe({"t"}).ok());
  EXPECT_EQ(c.assign({{"t", 0}}).code(), errc::invalid_argument);
}

}  // namespace
}  // namespace wharf::test
