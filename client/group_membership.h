// A subscribed Consumer's membership in its group: joins through the
// broker's coordinator (which assigns the partitions), heartbeats from the
// client's I/O thread, and notices when the group moves on. The Consumer
// acts on what it notices from its poll() thread.
#pragma once

#include <asio/steady_timer.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "client/client_impl.h"
#include "wharf/options.h"
#include "wharf/record.h"

namespace wharf::client {

class GroupMembership : public std::enable_shared_from_this<GroupMembership> {
 public:
  struct Generation {
    std::int32_t generation = -1;
    std::string member_id;
    std::vector<TopicPartition> partitions;
  };

  // `wake` runs on the I/O thread whenever needs_attention() may have
  // become true.
  GroupMembership(Client::Impl& client, const ConsumerOptions& options, std::vector<std::string> topics,
                  std::function<void()> wake);
  ~GroupMembership();

  // Starts a join unless one runs; heartbeats stop until it finishes.
  void join();
  // A finished join not yet taken: the new generation, or why it failed.
  std::optional<result<Generation>> take_joined();
  // The group moved on (a rebalance, an expired session): join again.
  // Commits keep the old generation until then, as Kafka allows.
  bool rejoin_needed() const;
  void request_rejoin();
  // A join finished, or one is needed and none runs.
  bool needs_attention() const;
  // The generation and member id commits carry (-1 and empty: none).
  std::pair<std::int32_t, std::string> identity() const;
  // Stops heartbeating and leaves the group; waits for the answer unless
  // called on the I/O thread.
  void leave();

 private:
  void on_join_reply(const status& st, const wire::Frame* f);
  void schedule_heartbeat();
  void heartbeat();
  void on_heartbeat_reply(std::int32_t generation, const status& st);
  // The group no longer knows this member id: the next join starts fresh.
  bool forget_member_on(const status& st) WHARF_REQUIRES(mu_);

  Client::Impl& client_;
  const std::string group_;
  const std::vector<std::string> topics_;
  const ConsumerOptions options_;
  const std::function<void()> wake_;
  // Touched on the I/O thread only; the destructor hands it there.
  std::shared_ptr<asio::steady_timer> timer_;

  mutable Mutex mu_;
  std::string member_id_ WHARF_GUARDED_BY(mu_);
  std::int32_t generation_ WHARF_GUARDED_BY(mu_) = -1;
  bool joining_ WHARF_GUARDED_BY(mu_) = false;
  bool rejoin_ WHARF_GUARDED_BY(mu_) = true;
  bool left_ WHARF_GUARDED_BY(mu_) = false;
  std::optional<result<Generation>> joined_ WHARF_GUARDED_BY(mu_);
};

}  // namespace wharf::client
