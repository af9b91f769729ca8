#include "broker/queue/queue_records.h"

namespace wharf::queue {
namespace {

storage::DlqMode to_storage(DeadLetter d) {
  switch (d) {
    case DeadLetter::none: return storage::DlqMode::none;
    case DeadLetter::named: return storage::DlqMode::named;
    case DeadLetter::default_queue: return storage::DlqMode::default_queue;
  }
  return storage::DlqMode::none;
}

DeadLetter from_storage(storage::DlqMode d) {
  switch (d) {
    case storage::DlqMode::none: return DeadLetter::none;
    case storage::DlqMode::named: return DeadLetter::named;
    case storage::DlqMode::default_queue: return DeadLetter::default_queue;
  }
  return DeadLetter::none;
}

}  // namespace

storage::QueueRecord to_record(const QueueConfig& c) {
  storage::QueueRecord r;
  r.name = c.name;
  r.id = c.id;
  r.ack_deadline_ms = c.ack_deadline_ms;
  r.max_deliveries = c.max_deliveries;
  r.backoff_initial_ms = c.backoff_initial_ms;
  r.backoff_multiplier = c.backoff_multiplier;
  r.backoff_max_ms = c.backoff_max_ms;
  r.dlq_mode = to_storage(c.dead_letter);
  r.dlq = c.dlq;
  r.max_length = c.max_length;
  r.overflow = c.overflow == Overflow::drop_oldest ? storage::Overflow::drop_oldest : storage::Overflow::reject_publish;
  r.ttl_ms = c.ttl_ms;
  r.priorities = c.priorities;
  r.created_ms = c.created_ms;
  return r;
}

QueueConfig from_record(const storage::QueueRecord& r) {
  QueueConfig c;
  c.name = r.name;
  c.id = r.id;
  c.ack_deadline_ms = r.ack_deadline_ms;
  c.max_deliveries = r.max_deliveries;
  c.backoff_initial_ms = r.backoff_initial_ms;
  c.backoff_multiplier = r.backoff_multiplier;
  c.backoff_max_ms = r.backoff_max_ms;
  c.dead_letter = from_storage(r.dlq_mode);
  c.dlq = r.dlq;
  c.max_length = r.max_length;
  c.overflow = r.overflow == storage::Overflow::drop_oldest ? Overflow::drop_oldest : Overflow::reject_publish;
  c.ttl_ms = r.ttl_ms;
  c.priorities = r.priorities;
  c.created_ms = r.created_ms;
  return c;
}

MessageEvent to_event(const storage::HistoryEntry& e) {
  return {e.time_ms, std::string(storage::outcome_name(e.outcome)), e.consumer, e.reason};
}

std::vector<Header> decode_headers(const Delivery& d) {
  return storage::decode_message_headers(d.headers, d.header_count);
}

}  // namespace wharf::queue
