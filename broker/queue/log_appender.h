// What the queue engine needs from the log engine for an atomic
// ack-and-publish that also appends to topics: check an append without
// writing, then write it inside the group's transaction. Keeps broker/queue
// independent of broker/log.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "broker/storage/txn.h"
#include "wharf/errors.h"

namespace wharf::queue {

class LogAppender {
 public:
  // An append that passed its checks. What it holds is the log side's
  // business: each LogAppender derives its own.
  class Prepared {
   public:
    virtual ~Prepared() = default;
  };
  virtual ~LogAppender() = default;
  // Any thread: topic and partition exist, the batch is well-formed.
  virtual result<std::unique_ptr<Prepared>> prepare(std::string_view topic, std::uint32_t partition,
                                                    std::span<const std::uint8_t> batch) = 0;
  // Writer thread, inside the group: appends what `prepared` (made by this
  // appender's prepare) describes; *base gets the base offset.
  virtual status append(storage::WriteTxn& txn, const Prepared& prepared, std::span<const std::uint8_t> batch,
                        std::uint64_t* base) = 0;
};

}  // namespace wharf::queue
