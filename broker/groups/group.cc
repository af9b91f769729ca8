#include "broker/groups/group.h"

#include <fmt/format.h>

#include <algorithm>

#include "broker/groups/assignors.h"
#include "protocol/kafka/consumer_protocol.h"

namespace wharf::groups {

namespace {

bool same_protocols(const std::vector<Protocol>& a, const std::vector<Protocol>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].name != b[i].name || a[i].metadata != b[i].metadata) return false;
  return true;
}

}  // namespace

Group::Group(std::string name, const GroupOptions& options, PartitionCount partitions)
    : name_(std::move(name)), options_(options), partitions_(std::move(partitions)) {}

std::string_view Group::state_name(State s) noexcept {
  switch (s) {
    case State::empty: return "Empty";
    case State::preparing_rebalance: return "PreparingRebalance";
    case State::completing_rebalance: return "CompletingRebalance";
    case State::stable: return "Stable";
  }
  return "Dead";
}

status Group::find_member(const std::string& member_id, const std::optional<std::string>& instance_id,
                          Member** out) {
  if (instance_id) {
    auto s = static_members_.find(*instance_id);
    if (s != static_members_.end() && s->second != member_id)
      return {errc::fenced_instance,
              fmt::format("group instance '{}' is now member '{}', not '{}'", *instance_id, s->second, member_id)};
  }
  auto it = members_.find(member_id);
  if (it == members_.end())
    return {errc::unknown_member, fmt::format("'{}' is not a member of group '{}'", member_id, name_)};
  *out = &it->second;
  return {};
}

const Bytes& Group::metadata_for(const Member& m, const std::string& protocol) const {
  for (const auto& p : m.protocols)
    if (p.name == protocol) return p.metadata;
  return m.protocols.front().metadata;
}

bool Group::shares_a_protocol(const std::vector<Protocol>& protocols) const {
  for (const auto& p : protocols) {
    const bool everyone = std::all_of(members_.begin(), members_.end(), [&](const auto& entry) {
      const auto& theirs = entry.second.protocols;
      return std::any_of(theirs.begin(), theirs.end(), [&](const Protocol& q) { return q.name == p.name; });
    });
    if (everyone) return true;
  }
  return false;
}

