// Fuzzes sequences of operations on the log and queue engines over real
// storage (on a tmpfs when one is there), against a simple model: produce,
// fetch, commit offsets, publish, ack, nack, reject, redrive, restart.
// After every step the engines must agree with the model.
#include <fuzzer/FuzzedDataProvider.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "broker/log/log_engine.h"
#include "broker/queue/queue_engine.h"
#include "broker/storage/storage.h"
#include "protocol/record_batch.h"

namespace {

using namespace wharf;

#define CHECK(cond)                                                         \
  do {                                                                      \
    if (!(cond)) {                                                          \
      std::fprintf(stderr, "ops_fuzzer: %s failed at line %d\n", #cond, __LINE__); \
      std::abort();                                                         \
    }                                                                       \
  } while (0)

struct World;
World* g_world = nullptr;
void run_writer_once(World& w);

// The fuzzer runs the storage writer on its own thread (Writer::run_once):
// no thread hand-offs per operation, and the same input always makes the
// same groups.
template <typename T>
T wait(std::function<void(std::function<void(T)>)> call) {
  std::promise<T> p;
  auto f = p.get_future();
  call([&p](T v) { p.set_value(std::move(v)); });
  while (f.wait_for(std::chrono::seconds(0)) != std::future_status::ready) run_writer_once(*g_world);
  return f.get();
}

class Sink final : public queue::DeliverySink {
 public:
  void deliver(queue::DeliveryBatch batch) override {
    std::lock_guard lock(mu);
    for (const auto& d : batch.deliveries)
      got.push_back({batch.subscription, d.message_id, d.tag, d.attempt});
  }
  std::string name() const override { return "fuzz"; }
  struct Got {
    std::uint64_t sub, id, tag;
    std::uint32_t attempt;
  };
  std::mutex mu;
  std::deque<Got> got;
};

// One storage for the whole run (opening LMDB per input would cost more
// than the input); each input works on its own topic and queue and deletes
// them at the end, which exercises delete and purge.
struct World {
  std::filesystem::path dir;
  std::unique_ptr<storage::Storage> storage;
  std::unique_ptr<log::LogEngine> logs;
  std::unique_ptr<queue::QueueEngine> queues;

  void open() {
    storage::StorageOptions o;
    o.dir = dir;
    o.map_size = 512u << 20;
    o.durability = storage::Durability::relaxed;
    auto s = storage::Storage::open(o);
    CHECK(s.ok());
    storage = std::move(*s);
    auto l = log::LogEngine::open(*storage);
    CHECK(l.ok());
    logs = std::move(*l);
    auto q = queue::QueueEngine::open(*storage, nullptr);
    CHECK(q.ok());
    queues = std::move(*q);
  }
  void close() {
    queues->flush({});
    storage->writer().stop();  // applies what is queued on this thread
    queues.reset();
    logs.reset();
    storage.reset();
  }
};

// The model: what must be true.
struct Model {
  std::string topic, queue, dlq;
  std::shared_ptr<Sink> sink;
  std::uint64_t sub = 0;
  std::map<std::uint32_t, std::vector<std::string>> records;
  std::map<std::uint32_t, std::uint64_t> committed;
  std::set<std::uint64_t> messages;  // published, not acked (in q or q.dlq)
  std::map<std::uint64_t, std::uint32_t> last_attempt;  // per message, since it last left the DLQ
  std::deque<Sink::Got> deliveries;                      // checked, not yet settled
};

std::vector<std::uint8_t> batch_of(const std::vector<std::string>& values) {
  protocol::batch::Builder b;
  for (const auto& v : values) {
    ProducerRecord r;
    r.value = v;
    b.add(r, 1000);
  }
  auto bytes = b.finish();
  return {bytes.begin(), bytes.end()};
}

void check_fetch(World& w, Model& m, std::uint32_t p, std::uint64_t offset) {
  const auto& recs = m.records[p];
  if (offset > recs.size()) offset = recs.size();
  std::vector<std::string> got;
  auto err = w.logs->fetch(m.topic, p, offset, 1 << 20, [&](const log::FetchView& v) {
    CHECK(v.high_watermark == recs.size());
    for (auto b : v.batches) {
      protocol::batch::Reader reader(b);
      CHECK(reader.check().ok());
      protocol::batch::RecordFields rec;
      while (reader.next(&rec))
        if (static_cast<std::uint64_t>(rec.offset) >= offset) got.emplace_back(rec.value);
    }
  });
  CHECK(err.error.ok());
  CHECK(got.size() == recs.size() - offset);  // the whole rest fits in one fetch
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == recs[offset + i]);
}

// A delivery is of a message that was published and not acked, and its
// attempt count only goes up (dead-lettering and redrive start it anew).
void take_deliveries(Model& m) {
  std::lock_guard lock(m.sink->mu);
  for (const auto& d : m.sink->got) {
    CHECK(m.messages.count(d.id) == 1);
    auto& last = m.last_attempt[d.id];
    CHECK(d.attempt > last);
    last = d.attempt;
    m.deliveries.push_back(d);
  }
  m.sink->got.clear();
}

void check_queue(World& w, Model& m) {
  take_deliveries(m);
  auto q = wait<result<queue::QueueDescription>>([&](auto done) { w.queues->describe_queue(m.queue, done); });
  auto dlq = wait<result<queue::QueueDescription>>([&](auto done) { w.queues->describe_queue(m.dlq, done); });
  CHECK(q.ok() && dlq.ok());
  const auto held = q->ready + q->delayed + q->in_flight + dlq->ready + dlq->delayed + dlq->in_flight;
  CHECK(held == m.messages.size());
}

std::filesystem::path make_dir() {
  const std::string base = std::filesystem::exists("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path().string();
  std::string pattern = base + "/wharf-ops-fuzz-XXXXXX";
  return ::mkdtemp(pattern.data());
}

void run_writer_once(World& w) {
  if (!w.storage->writer().run_once()) std::this_thread::yield();
}

World& world() {
  if (g_world == nullptr) {
    g_world = new World;
    g_world->dir = make_dir();
    g_world->open();
    std::atexit([] {
      g_world->close();
      std::filesystem::remove_all(g_world->dir);
    });
  }
  return *g_world;
}

void subscribe(World& w, Model& m) {
  m.sink = std::make_shared<Sink>();
  auto id = wait<result<std::uint64_t>>([&](auto done) { w.queues->subscribe(m.queue, 16, m.sink, done); });
  CHECK(id.ok());
  m.sub = *id;
}

void set_up(World& w, Model& m, std::uint64_t run) {
  m.topic = "t" + std::to_string(run);
  m.queue = "q" + std::to_string(run);
  m.dlq = m.queue + ".dlq";
  CHECK(wait<status>([&](auto done) { w.logs->create_topic({m.topic, 2}, done); }).ok());
  queue::QueueConfig qc;
  qc.name = m.queue;
  qc.max_deliveries = 3;
  qc.backoff_initial_ms = 0;
  qc.backoff_max_ms = 0;
  CHECK(wait<status>([&](auto done) { w.queues->create_queue(qc, done); }).ok());
  subscribe(w, m);
}

// Deletes what the input made and waits until the purges have freed it, so
// a long run does not grow.
void tear_down(World& w, Model& m) {
  CHECK(wait<status>([&](auto done) { w.queues->unsubscribe_for(m.sub, 0, m.sink, done); }).ok());
  // The default dead-letter queue goes with its queue.
  CHECK(wait<status>([&](auto done) { w.queues->delete_queue(m.queue, false, done); }).ok());
  CHECK(wait<status>([&](auto done) { w.logs->delete_topic(m.topic, done); }).ok());
  while (w.logs->purge_deleted_topics() || w.queues->purge_deleted_queues()) run_writer_once(w);
  CHECK(w.logs->describe_topic(m.topic).code() == errc::unknown_topic);
  for (const std::string& name : {m.queue, m.dlq}) {
    auto q = wait<result<queue::QueueDescription>>([&](auto done) { w.queues->describe_queue(name, done); });
    CHECK(!q.ok() && q.error().code() == errc::unknown_queue);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static std::uint64_t runs = 0;
  FuzzedDataProvider in(data, size);
  World& w = world();
  Model m;
  set_up(w, m, ++runs);
  // A restart costs more than the rest of an input (LMDB maps and allocates
  // anew): one per input, at any step, keeps the fuzzer fast.
  bool restarted = false;
  for (int step = 0; step < 64 && in.remaining_bytes() > 0; ++step) {
    switch (in.ConsumeIntegralInRange<int>(0, 8)) {
      case 0: {  // produce
        const auto p = in.ConsumeIntegralInRange<std::uint32_t>(0, 1);
        std::vector<std::string> values(in.ConsumeIntegralInRange<int>(1, 5));
        for (auto& v : values) v = in.ConsumeRandomLengthString(64);
        auto base = wait<result<std::uint64_t>>([&](auto done) { w.logs->produce(&w, m.topic, p, batch_of(values), done); });
        CHECK(base.ok());
        CHECK(*base == m.records[p].size());
        for (auto& v : values) m.records[p].push_back(v);
        break;
      }
      case 1: {  // fetch
        const auto p = in.ConsumeIntegralInRange<std::uint32_t>(0, 1);
        check_fetch(w, m, p, in.ConsumeIntegralInRange<std::uint64_t>(0, 400));
        break;
      }
      case 2: {  // commit an offset
        const auto p = in.ConsumeIntegralInRange<std::uint32_t>(0, 1);
        const auto offset = in.ConsumeIntegralInRange<std::uint64_t>(0, m.records[p].size());
        CHECK(wait<status>([&](auto done) { w.logs->commit_offsets("g", m.topic, {{p, offset}}, done); }).ok());
        m.committed[p] = offset;
        break;
      }
      case 3: {  // publish
        queue::PublishBatch b;
        b.queue = m.queue;
        const int n = in.ConsumeIntegralInRange<int>(1, 4);
        const std::string payload = in.ConsumeRandomLengthString(64);
        b.arena.assign(payload.begin(), payload.end());
        for (int i = 0; i < n; ++i) {
          queue::OutgoingMessage out;
          out.payload = {b.arena.data(), b.arena.size()};
          b.messages.push_back(out);
        }
        auto ids = wait<result<std::vector<std::uint64_t>>>([&](auto done) { w.queues->publish(std::move(b), done); });
        CHECK(ids.ok() && ids->size() == static_cast<std::size_t>(n));
        for (auto id : *ids) CHECK(m.messages.insert(id).second);
        break;
      }
      case 4:
      case 5:
      case 6: {  // settle the oldest delivery: ack, nack or reject
        if (m.deliveries.empty()) break;
        const Sink::Got d = m.deliveries.front();
        m.deliveries.pop_front();
        queue::Settlement s;
        s.subscription = d.sub;
        s.message_id = d.id;
        s.tag = d.tag;
        const int kind = in.ConsumeIntegralInRange<int>(0, 2);
        s.action = kind == 0 ? queue::SettleAction::ack : kind == 1 ? queue::SettleAction::nack : queue::SettleAction::reject;
        s.delay_ms = 0;
        auto errors = wait<result<std::vector<queue::SettleError>>>(
            [&](auto done) { w.queues->settle({s}, m.sink, true, done); });
        CHECK(errors.ok());
        if (errors->empty() && s.action == queue::SettleAction::ack) CHECK(m.messages.erase(d.id) == 1);
        for (const auto& e : *errors) CHECK(e.error.code() == errc::lease_expired || e.error.code() == errc::not_subscribed);
        break;
      }
      case 7: {  // redrive everything back from the dead-letter queue
        queue::RedriveRequest r;
        r.dlq = m.dlq;
        r.select = queue::RedriveSelect::all;
        CHECK(wait<result<std::uint64_t>>([&](auto done) { w.queues->redrive(r, done); }).ok());
        m.last_attempt.clear();  // the model does not know which messages were in the DLQ
        break;
      }
      case 8: {  // restart
        if (restarted) break;
        restarted = true;
        w.close();
        w.open();
        m.deliveries.clear();  // their leases ended with the restart
        subscribe(w, m);
        for (auto& [p, recs] : m.records) check_fetch(w, m, p, 0);
        auto offsets = w.logs->group_offsets("g", m.topic);
        CHECK(offsets.ok());
        for (const auto& [p, o] : m.committed) {
          bool found = false;
          for (const auto& g : *offsets)
            if (g.partition == p) found = g.offset == o;
          CHECK(found);
        }
        break;
      }
    }
    check_queue(w, m);
  }
  tear_down(w, m);
  return 0;
}
