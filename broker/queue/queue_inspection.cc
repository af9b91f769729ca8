// Looking at messages (info, peek) and moving dead letters back (redrive).
#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "broker/queue/queue_core.h"
#include "broker/queue/queue_records.h"

namespace wharf::queue {
namespace {

// History outcomes that close a delivery the application saw.
bool ends_attempt(storage::Outcome o) {
  using storage::Outcome;
  return o == Outcome::nack || o == Outcome::reject || o == Outcome::timeout || o == Outcome::disconnected;
}

}  // namespace

result<MessageInfo> Core::info(storage::Txn& txn, const std::string& queue, std::uint64_t id) {
  assert_writer_thread();
  Queue* q = find(queue);
  if (q == nullptr) return unknown_queue(queue);
  const std::string& asked = q->config.name;
  const Msg* known = q->msgs.find(id);
  if (known == nullptr && !q->config.dlq.empty()) {
    // A dead-lettered message is found through its original queue too.
    if (Queue* dlq = find(q->config.dlq); dlq != nullptr) {
      if (const Msg* d = dlq->msgs.find(id); d != nullptr) {
        q = dlq;
        known = d;
      }
    }
  }
  if (known == nullptr) return status(errc::unknown_message, fmt::format("no message {} in queue '{}'", id, asked));
  const Msg& m = *known;
  storage::MessageView view;
  bool found = false;
  if (status st = store_.get_message(txn, q->config.id, id, &view, &found); !st.ok()) return st;
  if (!found) return status(errc::storage_corrupt, fmt::format("message {} is missing from storage", id));
  MessageInfo info;
  info.queue = q->config.name;
  info.id = id;
  info.state = m.dead_lettered && m.state != MessageState::in_flight ? MessageState::dead_lettered : m.state;
  info.attempts = m.attempts;
  info.deadline_ms = m.state == MessageState::in_flight || m.state == MessageState::delayed ? m.due_ms : 0;
  info.priority = m.priority;
  info.publish_ms = m.publish_ms;
  info.expires_ms = m.expires_ms;
  if (Queue* origin = find(m.origin_queue); origin != nullptr) info.origin_queue = origin->config.name;
  for (const auto& h : storage::decode_message_headers(view.headers, view.header_count))
    info.headers.emplace_back(std::string(h.key), std::string(h.value));
  info.payload.assign(reinterpret_cast<const char*>(view.payload.data()), view.payload.size());
  auto history = store_.history(txn, id);
  if (!history) return history.error();
  for (const auto& e : *history) info.history.push_back(to_event(e));
  if (m.dead_lettered) {
    // Its count starts again in the dead-letter queue (for that queue's
    // max deliveries); a reader wants every attempt it had.
    const auto ended = std::count_if(history->begin(), history->end(),
                                     [](const storage::HistoryEntry& e) { return ends_attempt(e.outcome); });
    info.attempts = static_cast<std::uint32_t>(ended) + (m.state == MessageState::in_flight ? 1 : 0);
  }
  return info;
}

result<std::vector<MessageInfo>> Core::peek(storage::Txn& txn, const std::string& queue, std::uint32_t count) {
  assert_writer_thread();
  Queue* q = find(queue);
  if (q == nullptr) return unknown_queue(queue);
  std::vector<std::uint64_t> ids;
  q->msgs.for_each([&](std::uint64_t id, const Msg& m) {
    if (m.state == MessageState::ready) ids.push_back(id);
  });
  // Delivery order: higher priority first, then oldest first.
  std::sort(ids.begin(), ids.end(), [&](std::uint64_t a, std::uint64_t b) {
    const auto pa = q->msgs.at(a).priority;
    const auto pb = q->msgs.at(b).priority;
    return pa != pb ? pa > pb : a < b;
  });
  if (ids.size() > count) ids.resize(count);
  std::vector<MessageInfo> out;
  for (std::uint64_t id : ids) {
    auto i = info(txn, queue, id);
    if (!i) return i.error();
    out.push_back(std::move(*i));
  }
  return out;
}

result<MessagePage> Core::browse(storage::Txn& txn, const std::string& queue, std::uint64_t after_id,
                                 std::uint32_t limit) {
  assert_writer_thread();
  Queue* q = find(queue);
  if (q == nullptr) return unknown_queue(queue);
  MessagePage page;
  page.total = q->msgs.size();
  if (after_id == std::numeric_limits<std::uint64_t>::max() || limit == 0) return page;
  // The stored messages are keyed by (queue, id): a range read from after_id.
  std::vector<std::uint64_t> ids;
  bool more = false;
  status st = store_.scan_messages(
      txn, q->config.id,
      [&](const storage::MessageView& m) {
        if (ids.size() == limit) {
          more = true;
          return false;
        }
        if (q->msgs.contains(m.id)) ids.push_back(m.id);
        return true;
      },
      after_id + 1);
  if (!st.ok()) return st;
  for (std::uint64_t id : ids) {
    auto i = info(txn, queue, id);
    if (!i) return i.error();
    page.messages.push_back(std::move(*i));
  }
  if (more && !ids.empty()) page.next = ids.back();
  return page;
}

result<std::uint64_t> Core::redrive(storage::WriteTxn& txn, const RedriveRequest& r) {
  assert_writer_thread();
  Queue* dlq = find(r.dlq);
  if (dlq == nullptr) return unknown_queue(r.dlq);
  Queue* fixed_target = nullptr;
  if (!r.target.empty()) {
    fixed_target = find(r.target);
    if (fixed_target == nullptr) return unknown_queue(r.target);
  }
  std::vector<std::uint64_t> ids;
  if (r.select == RedriveSelect::ids) {
    for (std::uint64_t id : r.ids) {
      const Msg* m = dlq->msgs.find(id);
      if (m == nullptr)
        return status(errc::unknown_message, fmt::format("no message {} in queue '{}'", id, r.dlq));
      if (m->state == MessageState::in_flight)
        return status(errc::invalid_argument, fmt::format("message {} is being delivered; redrive it later", id));
      ids.push_back(id);
    }
    // An id asked for twice moves once.
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  } else {
    dlq->msgs.for_each([&](std::uint64_t id, const Msg& m) {
      if (m.state != MessageState::in_flight) ids.push_back(id);
    });
    std::sort(ids.begin(), ids.end());
    if (r.select == RedriveSelect::count && ids.size() > r.count) ids.resize(r.count);
  }
  // Check every destination before moving anything.
  for (std::uint64_t id : ids) {
    Queue* target = fixed_target != nullptr ? fixed_target : find(dlq->msgs.at(id).origin_queue);
    if (target == nullptr)
      return status(errc::unknown_queue, fmt::format("message {}'s original queue no longer exists; use --to", id));
    if (target == dlq) return status(errc::invalid_argument, "cannot redrive a queue into itself");
  }
  // Then move; a failure from here on rolls the group back.
  for (std::uint64_t id : ids) {
    Msg& m = dlq->msgs.at(id);
    Queue* target = fixed_target != nullptr ? fixed_target : find(m.origin_queue);
    status st = add_history(txn, id, m, storage::Outcome::redriven, "", "to " + target->config.name);
    if (st.ok()) {
      states_.leave(*dlq, m);
      st = store_.rewrite_message(txn, dlq->config.id, target->config.id, id, {0, false, 0});
    }
    if (!st.ok()) {
      txn.request_rollback();
      return st;
    }
    Msg moved = m;
    moved.attempts = 0;
    moved.pristine = false;
    moved.dead_lettered = false;
    moved.priority = std::min<std::uint8_t>(moved.priority, static_cast<std::uint8_t>(target->levels.size() - 1));
    dlq->msgs.erase(id);
    Msg& added = target->msgs.insert(id, moved);
    states_.to_ready(*target, id, added, true);
    states_.watch_expiry(*target, id, added);
  }
  return ids.size();
}

}  // namespace wharf::queue
