// Lets the queue engine append to log topics (atomic ack + publish) through
// the log engine, without broker/queue depending on broker/log.
#pragma once

#include "broker/log/log_engine.h"
#include "broker/queue/log_appender.h"

namespace wharf {

class LogAppenderAdapter final : public queue::LogAppender {
 public:
  explicit LogAppenderAdapter(log::LogEngine& logs) : logs_(logs) {}

  result<Prepared> prepare(std::string_view topic, std::uint32_t partition,
                           std::span<const std::uint8_t> batch) override {
    auto p = logs_.prepare_append(topic, partition, batch);
    if (!p) return p.error();
    Prepared out;
    out.records = p->info.record_count;
    out.max_timestamp = p->info.max_timestamp;
    out.target = std::make_shared<log::LogEngine::PreparedAppend>(std::move(*p));
    return out;
  }

  status append(storage::WriteTxn& txn, const Prepared& prepared, std::span<const std::uint8_t> batch,
                std::uint64_t* base) override {
    return logs_.append(txn, *static_cast<const log::LogEngine::PreparedAppend*>(prepared.target.get()), batch, base);
  }

 private:
  log::LogEngine& logs_;
};

}  // namespace wharf
