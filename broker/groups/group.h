// One consumer group's membership: Kafka's classic group state machine.
//
//   Empty --join--> PreparingRebalance --all known members rejoined, or the
//   rebalance timeout--> CompletingRebalance --the leader's sync--> Stable
//
// A join that changes the membership (a new member, new protocols, a
// member leaving or missing its session timeout) starts a rebalance: the
// others learn of it from their heartbeats (rebalance_in_progress) and
// rejoin; once all have, the group moves to the next generation, picks a
// protocol and a leader, and answers every join. The leader computes the
// assignment and hands it in with its sync, which answers every member's
// sync. When the leader is one of Wharf's own members (broker_assigned),
// the broker computes the assignment itself and the group is Stable at once.
//
// Not thread-safe: the coordinator calls it under its lock. Callbacks are
// not run here but queued in `fx`, for the caller to run unlocked.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "broker/groups/group_types.h"

namespace wharf::groups {

class Group {
 public:
  using Clock = std::chrono::steady_clock;
  using Effects = std::vector<std::function<void()>>;
  // Partitions of a topic (0 when it does not exist), for broker-side assignment.
  using PartitionCount = std::function<std::uint32_t(const std::string& topic)>;

  enum class State { empty, preparing_rebalance, completing_rebalance, stable };

  Group(std::string name, const GroupOptions& options, PartitionCount partitions);

  // `fresh_id` is the member id a new member gets.
  void join(JoinRequest req, std::string fresh_id, JoinDone done, Clock::time_point now, Effects& fx);
  void sync(SyncRequest req, SyncDone done, Clock::time_point now, Effects& fx);
  status heartbeat(std::int32_t generation, const std::string& member_id,
                   const std::optional<std::string>& instance_id, Clock::time_point now);
  status leave(const std::string& member_id, Clock::time_point now, Effects& fx);
  // Whether a commit may go ahead: from a member of the current generation,
  // or from outside the group (generation -1, no member id) while it has
  // no members.
  status check_commit(std::int32_t generation, const std::string& member_id,
                      const std::optional<std::string>& instance_id) const;
  // Answers every waiting join and sync with `why` (shutdown).
  void fail_waiting(const status& why, Effects& fx);
  // Session timeouts and rebalance deadlines; returns when to call again.
  Clock::time_point tick(Clock::time_point now, Effects& fx);

  GroupDescription describe() const;
  GroupSummary summary() const;
  State state() const noexcept { return state_; }
  bool has_members() const noexcept { return !members_.empty(); }
  static std::string_view state_name(State s) noexcept;

 private:
  struct Member {
    std::string id;
    std::optional<std::string> instance_id;
    std::string client_id;
    std::string client_host;
    std::chrono::milliseconds session_timeout{0};
    std::chrono::milliseconds rebalance_timeout{0};
    std::vector<Protocol> protocols;
    bool broker_assigned = false;
    std::uint64_t order = 0;  // join order: the first eligible one leads
    Clock::time_point last_seen;
    JoinDone awaiting_join;
    SyncDone awaiting_sync;
    Bytes assignment;
  };

  // Finds the member a request names, or why it may not act.
  status find_member(const std::string& member_id, const std::optional<std::string>& instance_id, Member** out);
  const Bytes& metadata_for(const Member& m, const std::string& protocol) const;
  bool shares_a_protocol(const std::vector<Protocol>& protocols) const;
  void prepare_rebalance(Clock::time_point now, Effects& fx);
  void maybe_complete_join(Clock::time_point now, Effects& fx);
  void complete_join(Clock::time_point now, Effects& fx);
  void assign_on_broker();
  JoinResult join_result(const Member& m) const;
  void remove_member(const std::string& id, const status& why, Effects& fx);
  // Answers the member's pending join or sync with `why`.
  void fail_waits(Member& m, const status& why, Effects& fx);
  // After members left: Empty when none remain, else a rebalance.
  void after_departures(Clock::time_point now, Effects& fx);

  std::string name_;
  GroupOptions options_;
  PartitionCount partitions_;
  State state_ = State::empty;
  std::int32_t generation_ = 0;
  std::string protocol_type_;
  std::string protocol_;
  std::string leader_;
  std::map<std::string, Member> members_;
  std::map<std::string, std::string> static_members_;  // instance id -> member id
  std::uint64_t next_order_ = 0;
  Clock::time_point rebalance_deadline_ = Clock::time_point::max();
  Clock::time_point join_delay_until_ = Clock::time_point::min();
};

}  // namespace wharf::groups
