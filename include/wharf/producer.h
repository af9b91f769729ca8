// wharf/producer.h — appends records to log topics, batched and pipelined.
//
// Records sent to the same partition are grouped into one batch (up to
// batch_bytes, or until linger passes) and several batches are in flight at
// once. A record's completion gives its partition and offset after the durable
// commit, or a typed error; it runs on the client's I/O thread, so keep it
// short and never block in it. Thread-safe. The Client must outlive it; the
// destructor flushes.
//
// Errors a completion can carry: unknown_topic, unknown_partition,
// storage_full (retry after retention frees space), storage_failed,
// frame_too_large (record bigger than the broker's frame limit),
// disconnected (outcome unknown: the batch may or may not be stored; an
// idempotent producer resends instead, until delivery_timeout), timeout
// (send blocked longer than max_block).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "wharf/errors.h"
#include "wharf/options.h"
#include "wharf/record.h"

namespace wharf {

class Client;

class Producer {
 public:
  using Completion = std::function<void(result<RecordMetadata> stored)>;

  explicit Producer(Client& client, ProducerOptions options = {});
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Queues a record for a partition. `done` may be empty. Blocks only while
  // the buffer is full.
  void send(std::string_view topic, std::uint32_t partition, const ProducerRecord& record,
            Completion done = {});
  // Picks the partition: by the key's hash (Kafka's murmur2, so keys land
  // where a Kafka producer would put them) or, without a key, sticking to one
  // partition per batch. Unknown topic: done gets unknown_topic.
  void send(std::string_view topic, const ProducerRecord& record, Completion done = {});
  // Sends and waits for the confirm.
  result<std::int64_t> send_and_wait(std::string_view topic, std::uint32_t partition,
                                     const ProducerRecord& record);
  // Sends everything buffered and waits until every record has completed.
  void flush();
  // Whether the broker gave this producer an id (ProducerOptions::idempotent
  // and a broker that supports it).
  bool idempotent() const noexcept;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace wharf
