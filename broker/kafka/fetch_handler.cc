// Fetch: stored batches go from the store into the response in one copy
// (converted down to magic 0/1 message sets for v0-3). With nothing to
// send yet the request long-polls: it waits for an append to any of its
// partitions, up to MaxWaitMs, until MinBytes are there. LastStableOffset
// is the high watermark (no transactions); record sets are never null.
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <memory>

#include "broker/kafka/kafka_errors.h"
#include "broker/kafka/request_handlers.h"
#include "broker/net/append_waiter.h"
#include "protocol/kafka/legacy_records.h"
#include "protocol/kafka/log_messages.h"

namespace wharf::kafka {

namespace pk = protocol::kafka;

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);

struct FetchCall {
  pk::FetchRequest req;
  KafkaSession::Reply reply;
  Clock::time_point deadline;
};

struct Encoded {
  std::size_t record_bytes = 0;
  std::size_t throttle_at = 0;  // where the throttle time goes (v1+)
  bool error = false;
  // Per partition, in request order: its high watermark (-1 on error).
  std::vector<std::int64_t> high_watermarks;
};

void write_error(pk::FetchResponseWriter& fw, std::int32_t index, const status& st) {
  fw.partition(index, to_kafka_error(st), -1, -1);
  fw.writer().i32(0);  // empty records, not null
}

Encoded encode(KafkaSession& s, const FetchCall& call, std::vector<std::uint8_t>& buf) {
  Encoded enc;
  auto& logs = s.context().logs;
  const std::int16_t v = call.reply.version;
  pk::Writer w(buf);
  const std::size_t at = pk::begin_response(w, call.reply.correlation_id);
  pk::FetchResponseWriter fw(w, v);
  enc.throttle_at = buf.size();
  fw.begin(call.req.topics.size());
  // A client that does not read its responses cannot make the broker hold
  // more than its output limit (plus the one batch always sent).
  std::size_t budget = std::min<std::size_t>(static_cast<std::size_t>(std::max(call.req.max_bytes, 0)),
                                             s.output_budget());
  for (const auto& t : call.req.topics) {
    fw.topic(t.name, t.partitions.size());
    const bool allowed = s.may(auth::ResourceType::topic, t.name, auth::Operation::read);
    for (const auto& p : t.partitions) {
      enc.high_watermarks.push_back(-1);
      if (!allowed) {
        write_error(fw, p.index, status(errc::not_authorized));
        enc.error = true;
        continue;
      }
      if (p.index < 0) {
        write_error(fw, p.index, status(errc::unknown_partition, "negative partition"));
        enc.error = true;
        continue;
      }
      if (p.fetch_offset < 0) {
        write_error(fw, p.index, status(errc::offset_out_of_range, "negative offset"));
        enc.error = true;
        continue;
      }
      std::size_t limit = std::min<std::size_t>(static_cast<std::size_t>(std::max(p.max_bytes, 0)), budget);
      // The first partition with data sends at least one batch, however
      // large, so a consumer never stalls on a batch above its limits.
      if (enc.record_bytes == 0 && limit == 0) limit = 1;
      auto err = logs.fetch(t.name, static_cast<std::uint32_t>(p.index), static_cast<std::uint64_t>(p.fetch_offset),
                            limit, [&](const log::FetchView& view) {
                              fw.partition(p.index, pk::Error::none, static_cast<std::int64_t>(view.high_watermark),
                                           static_cast<std::int64_t>(view.log_start));
                              enc.high_watermarks.back() = static_cast<std::int64_t>(view.high_watermark);
                              const std::size_t records_at = fw.records_begin();
                              for (const auto& b : view.batches) {
                                if (v >= 4) {
                                  w.raw(b.data(), b.size());
                                  continue;
                                }
                                // Converted messages may be bigger than the stored
                                // batches: the limit applies to what is sent. A
                                // batch cut short ends the set (what follows it
                                // would make the consumer skip the rest).
                                const std::size_t sent = w.size() - records_at - 4;
                                if (sent >= limit) break;
                                auto whole = pk::downconvert_batch(b, v <= 1 ? 0 : 1, p.fetch_offset, w,
                                                                   limit - sent, sent == 0);
                                if (!whole.ok() || !*whole) break;
                              }
                              fw.records_end(records_at);
                              const std::size_t n = w.size() - records_at - 4;
                              enc.record_bytes += n;
                              budget -= std::min(n, budget);
                            });
      if (!err.error.ok()) {
        write_error(fw, p.index, err.error);
        enc.error = true;
      }
    }
  }
  pk::end_response(w, at);
  return enc;
}

