// Kafka's automatic topic creation: a Metadata or Produce request naming
// unknown topics creates them (with the default partition count) when the
// listener allows it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "broker/kafka/kafka_session.h"

namespace wharf::kafka {

// Creates those of `names` that are valid and missing, then runs `then` on
// the session's thread (at once when there is nothing to create), holding
// the session's next requests back meanwhile. A failed creation is left for
// the caller's lookup to report.
void create_missing_topics(KafkaSession& s, const std::vector<std::string>& names,
                           std::function<void(KafkaSession&)> then);

}  // namespace wharf::kafka
