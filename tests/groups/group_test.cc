// The group state machine on its own, with a hand-driven clock: joins,
// generations, the leader's sync, heartbeats, session expiry, leaving,
// static members, broker-side assignment, and who may commit.
#include "broker/groups/group.h"

#include <gtest/gtest.h>

#include <optional>

#include "broker/groups/assignors.h"
#include "protocol/kafka/consumer_protocol.h"

namespace wharf::groups {
namespace {

using namespace std::chrono_literals;
using Clock = Group::Clock;
namespace pk = protocol::kafka;

class GroupTest : public ::testing::Test {
 protected:
  GroupTest() : group_("g", options(), [](const std::string& t) -> std::uint32_t { return t == "six" ? 6 : 0; }) {}

  static GroupOptions options() {
    GroupOptions o;
    o.initial_rebalance_delay = 100ms;
    o.min_session_timeout = 10ms;
    return o;
  }

  JoinRequest request(const std::string& member_id, std::vector<std::string> protocols = {"range"},
                      bool broker_assigned = false) {
    JoinRequest r;
    r.group = "g";
    r.member_id = member_id;
    r.client_id = "c";
    r.session_timeout = 1000ms;
    r.rebalance_timeout = 5000ms;
    r.protocol_type = "consumer";
    for (auto& p : protocols) r.protocols.push_back({p, pk::encode_subscription({"six"})});
    r.broker_assigned = broker_assigned;
    return r;
  }

  // Joins and returns a slot the answer lands in (once effects run).
  std::shared_ptr<std::optional<JoinResult>> join(JoinRequest r, const std::string& fresh = "") {
    auto slot = std::make_shared<std::optional<JoinResult>>();
    group_.join(std::move(r), fresh.empty() ? "m" + std::to_string(++ids_) : fresh,
                [slot](JoinResult res) { *slot = std::move(res); }, now_, fx_);
    run();
    return slot;
  }
  std::shared_ptr<std::optional<result<Bytes>>> sync(const std::string& member, std::int32_t generation,
                                                       std::vector<std::pair<std::string, Bytes>> assignments = {}) {
    auto slot = std::make_shared<std::optional<result<Bytes>>>();
    group_.sync({"g", generation, member, std::nullopt, std::move(assignments)},
                [slot](result<Bytes> r) { *slot = std::move(r); }, now_, fx_);
    run();
    return slot;
  }
  void advance(std::chrono::milliseconds d) {
    now_ += d;
    group_.tick(now_, fx_);
    run();
  }
  void run() {
    for (auto& f : fx_) f();
    fx_.clear();
  }