// Answers if there is enough to send (or waiting is not allowed); returns
// whether it did, and the state to wait on when not.
bool try_answer(KafkaSession& s, const FetchCall& call, bool may_wait, Encoded* enc) {
  auto buf = s.take_buffer();
  *enc = encode(s, call, buf);
  const auto min_bytes = static_cast<std::size_t>(std::max(call.req.min_bytes, 0));
  if (!may_wait || enc->error || enc->record_bytes >= std::max<std::size_t>(min_bytes, 1) || s.closing()) {
    // Over the user's fetch quota: answered, then the connection waits.
    const auto wait = s.context().security.fetch_quota().record(s.principal().user, enc->record_bytes,
                                                               std::chrono::steady_clock::now());
    if (wait.count() > 0 && call.reply.version >= 1) {
      protocol::store_be<std::int32_t>(buf.data() + enc->throttle_at, static_cast<std::int32_t>(wait.count()));
      s.throttle(wait);
    }
    s.fulfil(call.reply.ticket, std::move(buf));
    return true;
  }
  return false;
}

asio::awaitable<void> long_poll(std::shared_ptr<KafkaSession> s, std::shared_ptr<FetchCall> call, Encoded enc) {
  auto& logs = s->context().logs;
  auto timer = std::make_shared<asio::steady_timer>(s->executor());
  auto waiter = std::make_shared<net::AppendWaiter>(timer);
  s->track_timer(timer);
  for (;;) {
    if (s->closed()) co_return;
    // Registered at each partition's end as last seen: an append since
    // then makes the registration ready at once.
    std::vector<std::unique_ptr<log::AppendWait>> waits;
    bool ready = false;
    std::size_t i = 0;
    for (const auto& t : call->req.topics) {
      for (const auto& p : t.partitions) {
        const std::int64_t hwm = enc.high_watermarks[i++];
        if (ready || hwm < 0) continue;
        auto w = logs.wait_for_append(t.name, static_cast<std::uint32_t>(p.index), static_cast<std::uint64_t>(hwm),
                                      waiter);
        if (!w || (*w)->ready()) {
          ready = true;
          continue;
        }
        waits.push_back(std::move(*w));
      }
    }
    if (!ready && Clock::now() < call->deadline && !s->closing()) {
      timer->expires_at(call->deadline);
      co_await timer->async_wait(use_nothrow);
    }
    waits.clear();
    if (s->closed()) co_return;
    const bool may_wait = Clock::now() < call->deadline;
    if (try_answer(*s, *call, may_wait, &enc)) co_return;
  }
}

}  // namespace

bool handle_fetch(KafkaSession& s, const RequestHeader& h, Reader& body) {
  auto call = std::make_shared<FetchCall>();
  if (!pk::decode(body, h.api_version, &call->req)) return false;
  call->reply = s.reply_to(h);
  const auto wait = std::min(std::chrono::milliseconds(std::max(call->req.max_wait_ms, 0)),
                             s.context().config.max_fetch_wait);
  call->deadline = Clock::now() + wait;
  Encoded enc;
  const bool may_wait = wait.count() > 0 && call->req.min_bytes > 0;
  if (try_answer(s, *call, may_wait, &enc)) return true;
  asio::co_spawn(s.executor(), long_poll(s.self(), call, std::move(enc)), [self = s.self()](std::exception_ptr e) {
    if (e) self->close();
  });
  return true;
}

}  // namespace wharf::kafka
