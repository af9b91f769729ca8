// The consumer groups of the broker, for both protocols: Kafka clients
// (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) and Wharf's own consumers
// join the same groups. Membership lives in memory; committed offsets are
// the log engine's (durable), and a commit goes through here so that only
// the group's current members commit while it has any.
//
// Thread safety: every method may be called from any thread. Callbacks
// run on the calling thread or on the coordinator's timer thread, never
// under its lock; they must only post work elsewhere. A timer thread
// expires sessions and ends rebalances whose members did not all rejoin.
#pragma once

#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "base/mutex.h"
#include "broker/groups/group.h"
#include "broker/groups/group_types.h"
#include "broker/log/log_engine.h"

namespace wharf::groups {

class GroupCoordinator {
 public:
  GroupCoordinator(log::LogEngine& logs, GroupOptions options);
  ~GroupCoordinator();
  GroupCoordinator(const GroupCoordinator&) = delete;
  GroupCoordinator& operator=(const GroupCoordinator&) = delete;

  // Stops the timer thread; pending joins and syncs get shutting_down.
  void stop();

  // Errors (in the result): invalid_name, inconsistent_group_protocol,
  // invalid_argument (session timeout out of range), unknown_member,
  // fenced_instance, rebalance_in_progress (replaced by a newer join).
  void join(JoinRequest req, JoinDone done);
  // Errors: unknown_member, illegal_generation, rebalance_in_progress,
  // fenced_instance.
  void sync(SyncRequest req, SyncDone done);
  // Errors: unknown_member, illegal_generation, rebalance_in_progress
  // (rejoin), fenced_instance.
  status heartbeat(const std::string& group, std::int32_t generation, const std::string& member_id,
                   const std::optional<std::string>& instance_id = std::nullopt);
  status leave(const std::string& group, const std::string& member_id);

  // Commits after check: `generation` -1 with no member id commits from
  // outside the group, which it must then have no members. Errors: those
  // of Group::check_commit and of LogEngine::commit_offsets.
  void commit(const std::string& group, std::int32_t generation, const std::string& member_id,
              const std::optional<std::string>& instance_id, std::string topic,
              std::vector<std::pair<std::uint32_t, std::uint64_t>> offsets, log::LogEngine::Done done);

  // Groups with members or committed offsets.
  result<std::vector<GroupSummary>> list();
  // Errors: unknown_group (no members and no committed offsets).
  result<GroupDescription> describe(const std::string& group);
  // Deletes a group without members and its committed offsets. Errors:
  // group_not_empty, unknown_group.
  void delete_group(const std::string& group, std::function<void(status)> done);

 private:
  using Clock = Group::Clock;
  Group& group_locked(const std::string& name) WHARF_REQUIRES(mu_);
  std::string new_member_id(const std::string& client_id) WHARF_REQUIRES(mu_);
  // Runs callbacks queued under the lock, after releasing it.
  static void run(Group::Effects& fx);
  void wake_timer() WHARF_REQUIRES(mu_);
  void timer_loop();

  log::LogEngine& logs_;
  GroupOptions options_;
  Mutex mu_;
  CondVar cv_;
  std::map<std::string, std::unique_ptr<Group>, std::less<>> groups_ WHARF_GUARDED_BY(mu_);
  std::mt19937_64 random_ WHARF_GUARDED_BY(mu_);
  bool stopping_ WHARF_GUARDED_BY(mu_) = false;
  bool timer_due_ WHARF_GUARDED_BY(mu_) = false;
  std::thread timer_;
};

}  // namespace wharf::groups
