#include "broker/kafka/topic_creation.h"

#include <atomic>
#include <memory>

#include "protocol/names.h"

namespace wharf::kafka {

void create_missing_topics(KafkaSession& s, const std::vector<std::string>& names,
                           std::function<void(KafkaSession&)> then) {
  auto& ctx = s.context();
  std::vector<std::string> missing;
  if (ctx.config.auto_create_topics) {
    for (const auto& name : names) {
      if (!protocol::validate_name(name, "topic").ok()) continue;
      if (!s.may(auth::ResourceType::topic, name, auth::Operation::create)) continue;
      if (ctx.logs.describe_topic(name).code() != errc::unknown_topic) continue;
      if (std::find(missing.begin(), missing.end(), name) == missing.end()) missing.push_back(name);
    }
  }
  if (missing.empty()) return then(s);
  s.hold_frames();
  struct Pending {
    std::atomic<std::size_t> left;
    std::function<void(KafkaSession&)> then;
  };
  auto pending = std::make_shared<Pending>();
  pending->left = missing.size();
  pending->then = std::move(then);
  auto self = s.self();
  for (auto& name : missing) {
    ctx.logs.create_topic({std::move(name), ctx.config.default_partitions}, [self, pending](status) {
      if (pending->left.fetch_sub(1) == 1)
        net::post_to(self, [pending](KafkaSession& session) {
          session.resume_frames();
          pending->then(session);
        });
    });
  }
}

}  // namespace wharf::kafka
