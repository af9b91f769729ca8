// Queue deliveries to a connection: on the writer thread the batch is only
// handed over; the connection's thread frames it.
#include "broker/net/connection_sink.h"

#include "broker/net/connection.h"
#include "broker/net/wire_conversions.h"

namespace wharf::net {

void ConnectionSink::deliver(queue::DeliveryBatch batch) {
  auto conn = conn_.lock();
  if (!conn) return;
  const std::size_t bytes = batch.arena.size() + 64 * batch.deliveries.size();
  gauge_->posted.fetch_add(bytes, std::memory_order_relaxed);
  conn->post([batch = std::move(batch), bytes, gauge = gauge_](Connection& c) {
    gauge->posted.fetch_sub(bytes, std::memory_order_relaxed);
    auto& fbb = c.builder();
    std::vector<Offset<wire::Delivery>> items;
    items.reserve(batch.deliveries.size());
    for (const auto& d : batch.deliveries) {
      auto headers = build_headers(fbb, queue::decode_headers(d));
      auto payload = fbb.CreateVector(d.payload.data(), d.payload.size());
      items.push_back(wire::CreateDelivery(fbb, d.message_id, d.tag, d.attempt, d.deadline_ms, d.priority,
                                           d.publish_ms, headers, payload));
    }
    auto vec = fbb.CreateVector(items);
    c.reply(0, wire::CreateDeliveries(fbb, batch.subscription, vec));
  });
}

}  // namespace wharf::net
