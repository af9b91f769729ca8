#include "client/group_membership.h"

#include <asio/post.hpp>

#include "protocol/frame_builder.h"

namespace wharf::client {

namespace {

// Errors after which the member must join again.
bool means_rejoin(errc code) {
  return code == errc::rebalance_in_progress || code == errc::illegal_generation || code == errc::unknown_member ||
         code == errc::fenced_instance;
}

std::uint32_t ms(std::chrono::milliseconds d) { return static_cast<std::uint32_t>(d.count()); }

}  // namespace

GroupMembership::GroupMembership(Client::Impl& client, const ConsumerOptions& options,
                                 std::vector<std::string> topics, std::function<void()> wake)
    : client_(client),
      group_(options.group),
      topics_(std::move(topics)),
      options_(options),
      wake_(std::move(wake)),
      timer_(std::make_shared<asio::steady_timer>(client.conn.io())) {}

GroupMembership::~GroupMembership() {
  asio::post(client_.conn.io(), [timer = std::move(timer_)] { timer->cancel(); });
}

void GroupMembership::join() {
  {
    MutexLock lock(mu_);
    if (joining_ || left_) return;
    joining_ = true;
    rejoin_ = false;
    joined_.reset();
    generation_ = -1;
  }
  asio::post(client_.conn.io(), [timer = timer_] { timer->cancel(); });
  flatbuffers::FlatBufferBuilder fbb(256);
  const std::uint64_t corr = client_.conn.next_correlation_id();
  std::string member;
  {
    MutexLock lock(mu_);
    member = member_id_;
  }
  std::vector<flatbuffers::Offset<flatbuffers::String>> topics;
  for (const auto& t : topics_) topics.push_back(fbb.CreateString(t));
  auto body = wire::CreateJoinGroup(
      fbb, fbb.CreateString(group_), fbb.CreateString(member), fbb.CreateVector(topics), ms(options_.session_timeout),
      ms(options_.rebalance_timeout), options_.group_instance_id ? fbb.CreateString(*options_.group_instance_id) : 0);
  protocol::finish_frame(fbb, corr, body);
  // The broker answers once every member has rejoined (or the rebalance
  // timeout dropped the rest), after its first-join delay.
  client_.conn.send(
      corr, fbb, [self = shared_from_this()](const status& st, const wire::Frame* f) { self->on_join_reply(st, f); },
      options_.rebalance_timeout + std::chrono::seconds(5));
}

void GroupMembership::on_join_reply(const status& st, const wire::Frame* f) {
  bool heartbeat = false;
  {
    MutexLock lock(mu_);
    joining_ = false;
    if (left_) return;
    if (!st.ok()) {
      if (!forget_member_on(st) && !means_rejoin(st.code())) {
        joined_ = st;
      } else {
        rejoin_ = true;
      }
    } else if (const auto* ok = f->body_as_JoinGroupOk(); ok == nullptr) {
      joined_ = unexpected_reply(*f);
    } else {
      Generation g;
      g.generation = ok->generation();
      g.member_id = str(ok->member_id());
      if (ok->assignment() != nullptr)
        for (const auto* tp : *ok->assignment())
          if (tp->partitions() != nullptr)
            for (auto p : *tp->partitions()) g.partitions.push_back({str(tp->topic()), p});
      member_id_ = g.member_id;
      generation_ = g.generation;
      joined_ = std::move(g);
      heartbeat = true;
    }
  }
  if (heartbeat) schedule_heartbeat();
  wake_();
}

bool GroupMembership::forget_member_on(const status& st) {
  if (st.code() != errc::unknown_member && st.code() != errc::fenced_instance) return false;
  member_id_.clear();
  return true;
}

void GroupMembership::schedule_heartbeat() {
  timer_->expires_after(options_.heartbeat_interval);
  timer_->async_wait([weak = weak_from_this()](const std::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->heartbeat();
  });
}

void GroupMembership::heartbeat() {
  std::int32_t generation;
  std::string member;
  {
    MutexLock lock(mu_);
    if (joining_ || left_ || rejoin_ || generation_ < 0) return;
    generation = generation_;
    member = member_id_;
  }
  flatbuffers::FlatBufferBuilder fbb(128);
  const std::uint64_t corr = client_.conn.next_correlation_id();
  auto body = wire::CreateGroupHeartbeat(fbb, fbb.CreateString(group_), generation, fbb.CreateString(member));
  protocol::finish_frame(fbb, corr, body);
  client_.conn.send(corr, fbb, [weak = weak_from_this(), generation](const status& st, const wire::Frame*) {
    if (auto self = weak.lock()) self->on_heartbeat_reply(generation, st);
  });
}

void GroupMembership::on_heartbeat_reply(std::int32_t generation, const status& st) {
  {
    MutexLock lock(mu_);
    if (left_ || joining_ || generation != generation_) return;  // a reply to an older generation
    if (means_rejoin(st.code())) {
      forget_member_on(st);
      rejoin_ = true;
    }
  }
  // A lost connection is not the end of the membership: keep trying until
  // the broker says the session expired.
  if (!st.ok() && means_rejoin(st.code())) {
    wake_();
    return;
  }
  schedule_heartbeat();
}

std::optional<result<GroupMembership::Generation>> GroupMembership::take_joined() {
  MutexLock lock(mu_);
  auto out = std::move(joined_);
  joined_.reset();
  return out;
}

bool GroupMembership::rejoin_needed() const {
  MutexLock lock(mu_);
  return rejoin_ && !joining_;
}

void GroupMembership::request_rejoin() {
  MutexLock lock(mu_);
  rejoin_ = true;
}

bool GroupMembership::needs_attention() const {
  MutexLock lock(mu_);
  return joined_.has_value() || (rejoin_ && !joining_);
}

std::pair<std::int32_t, std::string> GroupMembership::identity() const {
  MutexLock lock(mu_);
  return {generation_, member_id_};
}

void GroupMembership::leave() {
  std::string member;
  {
    MutexLock lock(mu_);
    if (left_) return;
    left_ = true;
    member = member_id_;
  }
  asio::post(client_.conn.io(), [timer = timer_] { timer->cancel(); });
  if (member.empty()) return;
  auto build = [&](flatbuffers::FlatBufferBuilder& fbb, std::uint64_t corr) {
    protocol::finish_frame(fbb, corr, wire::CreateLeaveGroup(fbb, fbb.CreateString(group_), fbb.CreateString(member)));
  };
  if (client_.conn.on_io_thread()) {
    flatbuffers::FlatBufferBuilder fbb(128);
    const std::uint64_t corr = client_.conn.next_correlation_id();
    build(fbb, corr);
    client_.conn.send(corr, fbb, [](const status&, const wire::Frame*) {});
    return;
  }
  // The group rebalances at once instead of after the session timeout;
  // nothing to do if that fails.
  (void)client_.call<bool>(build, expect_ok);
}

}  // namespace wharf::client