void Group::join(JoinRequest req, std::string fresh_id, JoinDone done, Clock::time_point now, Effects& fx) {
  auto fail = [&](status st) {
    fx.push_back([done = std::move(done), st = std::move(st)] {
      JoinResult r;
      r.error = st;
      done(std::move(r));
    });
  };
  if (req.protocol_type.empty() || req.protocols.empty())
    return fail({errc::inconsistent_group_protocol, "a member must name its protocol type and protocols"});
  if (req.session_timeout < options_.min_session_timeout || req.session_timeout > options_.max_session_timeout)
    return fail({errc::invalid_argument, fmt::format("session timeout {} ms is outside {}-{} ms",
                                                     req.session_timeout.count(), options_.min_session_timeout.count(),
                                                     options_.max_session_timeout.count())});
  // Other members that are not the one rejoining decide what is compatible.
  const bool alone = members_.empty() || (members_.size() == 1 && members_.count(req.member_id) == 1);
  if (!alone && (req.protocol_type != protocol_type_ || !shares_a_protocol(req.protocols)))
    return fail({errc::inconsistent_group_protocol,
                 fmt::format("group '{}' uses protocol type '{}' and none of the member's assignors is supported by "
                             "all its members",
                             name_, protocol_type_)});

  Member* m = nullptr;
  bool changed = false;
  if (req.member_id.empty()) {
    auto s = req.instance_id ? static_members_.find(*req.instance_id) : static_members_.end();
    Member fresh;
    if (s != static_members_.end()) {
      // A static member back under a new id: it takes its old place; the
      // old id is fenced.
      auto old = members_.find(s->second);
      fresh = std::move(old->second);
      members_.erase(old);
      if (fresh.awaiting_join) {
        fx.push_back([cb = std::move(fresh.awaiting_join)] {
          JoinResult r;
          r.error = status(errc::fenced_instance, "a newer member took this group instance id");
          cb(std::move(r));
        });
      }
      if (fresh.awaiting_sync)
        fx.push_back([cb = std::move(fresh.awaiting_sync)] {
          cb(status(errc::fenced_instance, "a newer member took this group instance id"));
        });
      fresh.awaiting_join = nullptr;
      fresh.awaiting_sync = nullptr;
      if (leader_ == s->second) leader_ = fresh_id;
    } else {
      fresh.order = next_order_++;
    }
    fresh.id = fresh_id;
    if (req.instance_id) static_members_[*req.instance_id] = fresh_id;
    m = &members_.emplace(fresh_id, std::move(fresh)).first->second;
    changed = true;
  } else {
    if (status st = find_member(req.member_id, req.instance_id, &m); !st.ok()) return fail(st);
    changed = !same_protocols(m->protocols, req.protocols);
  }
  if (members_.size() == 1) protocol_type_ = req.protocol_type;
  m->instance_id = req.instance_id;
  m->client_id = req.client_id;
  m->client_host = req.client_host;
  m->session_timeout = req.session_timeout;
  m->rebalance_timeout = req.rebalance_timeout;
  m->protocols = std::move(req.protocols);
  m->broker_assigned = req.broker_assigned;
  m->last_seen = now;
  if (m->awaiting_join) {
    fx.push_back([cb = std::move(m->awaiting_join)] {
      JoinResult r;
      r.error = status(errc::rebalance_in_progress, "a newer join of the same member replaced this one");
      cb(std::move(r));
    });
  }
  // A member that lost its answer asks again: the generation stands.
  if (!changed && (state_ == State::completing_rebalance || (state_ == State::stable && m->id != leader_))) {
    fx.push_back([done = std::move(done), r = join_result(*m)]() mutable { done(std::move(r)); });
    return;
  }
  m->awaiting_join = std::move(done);
  if (state_ != State::preparing_rebalance) prepare_rebalance(now, fx);
  maybe_complete_join(now, fx);
}

void Group::prepare_rebalance(Clock::time_point now, Effects& fx) {
  for (auto& [id, m] : members_) {
    if (m.awaiting_sync)
      fx.push_back([cb = std::move(m.awaiting_sync)] {
        cb(status(errc::rebalance_in_progress, "the group started another rebalance"));
      });
    m.awaiting_sync = nullptr;
  }
  std::chrono::milliseconds longest{0};
  for (const auto& [id, m] : members_) longest = std::max(longest, m.rebalance_timeout);
  // A new group waits a little for the rest of its members, so that they
  // do not each cause a rebalance of their own.
  if (state_ == State::empty) join_delay_until_ = now + std::min(options_.initial_rebalance_delay, longest);
  state_ = State::preparing_rebalance;
  rebalance_deadline_ = now + longest;
}

void Group::maybe_complete_join(Clock::time_point now, Effects& fx) {
  if (state_ != State::preparing_rebalance || now < join_delay_until_) return;
  const bool all = std::all_of(members_.begin(), members_.end(),
                               [](const auto& entry) { return static_cast<bool>(entry.second.awaiting_join); });
  if (all && !members_.empty()) complete_join(now, fx);
}

void Group::complete_join(Clock::time_point now, Effects& fx) {
  ++generation_;
  // The protocol every member supports that most members like best.
  std::map<std::string, int> votes;
  for (const auto& [id, m] : members_) {
    for (const auto& p : m.protocols) {
      if (!shares_a_protocol({p})) continue;
      ++votes[p.name];
      break;
    }
  }
  protocol_.clear();
  int best = -1;
  for (const auto& [name, n] : votes)
    if (n > best) {
      best = n;
      protocol_ = name;
    }
  // The leader: a Kafka client if there is one (it runs the assignor), the
  // earliest to join first.
  const Member* lead = nullptr;
  for (const auto& [id, m] : members_) {
    const bool better = lead == nullptr || (lead->broker_assigned && !m.broker_assigned) ||
                        (lead->broker_assigned == m.broker_assigned && m.order < lead->order);
    if (better) lead = &m;
  }
  leader_ = lead->id;
  state_ = State::completing_rebalance;
  rebalance_deadline_ = Clock::time_point::max();
  for (auto& [id, m] : members_) {
    m.last_seen = now;
    m.assignment.clear();
  }
  if (lead->broker_assigned) {
    assign_on_broker();
    state_ = State::stable;
  }
  for (auto& [id, m] : members_) {
    fx.push_back([cb = std::move(m.awaiting_join), r = join_result(m)]() mutable { cb(std::move(r)); });
    m.awaiting_join = nullptr;
  }
}

