// The queue engine's thread-safe face: checks what can be checked on the
// caller's thread, then runs the core's method inside a write group.
#include "broker/queue/queue_engine.h"

#include <fmt/format.h>

#include "broker/queue/queue_core.h"
#include "broker/storage/function_op.h"
#include "protocol/names.h"

namespace wharf::queue {

using storage::WriteTxn;

namespace {

// Runs `fn` inside a group on the writer thread; `done` gets its result
// after the commit.
template <typename T>
void submit(storage::Storage& s, std::function<result<T>(WriteTxn&)> fn, std::function<void(result<T>)> done,
            std::size_t size = 64, bool sync = true) {
  if (!done) done = [](result<T>) {};
  s.writer().submit(storage::make_op(std::move(fn), std::move(done), {size, sync}));
}

// A read: still runs once storage has failed.
template <typename T>
void submit_read(storage::Storage& s, std::function<result<T>(storage::Txn&)> fn, std::function<void(result<T>)> done) {
  s.writer().submit(storage::make_read_op(std::move(fn), std::move(done)));
}

// For methods that answer with a status only.
result<bool> as_result(status st) {
  if (!st.ok()) return st;
  return true;
}

std::function<void(result<bool>)> status_reply(QueueEngine::Done done) {
  return [done = std::move(done)](result<bool> r) {
    if (done) done(r.error());
  };
}

status validate_config(const QueueConfig& c) {
  if (status st = protocol::validate_name(c.name, "queue"); !st.ok()) return st;
  if (c.dead_letter == DeadLetter::named)
    if (status st = protocol::validate_name(c.dlq, "dead-letter queue"); !st.ok()) return st;
  if (c.ack_deadline_ms < 1 || c.ack_deadline_ms > kMaxDurationMs)
    return {errc::invalid_argument, fmt::format("ack deadline must be 1-{} ms", kMaxDurationMs)};
  if (c.max_deliveries < 1) return {errc::invalid_argument, "max deliveries must be at least 1"};
  if (c.backoff_initial_ms < 0 || c.backoff_max_ms < c.backoff_initial_ms || c.backoff_max_ms > kMaxDurationMs)
    return {errc::invalid_argument, fmt::format("backoff wants 0 <= initial <= maximum <= {} ms", kMaxDurationMs)};
  if (!(c.backoff_multiplier >= 1.0) || c.backoff_multiplier > 1000)
    return {errc::invalid_argument, "backoff multiplier must be between 1 and 1000"};
  if (c.max_length == 0 || c.max_length < -1) return {errc::invalid_argument, "max length must be positive, or -1"};
  if (c.ttl_ms == 0 || c.ttl_ms < -1 || c.ttl_ms > kMaxDurationMs)
    return {errc::invalid_argument, fmt::format("ttl must be 1-{} ms, or -1", kMaxDurationMs)};
  if (c.priorities < 1 || c.priorities > 10) return {errc::invalid_argument, "priorities must be 1-10"};
  return {};
}

status validate_batch(const PublishBatch& b) {
  if (b.messages.empty()) return {errc::invalid_argument, "publish carries no messages"};
  for (const auto& m : b.messages) {
    if (m.delay_ms < 0 || m.delay_ms > kMaxDurationMs)
      return {errc::invalid_argument, fmt::format("delay must be 0-{} ms", kMaxDurationMs)};
    if (m.ttl_ms < -1 || m.ttl_ms == 0 || m.ttl_ms > kMaxDurationMs)
      return {errc::invalid_argument, fmt::format("message ttl must be 1-{} ms, or -1", kMaxDurationMs)};
  }
  return {};
}

}  // namespace

QueueEngine::QueueEngine(std::unique_ptr<Core> core) : core_(std::move(core)) {}
QueueEngine::~QueueEngine() = default;

result<std::unique_ptr<QueueEngine>> QueueEngine::open(storage::Storage& storage, LogAppender* logs) {
  auto core = std::make_unique<Core>(storage, logs);
  if (status st = core->load(); !st.ok()) return st;
  std::unique_ptr<QueueEngine> engine(new QueueEngine(std::move(core)));
  storage.writer().add_listener(engine.get());
  storage.writer().add_timer_source(engine.get());
  return engine;
}

status QueueEngine::before_commit(WriteTxn& txn) { return core_->before_commit(txn); }
void QueueEngine::after_commit(std::uint64_t) { core_->after_commit(); }
void QueueEngine::after_abort() { core_->after_abort(); }
void QueueEngine::after_replies() { core_->after_replies(); }
std::chrono::steady_clock::time_point QueueEngine::next_due() { return core_->next_due(); }

void QueueEngine::create_queue(QueueConfig config, Done done) {
  if (status st = validate_config(config); !st.ok()) return done(st);
  Core* core = core_.get();
  submit<bool>(
      core->storage(),
      [core, config = std::move(config)](WriteTxn& txn) { return as_result(core->create(txn, config)); },
      status_reply(std::move(done)));
}

void QueueEngine::alter_queue(QueueConfig config, Done done) {
  if (status st = validate_config(config); !st.ok()) return done(st);
  Core* core = core_.get();
  submit<bool>(
      core->storage(),
      [core, config = std::move(config)](WriteTxn& txn) { return as_result(core->alter(txn, config)); },
      status_reply(std::move(done)));
}

void QueueEngine::delete_queue(std::string name, bool keep_dlq, Done done) {
  Core* core = core_.get();
  submit<bool>(
      core->storage(),
      [core, name = std::move(name), keep_dlq](WriteTxn& txn) { return as_result(core->remove(txn, name, keep_dlq)); },
      status_reply(std::move(done)));
}

void QueueEngine::purge_queue(std::string name, Reply<std::uint64_t> done) {
  Core* core = core_.get();
  submit<std::uint64_t>(
      core->storage(), [core, name = std::move(name)](WriteTxn& txn) { return core->purge(txn, name); },
      std::move(done));
}

void QueueEngine::list_queues(Reply<std::vector<QueueDescription>> done) {
  Core* core = core_.get();
  submit_read<std::vector<QueueDescription>>(
      core->storage(), [core](storage::Txn&) -> result<std::vector<QueueDescription>> { return core->list(); },
      std::move(done));
}

void QueueEngine::describe_queue(std::string name, Reply<QueueDescription> done) {
  Core* core = core_.get();
  submit_read<QueueDescription>(
      core->storage(), [core, name = std::move(name)](storage::Txn&) { return core->describe(name); },
      std::move(done));
}

void QueueEngine::publish(PublishBatch batch, Reply<std::vector<std::uint64_t>> done) {
  if (status st = validate_batch(batch); !st.ok()) return done(st);
  Core* core = core_.get();
  const std::size_t size = batch.arena.size() + 64 * batch.messages.size();
  auto shared = std::make_shared<PublishBatch>(std::move(batch));
  submit<std::vector<std::uint64_t>>(
      core->storage(), [core, shared](WriteTxn& txn) { return core->publish(txn, *shared); }, std::move(done), size);
}

void QueueEngine::subscribe(std::string queue, std::uint32_t prefetch, std::shared_ptr<DeliverySink> sink,
                            Reply<std::uint64_t> done) {
  if (prefetch < 1 || prefetch > 100000) return done(status(errc::invalid_argument, "prefetch must be 1-100000"));
  Core* core = core_.get();
  submit<std::uint64_t>(
      core->storage(),
      [core, queue = std::move(queue), prefetch, sink = std::move(sink)](WriteTxn&) {
        return core->subscribe(queue, prefetch, sink);
      },
      std::move(done), 64, false);
}

void QueueEngine::unsubscribe_for(std::uint64_t subscription, std::uint64_t release_from_tag,
                                  std::shared_ptr<DeliverySink> caller, Done done) {
  Core* core = core_.get();
  submit<bool>(
      core->storage(),
      [core, subscription, release_from_tag, caller = std::move(caller)](WriteTxn& txn) {
        return as_result(core->unsubscribe(txn, subscription, caller.get(), release_from_tag));
      },
      status_reply(std::move(done)), 64, false);
}

void QueueEngine::sink_closed(std::shared_ptr<DeliverySink> sink) {
  Core* core = core_.get();
  submit<bool>(
      core->storage(),
      [core, sink = std::move(sink)](WriteTxn& txn) {
        status st = core->sink_closed(txn, sink.get());
        if (!st.ok()) txn.request_rollback();
        return as_result(std::move(st));
      },
      {}, 64, false);
}

void QueueEngine::settle(std::vector<Settlement> settlements, std::shared_ptr<DeliverySink> caller, bool durable,
                         Reply<std::vector<SettleError>> done) {
  Core* core = core_.get();
  const std::size_t size = 64 * settlements.size();
  submit<std::vector<SettleError>>(
      core->storage(),
      [core, settlements = std::move(settlements), caller = std::move(caller), durable](WriteTxn& txn) {
        return core->settle(txn, settlements, caller.get(), durable);
      },
      std::move(done), size, durable);
}

void QueueEngine::flush(Done done) {
  Core* core = core_.get();
  submit<bool>(
      core->storage(),
      [core](WriteTxn&) -> result<bool> {
        core->flush_deferred_acks();
        return true;
      },
      status_reply(std::move(done)));
}

void QueueEngine::ack_and_publish(AckPublishRequest request, std::shared_ptr<DeliverySink> caller,
                                  Reply<AckPublishResult> done) {
  for (const auto& p : request.publishes)
    if (status st = validate_batch(p); !st.ok()) return done(st);
  std::vector<std::unique_ptr<LogAppender::Prepared>> prepared;
  for (const auto& p : request.produces) {
    if (core_->logs() == nullptr) return done(status(errc::unsupported_request, "this broker has no logs"));
    auto r = core_->logs()->prepare(p.topic, p.partition, p.batch);
    if (!r) return done(r.error());
    prepared.push_back(std::move(*r));
  }
  Core* core = core_.get();
  auto req = std::make_shared<AckPublishRequest>(std::move(request));
  auto preps = std::make_shared<std::vector<std::unique_ptr<LogAppender::Prepared>>>(std::move(prepared));
  submit<AckPublishResult>(
      core->storage(),
      [core, req, preps, caller = std::move(caller)](WriteTxn& txn) {
        return core->ack_and_publish(txn, *req, *preps, caller.get());
      },
      std::move(done));
}

void QueueEngine::peek(std::string queue, std::uint32_t count, Reply<std::vector<MessageInfo>> done) {
  Core* core = core_.get();
  submit_read<std::vector<MessageInfo>>(
      core->storage(),
      [core, queue = std::move(queue), count](storage::Txn& txn) { return core->peek(txn, queue, count); },
      std::move(done));
}

void QueueEngine::get_message(std::string queue, std::uint64_t id, Reply<MessageInfo> done) {
  Core* core = core_.get();
  submit_read<MessageInfo>(
      core->storage(), [core, queue = std::move(queue), id](storage::Txn& txn) { return core->info(txn, queue, id); },
      std::move(done));
}

void QueueEngine::browse(std::string queue, std::uint64_t after_id, std::uint32_t limit, Reply<MessagePage> done) {
  Core* core = core_.get();
  submit_read<MessagePage>(
      core->storage(),
      [core, queue = std::move(queue), after_id, limit](storage::Txn& txn) {
        return core->browse(txn, queue, after_id, limit);
      },
      std::move(done));
}

void QueueEngine::redrive(RedriveRequest request, Reply<std::uint64_t> done) {
  if (request.select == RedriveSelect::ids && request.ids.empty())
    return done(status(errc::invalid_argument, "no message ids to redrive"));
  Core* core = core_.get();
  submit<std::uint64_t>(
      core->storage(), [core, request = std::move(request)](WriteTxn& txn) { return core->redrive(txn, request); },
      std::move(done));
}

bool QueueEngine::purge_deleted_queues() {
  if (purge_busy_.exchange(true)) return true;
  storage::Storage& s = core_->storage();
  auto txn = s.read();
  std::vector<std::uint32_t> ids;
  if (txn) {
    auto deleting = s.queues().load_deleting(*txn);
    if (deleting) ids = std::move(*deleting);
  }
  if (ids.empty()) {
    purge_busy_.store(false);
    return false;
  }
  const std::uint32_t id = ids.front();
  submit<bool>(
      s,
      [&s, id](WriteTxn& txn) -> result<bool> {
        bool done = false;
        if (status st = s.queues().purge_deleted_queue(txn, id, 4096, &done); !st.ok()) return st;
        return done;
      },
      [this](result<bool>) { purge_busy_.store(false); });
  return true;
}

}  // namespace wharf::queue
