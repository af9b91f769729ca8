// Lets the queue engine append to log topics (atomic ack + publish) through
// the log engine, without broker/queue depending on broker/log.
#pragma once

#include "broker/log/log_engine.h"
#include "broker/queue/log_appender.h"

namespace wharf {

class LogAppenderAdapter final : public queue::LogAppender {
 public:
  explicit LogAppenderAdapter(log::LogEngine& logs) : logs_(logs) {}

  result<std::unique_ptr<Prepared>> prepare(std::string_view topic, std::uint32_t partition,
                                            std::span<const std::uint8_t> batch) override {
    auto p = logs_.prepare_append(topic, partition, batch);
    if (!p) return p.error();
    return std::unique_ptr<Prepared>(std::make_unique<PreparedLogAppend>(std::move(*p)));
  }

  status append(storage::WriteTxn& txn, const Prepared& prepared, std::span<const std::uint8_t> batch,
                std::uint64_t* base) override {
    // Made by prepare() above: the only Prepared this appender hands out.
    return logs_.append(txn, static_cast<const PreparedLogAppend&>(prepared).append, batch, base);
  }

 private:
  struct PreparedLogAppend final : Prepared {
    explicit PreparedLogAppend(log::LogEngine::PreparedAppend a) : append(std::move(a)) {}
    log::LogEngine::PreparedAppend append;
  };
  log::LogEngine& logs_;
};

}  // namespace wharf