  Group group_;
  Clock::time_point now_ = Clock::now();
  Group::Effects fx_;
  int ids_ = 0;
};

TEST_F(GroupTest, FirstGenerationAfterTheInitialDelayThenTheLeadersSyncReachesEveryone) {
  auto a = join(request(""));
  auto b = join(request(""));
  EXPECT_FALSE(a->has_value()) << "waits for the initial delay";
  advance(150ms);
  ASSERT_TRUE(a->has_value() && b->has_value());
  const JoinResult& ra = **a;
  const JoinResult& rb = **b;
  ASSERT_TRUE(ra.error.ok());
  EXPECT_EQ(ra.generation, 1);
  EXPECT_EQ(ra.protocol, "range");
  EXPECT_EQ(ra.leader, ra.member_id) << "the first to join leads";
  EXPECT_EQ(ra.members.size(), 2u) << "the leader sees every member";
  EXPECT_TRUE(rb.members.empty());
  EXPECT_EQ(group_.state(), Group::State::completing_rebalance);

  auto follower = sync(rb.member_id, 1);
  EXPECT_FALSE(follower->has_value()) << "waits for the leader";
  auto leader = sync(ra.member_id, 1, {{ra.member_id, {1}}, {rb.member_id, {2}}});
  ASSERT_TRUE(follower->has_value() && leader->has_value());
  EXPECT_EQ(***follower, Bytes{2});
  EXPECT_EQ(***leader, Bytes{1});
  EXPECT_EQ(group_.state(), Group::State::stable);
  EXPECT_TRUE(group_.heartbeat(1, rb.member_id, std::nullopt, now_).ok());
}

TEST_F(GroupTest, ANewMemberMakesTheOthersRejoinThroughTheirHeartbeats) {
  auto a = join(request(""));
  advance(150ms);
  const std::string ma = (*a)->member_id;
  sync(ma, 1, {{ma, {}}});
  auto b = join(request(""));
  EXPECT_EQ(group_.heartbeat(1, ma, std::nullopt, now_).code(), errc::rebalance_in_progress);
  EXPECT_FALSE(b->has_value()) << "waits for the known member to rejoin";
  auto again = join(request(ma));
  ASSERT_TRUE(again->has_value() && b->has_value());
  EXPECT_EQ((*again)->generation, 2);
  EXPECT_EQ((*b)->generation, 2);
  EXPECT_EQ((*again)->leader, ma) << "the leader stays";
  EXPECT_EQ((*sync(ma, 1))->code(), errc::illegal_generation);
}

TEST_F(GroupTest, AMemberThatStopsHeartbeatingIsDroppedAndTheRestRebalance) {
  auto a = join(request(""));
  auto b = join(request(""));
  advance(150ms);
  const std::string ma = (*a)->member_id, mb = (*b)->member_id;
  sync(ma, 1, {});
  sync(mb, 1);
  for (int i = 0; i < 3; ++i) {
    advance(300ms);
    ASSERT_TRUE(group_.heartbeat(1, ma, std::nullopt, now_).ok());  // only a keeps its session
  }
  advance(300ms);  // b's second is up
  EXPECT_EQ(group_.heartbeat(1, mb, std::nullopt, now_).code(), errc::unknown_member);
  EXPECT_EQ(group_.heartbeat(1, ma, std::nullopt, now_).code(), errc::rebalance_in_progress);
  auto rejoin = join(request(ma));
  ASSERT_TRUE(rejoin->has_value());
  EXPECT_EQ((*rejoin)->generation, 2);
  EXPECT_EQ(group_.describe().members.size(), 1u);
}

TEST_F(GroupTest, MembersThatDoNotRejoinInTimeAreDroppedAtTheRebalanceTimeout) {
  auto a = join(request(""));
  auto b = join(request(""));
  advance(150ms);
  const std::string ma = (*a)->member_id, mb = (*b)->member_id;
  sync(ma, 1, {});
  auto c = join(request(""));  // a rebalance: a rejoins, b does not
  auto again = join(request(ma));
  for (int i = 0; i < 10 && !again->has_value(); ++i) {
    advance(600ms);
    group_.heartbeat(1, mb, std::nullopt, now_);  // b keeps its session but never rejoins
  }
  ASSERT_TRUE(again->has_value());
  EXPECT_TRUE((*again)->error.ok());
  EXPECT_EQ((*again)->members.size(), 2u) << "a and c";
  EXPECT_EQ(group_.heartbeat(2, mb, std::nullopt, now_).code(), errc::unknown_member);
}

TEST_F(GroupTest, LeavingRebalancesTheRestAndTheLastOneLeavesAnEmptyGroup) {
  auto a = join(request(""));
  auto b = join(request(""));
  advance(150ms);
  const std::string ma = (*a)->member_id, mb = (*b)->member_id;
  ASSERT_TRUE(group_.leave(mb, now_, fx_).ok());
  EXPECT_EQ(group_.state(), Group::State::preparing_rebalance);
  EXPECT_EQ(group_.leave(mb, now_, fx_).code(), errc::unknown_member);
  auto again = join(request(ma));
  ASSERT_TRUE(again->has_value());
  EXPECT_EQ((*again)->generation, 2);
  ASSERT_TRUE(group_.leave(ma, now_, fx_).ok());
  EXPECT_EQ(group_.state(), Group::State::empty);
  EXPECT_FALSE(group_.has_members());
}

TEST_F(GroupTest, TheProtocolIsOneEveryMemberSupportsAndIncompatibleMembersAreRefused) {
  auto a = join(request("", {"cooperative-sticky", "range"}));
  auto b = join(request("", {"range", "roundrobin"}));
  advance(150ms);
  EXPECT_EQ((*a)->protocol, "range");
  auto c = join(request("", {"sticky"}));
  ASSERT_TRUE(c->has_value());
  EXPECT_EQ((*c)->error.code(), errc::inconsistent_group_protocol);
  JoinRequest other = request("");
  other.protocol_type = "connect";
  auto d = join(other);
  EXPECT_EQ((*d)->error.code(), errc::inconsistent_group_protocol);
}

TEST_F(GroupTest, AStaticMemberComingBackFencesItsOldId) {
  JoinRequest r = request("");
  r.instance_id = "pod-1";
  auto a = join(r, "old");
  advance(150ms);
  ASSERT_EQ((*a)->member_id, "old");
  auto b = join(r, "new");
  EXPECT_EQ(group_.heartbeat(1, "old", std::string("pod-1"), now_).code(), errc::fenced_instance);
  advance(10ms);
  ASSERT_TRUE(b->has_value());
  EXPECT_EQ((*b)->member_id, "new");
  EXPECT_EQ(group_.describe().members.size(), 1u) << "it took the old one's place";
}

TEST_F(GroupTest, WharfMembersAreAssignedByTheBrokerUnlessAKafkaClientLeads) {
  auto a = join(request("", {"range", "roundrobin"}, true));
  auto b = join(request("", {"range", "roundrobin"}, true));
  advance(150ms);
  EXPECT_EQ(group_.state(), Group::State::stable) << "no sync round needed";
  auto sa = sync((*a)->member_id, 1);
  auto sb = sync((*b)->member_id, 1);
  auto pa = pk::decode_assignment(***sa);
  auto pb = pk::decode_assignment(***sb);
  ASSERT_TRUE(pa && pb);
  ASSERT_EQ(pa->size(), 1u);
  EXPECT_EQ((*pa)[0].partitions.size() + (*pb)[0].partitions.size(), 6u);

  // A Kafka client joins: it leads, and hands in everyone's assignment.
  auto k = join(request("", {"range"}));
  join(request((*a)->member_id, {"range", "roundrobin"}, true));
  auto again = join(request((*b)->member_id, {"range", "roundrobin"}, true));
  ASSERT_TRUE(k->has_value() && again->has_value());
  EXPECT_EQ((*k)->leader, (*k)->member_id);
  EXPECT_EQ((*k)->members.size(), 3u);
  EXPECT_EQ(group_.state(), Group::State::completing_rebalance);
}

TEST_F(GroupTest, OnlyTheCurrentGenerationCommitsAndOutsidersOnlyWhileEmpty) {
  EXPECT_TRUE(group_.check_commit(-1, "", std::nullopt).ok()) << "an empty group takes commits from outside";
  auto a = join(request(""));
  advance(150ms);
  const std::string ma = (*a)->member_id;
  EXPECT_EQ(group_.check_commit(1, ma, std::nullopt).code(), errc::rebalance_in_progress) << "awaiting sync";
  sync(ma, 1, {});
  EXPECT_TRUE(group_.check_commit(1, ma, std::nullopt).ok());
  EXPECT_EQ(group_.check_commit(0, ma, std::nullopt).code(), errc::illegal_generation);
  EXPECT_EQ(group_.check_commit(1, "stranger", std::nullopt).code(), errc::unknown_member);
  EXPECT_EQ(group_.check_commit(-1, "", std::nullopt).code(), errc::group_not_empty);
}

TEST(GroupAssignors, RangeAndRoundRobinSplitLikeKafka) {
  Subscriptions subs = {{"a", {"t", "u"}}, {"b", {"t"}}, {"c", {"t", "u"}}};
  auto count = [](const std::string& topic) -> std::uint32_t { return topic == "t" ? 7 : 2; };
  auto range = assign("range", subs, count);
  // t: 7 over a, b, c -> 3, 2, 2 in order; u: 2 over a, c -> 1, 1.
  EXPECT_EQ(range["a"][0].partitions, (std::vector<std::int32_t>{0, 1, 2}));
  EXPECT_EQ(range["b"][0].partitions, (std::vector<std::int32_t>{3, 4}));
  EXPECT_EQ(range["c"][0].partitions, (std::vector<std::int32_t>{5, 6}));
  EXPECT_EQ(range["a"][1].partitions, (std::vector<std::int32_t>{0}));
  EXPECT_EQ(range["c"][1].partitions, (std::vector<std::int32_t>{1}));
  auto rr = assign("roundrobin", subs, count);
  std::size_t total = 0;
  for (auto& [m, parts] : rr)
    for (auto& tp : parts) {
      total += tp.partitions.size();
      if (m == "b") {
        EXPECT_EQ(tp.topic, "t") << "b is not subscribed to u";
      }
    }
  EXPECT_EQ(total, 9u);
}

}  // namespace
}  // namespace wharf::groups