void Group::assign_on_broker() {
  Subscriptions subs;
  for (const auto& [id, m] : members_) {
    auto topics = protocol::kafka::decode_subscription(metadata_for(m, protocol_));
    subs[id] = topics.value_or(std::vector<std::string>());
  }
  for (auto& [id, parts] : assign(protocol_, subs, partitions_)) {
    members_.at(id).assignment = protocol::kafka::encode_assignment(parts);
  }
}

JoinResult Group::join_result(const Member& m) const {
  JoinResult r;
  r.generation = generation_;
  r.protocol = protocol_;
  r.leader = leader_;
  r.member_id = m.id;
  if (m.id == leader_)
    for (const auto& [id, other] : members_) r.members.push_back({id, other.instance_id, metadata_for(other, protocol_)});
  return r;
}

void Group::sync(SyncRequest req, SyncDone done, Clock::time_point now, Effects& fx) {
  auto answer = [&](result<Bytes> r) {
    fx.push_back([done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
  };
  Member* m = nullptr;
  if (status st = find_member(req.member_id, req.instance_id, &m); !st.ok()) return answer(st);
  m->last_seen = now;
  if (req.generation != generation_)
    return answer(status(errc::illegal_generation,
                         fmt::format("generation {} is not group '{}''s current {}", req.generation, name_, generation_)));
  if (state_ == State::preparing_rebalance)
    return answer(status(errc::rebalance_in_progress, fmt::format("group '{}' is rebalancing", name_)));
  if (state_ == State::stable) return answer(m->assignment);
  // CompletingRebalance: the leader's sync brings everyone's assignment.
  if (m->id != leader_) {
    if (m->awaiting_sync)
      fx.push_back([cb = std::move(m->awaiting_sync)] {
        cb(status(errc::rebalance_in_progress, "a newer sync of the same member replaced this one"));
      });
    m->awaiting_sync = std::move(done);
    return;
  }
  for (auto& [member_id, assignment] : req.assignments) {
    auto it = members_.find(member_id);
    if (it != members_.end()) it->second.assignment = std::move(assignment);
  }
  state_ = State::stable;
  for (auto& [id, other] : members_) {
    if (!other.awaiting_sync) continue;
    fx.push_back([cb = std::move(other.awaiting_sync), a = other.assignment]() mutable { cb(std::move(a)); });
    other.awaiting_sync = nullptr;
  }
  answer(m->assignment);
}

status Group::heartbeat(std::int32_t generation, const std::string& member_id,
                        const std::optional<std::string>& instance_id, Clock::time_point now) {
  Member* m = nullptr;
  if (status st = find_member(member_id, instance_id, &m); !st.ok()) return st;
  m->last_seen = now;
  if (generation != generation_)
    return {errc::illegal_generation,
            fmt::format("generation {} is not group '{}''s current {}", generation, name_, generation_)};
  if (state_ == State::preparing_rebalance)
    return {errc::rebalance_in_progress, fmt::format("group '{}' is rebalancing: join again", name_)};
  return {};
}

status Group::leave(const std::string& member_id, Clock::time_point now, Effects& fx) {
  Member* m = nullptr;
  if (status st = find_member(member_id, std::nullopt, &m); !st.ok()) return st;
  remove_member(member_id, status(errc::unknown_member, "the member left the group"), fx);
  after_departures(now, fx);
  return {};
}

void Group::remove_member(const std::string& id, const status& why, Effects& fx) {
  auto it = members_.find(id);
  Member& m = it->second;
  fail_waits(m, why, fx);
  if (m.instance_id) {
    auto s = static_members_.find(*m.instance_id);
    if (s != static_members_.end() && s->second == id) static_members_.erase(s);
  }
  members_.erase(it);
}

void Group::after_departures(Clock::time_point now, Effects& fx) {
  if (members_.empty()) {
    // Kafka moves a group that lost its last member to a new, empty generation.
    if (state_ != State::empty) ++generation_;
    state_ = State::empty;
    protocol_.clear();
    leader_.clear();
    rebalance_deadline_ = Clock::time_point::max();
    return;
  }
  if (state_ == State::preparing_rebalance) {
    maybe_complete_join(now, fx);
  } else {
    prepare_rebalance(now, fx);
  }
}

status Group::check_commit(std::int32_t generation, const std::string& member_id,
                           const std::optional<std::string>& instance_id) const {
  if (generation < 0 && member_id.empty()) {
    if (members_.empty()) return {};
    return {errc::group_not_empty,
            fmt::format("group '{}' has {} member(s): only they commit its offsets", name_, members_.size())};
  }
  auto* self = const_cast<Group*>(this);
  Member* m = nullptr;
  if (status st = self->find_member(member_id, instance_id, &m); !st.ok()) return st;
  if (generation != generation_)
    return {errc::illegal_generation,
            fmt::format("generation {} is not group '{}''s current {}", generation, name_, generation_)};
  if (state_ == State::completing_rebalance)
    return {errc::rebalance_in_progress, fmt::format("group '{}' is rebalancing", name_)};
  return {};
}

Group::Clock::time_point Group::tick(Clock::time_point now, Effects& fx) {
  // Members that neither heartbeat nor wait in a join are gone.
  std::vector<std::string> expired;
  for (const auto& [id, m] : members_)
    if (!m.awaiting_join && now - m.last_seen > m.session_timeout) expired.push_back(id);
  for (const auto& id : expired)
    remove_member(id, status(errc::unknown_member, "the member's session timed out"), fx);
  if (state_ == State::preparing_rebalance && now >= rebalance_deadline_) {
    // Those that did not rejoin in time are dropped; the rest go on.
    std::vector<std::string> late;
    for (const auto& [id, m] : members_)
      if (!m.awaiting_join) late.push_back(id);
    for (const auto& id : late) remove_member(id, status(errc::unknown_member, "the member did not rejoin in time"), fx);
    if (members_.empty()) {
      after_departures(now, fx);
    } else {
      join_delay_until_ = Clock::time_point::min();
      complete_join(now, fx);
    }
  } else if (!expired.empty()) {
    after_departures(now, fx);
  } else {
    maybe_complete_join(now, fx);
  }
  Clock::time_point next = Clock::time_point::max();
  if (state_ == State::preparing_rebalance) {
    next = rebalance_deadline_;
    if (join_delay_until_ > now) next = std::min(next, join_delay_until_);
  }
  for (const auto& [id, m] : members_)
    if (!m.awaiting_join) next = std::min(next, m.last_seen + m.session_timeout);
  return next;
}

void Group::fail_waiting(const status& why, Effects& fx) {
  for (auto& [id, m] : members_) fail_waits(m, why, fx);
}

void Group::fail_waits(Member& m, const status& why, Effects& fx) {
  if (m.awaiting_join)
    fx.push_back([cb = std::move(m.awaiting_join), why] {
      JoinResult r;
      r.error = why;
      cb(std::move(r));
    });
  if (m.awaiting_sync) fx.push_back([cb = std::move(m.awaiting_sync), why] { cb(why); });
  m.awaiting_join = nullptr;
  m.awaiting_sync = nullptr;
}

GroupDescription Group::describe() const {
  GroupDescription d;
  d.group = name_;
  d.state = state_name(state_);
  d.protocol_type = protocol_type_;
  d.protocol = protocol_;
  d.generation = generation_;
  d.leader = leader_;
  for (const auto& [id, m] : members_)
    d.members.push_back({id, m.instance_id, m.client_id, m.client_host, metadata_for(m, protocol_), m.assignment});
  return d;
}

GroupSummary Group::summary() const {
  return {name_, std::string(state_name(state_)), protocol_type_, members_.size()};
}

}  // namespace wharf::groups
