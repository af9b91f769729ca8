#include "broker/groups/group_coordinator.h"

#include <fmt/format.h>

#include "protocol/names.h"

namespace wharf::groups {

GroupCoordinator::GroupCoordinator(log::LogEngine& logs, GroupOptions options)
    : logs_(logs), options_(options), random_(std::random_device{}()) {
  timer_ = std::thread([this] { timer_loop(); });
}

GroupCoordinator::~GroupCoordinator() { stop(); }

void GroupCoordinator::stop() {
  Group::Effects fx;
  {
    MutexLock lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [name, g] : groups_) g->fail_waiting(status(errc::shutting_down, "the broker is stopping"), fx);
    cv_.notify_all();
  }
  if (timer_.joinable()) timer_.join();
  run(fx);
}

void GroupCoordinator::run(Group::Effects& fx) {
  for (auto& f : fx) f();
  fx.clear();
}

Group& GroupCoordinator::group_locked(const std::string& name) {
  auto it = groups_.find(name);
  if (it == groups_.end()) {
    auto partitions = [&logs = logs_](const std::string& topic) -> std::uint32_t {
      auto d = logs.describe_topic(topic);
      return d ? d->config.partitions : 0;
    };
    it = groups_.emplace(name, std::make_unique<Group>(name, options_, std::move(partitions))).first;
  }
  return *it->second;
}

std::string GroupCoordinator::new_member_id(const std::string& client_id) {
  return fmt::format("{}-{:016x}", client_id.empty() ? "member" : client_id, random_());
}

void GroupCoordinator::wake_timer() {
  timer_due_ = true;
  cv_.notify_all();
}

void GroupCoordinator::join(JoinRequest req, JoinDone done) {
  if (status st = protocol::validate_name(req.group, "group"); !st.ok()) {
    JoinResult r;
    r.error = st;
    return done(std::move(r));
  }
  Group::Effects fx;
  {
    MutexLock lock(mu_);
    if (stopping_) {
      JoinResult r;
      r.error = status(errc::shutting_down, "the broker is stopping");
      fx.push_back([done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
    } else {
      Group& g = group_locked(req.group);
      std::string id = new_member_id(req.client_id);
      g.join(std::move(req), std::move(id), std::move(done), Clock::now(), fx);
      wake_timer();
    }
  }
  run(fx);
}

void GroupCoordinator::sync(SyncRequest req, SyncDone done) {
  Group::Effects fx;
  {
    MutexLock lock(mu_);
    auto it = groups_.find(req.group);
    if (it == groups_.end()) {
      fx.push_back([done = std::move(done), g = req.group] {
        done(status(errc::unknown_member, fmt::format("group '{}' has no members", g)));
      });
    } else {
      it->second->sync(std::move(req), std::move(done), Clock::now(), fx);
    }
  }
  run(fx);
}

status GroupCoordinator::heartbeat(const std::string& group, std::int32_t generation, const std::string& member_id,
                                   const std::optional<std::string>& instance_id) {
  MutexLock lock(mu_);
  auto it = groups_.find(group);
  if (it == groups_.end()) return {errc::unknown_member, fmt::format("group '{}' has no members", group)};
  return it->second->heartbeat(generation, member_id, instance_id, Clock::now());
}

status GroupCoordinator::leave(const std::string& group, const std::string& member_id) {
  Group::Effects fx;
  status st;
  {
    MutexLock lock(mu_);
    auto it = groups_.find(group);
    if (it == groups_.end()) return {errc::unknown_member, fmt::format("group '{}' has no members", group)};
    st = it->second->leave(member_id, Clock::now(), fx);
    wake_timer();
  }
  run(fx);
  return st;
}

void GroupCoordinator::commit(const std::string& group, std::int32_t generation, const std::string& member_id,
                              const std::optional<std::string>& instance_id, std::string topic,
                              std::vector<std::pair<std::uint32_t, std::uint64_t>> offsets,
                              log::LogEngine::Done done) {
  status allowed;
  {
    MutexLock lock(mu_);
    auto it = groups_.find(group);
    if (it != groups_.end()) {
      allowed = it->second->check_commit(generation, member_id, instance_id);
    } else if (generation >= 0 || !member_id.empty()) {
      allowed = status(errc::unknown_member, fmt::format("group '{}' has no members", group));
    }
  }
  if (!allowed.ok()) return done(allowed);
  logs_.commit_offsets(group, std::move(topic), std::move(offsets), std::move(done));
}

result<std::vector<GroupSummary>> GroupCoordinator::list() {
  auto stored = logs_.groups_with_offsets();
  if (!stored) return stored.error();
  std::map<std::string, GroupSummary> all;
  for (auto& name : *stored) all[name] = GroupSummary{name, "Empty", "", 0};
  {
    MutexLock lock(mu_);
    for (const auto& [name, g] : groups_)
      if (g->has_members()) all[name] = g->summary();
  }
  std::vector<GroupSummary> out;
  for (auto& [name, s] : all) out.push_back(std::move(s));
  return out;
}

result<GroupDescription> GroupCoordinator::describe(const std::string& group) {
  if (status st = protocol::validate_name(group, "group"); !st.ok()) return st;
  {
    MutexLock lock(mu_);
    auto it = groups_.find(group);
    if (it != groups_.end() && it->second->has_members()) return it->second->describe();
  }
  auto offsets = logs_.group_offsets(group, "");
  if (!offsets) return offsets.error();
  if (offsets->empty()) return status(errc::unknown_group, fmt::format("group '{}' has no members and no offsets", group));
  GroupDescription d;
  d.group = group;
  d.state = "Empty";
  return d;
}

void GroupCoordinator::delete_group(const std::string& group, std::function<void(status)> done) {
  if (status st = protocol::validate_name(group, "group"); !st.ok()) return done(st);
  bool has_members = false;
  {
    MutexLock lock(mu_);
    auto it = groups_.find(group);
    if (it != groups_.end()) {
      has_members = it->second->has_members();
      if (!has_members) groups_.erase(it);
    }
  }
  // Answered outside the lock, as every callback here.
  if (has_members)
    return done(status(errc::group_not_empty, fmt::format("group '{}' has members; stop them before deleting it", group)));
  logs_.delete_group_offsets(group, [done = std::move(done), group](result<std::size_t> deleted) {
    if (!deleted) return done(deleted.error());
    if (*deleted == 0) return done(status(errc::unknown_group, fmt::format("no group named '{}'", group)));
    done({});
  });
}

void GroupCoordinator::timer_loop() {
  for (;;) {
    Group::Effects fx;
    {
      MutexLock lock(mu_);
      if (stopping_) return;
      const auto now = Clock::now();
      Clock::time_point next = Clock::time_point::max();
      for (auto it = groups_.begin(); it != groups_.end();) {
        next = std::min(next, it->second->tick(now, fx));
        // A group with no members is only its committed offsets: forget it.
        if (!it->second->has_members() && it->second->state() == Group::State::empty) {
          it = groups_.erase(it);
        } else {
          ++it;
        }
      }
      if (fx.empty()) {
        timer_due_ = false;
        // Sessions are checked at least this often even when nothing is due.
        next = std::min(next, now + std::chrono::seconds(1));
        while (!stopping_ && !timer_due_ && Clock::now() < next) cv_.wait_until(mu_, next);
        continue;
      }
    }
    run(fx);
  }
}

}  // namespace wharf::groups
