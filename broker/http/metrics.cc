#include "broker/http/metrics.h"

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <cctype>
#include <future>
#include <limits>
#include <map>

#include "base/clock.h"
#include "broker/groups/group_coordinator.h"
#include "broker/log/log_engine.h"
#include "broker/net/server.h"
#include "broker/queue/queue_engine.h"
#include "broker/storage/storage.h"
#include "protocol/kafka/api.h"
#include "wharf_generated.h"

namespace wharf::http {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

constexpr auto kEngineWait = std::chrono::seconds(5);

class Families {
 public:
  MetricFamily& family(const std::string& name, const std::string& help, MetricType type) {
    auto [it, added] = index_.try_emplace(name, families_.size());
    if (added) families_.push_back(MetricFamily{name, help, type, {}});
    return families_[it->second];
  }
  void gauge(const std::string& name, const std::string& help, Labels labels, double v) {
    ClientMetric m;
    m.label = std::move(labels);
    m.gauge.value = v;
    family(name, help, MetricType::Gauge).metric.push_back(std::move(m));
  }
  void counter(const std::string& name, const std::string& help, Labels labels, double v) {
    ClientMetric m;
    m.label = std::move(labels);
    m.counter.value = v;
    family(name, help, MetricType::Counter).metric.push_back(std::move(m));
  }
  void histogram(const std::string& name, const std::string& help, const Histogram::Snapshot& s) {
    ClientMetric m;
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < s.bounds.size(); ++i) {
      cumulative += s.counts[i];
      m.histogram.bucket.push_back({cumulative, s.bounds[i]});
    }
    m.histogram.bucket.push_back({s.count, std::numeric_limits<double>::infinity()});
    m.histogram.sample_count = s.count;
    m.histogram.sample_sum = s.sum;
    family(name, help, MetricType::Histogram).metric.push_back(std::move(m));
  }
  // Families with no sample are left out (prometheus-cpp writes their HELP anyway).
  std::vector<MetricFamily> take() {
    std::vector<MetricFamily> out;
    for (auto& f : families_)
      if (!f.metric.empty()) out.push_back(std::move(f));
    return out;
  }

 private:
  std::vector<MetricFamily> families_;
  std::map<std::string, std::size_t> index_;
};

std::string snake_case(std::string_view camel) {
  std::string out;
  for (char c : camel) {
    if (std::isupper(static_cast<unsigned char>(c))) {
      if (!out.empty()) out += '_';
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      out += c;
    }
  }
  return out;
}

template <typename T>
std::optional<T> wait_for(std::future<result<T>>& f) {
  if (f.wait_for(kEngineWait) != std::future_status::ready) return std::nullopt;
  auto r = f.get();
  if (!r) return std::nullopt;
  return std::move(*r);
}

using LogEnds = std::map<std::pair<std::string, std::uint32_t>, std::uint64_t>;

void add_logs(Families& out, log::LogEngine& logs, LogEnds* ends) {
  const auto topics = logs.list_topics();
  out.gauge("wharf_topics", "Topics.", {}, static_cast<double>(topics.size()));
  for (const auto& t : topics) {
    for (const auto& p : t.partitions) {
      Labels l{{"topic", t.config.name}, {"partition", std::to_string(p.partition)}};
      (*ends)[{t.config.name, p.partition}] = p.high_watermark;
      out.gauge("wharf_partition_log_start_offset", "First offset still stored.", l,
                static_cast<double>(p.log_start));
      out.gauge("wharf_partition_log_end_offset", "Offset the next record gets (high watermark).", l,
                static_cast<double>(p.high_watermark));
      out.gauge("wharf_partition_size_bytes", "Bytes of stored record batches.", l, static_cast<double>(p.bytes));
      out.counter("wharf_partition_records_in_total", "Records appended since the broker started.", l,
                  static_cast<double>(p.traffic.records_in));
      out.counter("wharf_partition_bytes_in_total", "Record batch bytes appended since the broker started.", l,
                  static_cast<double>(p.traffic.bytes_in));
      out.counter("wharf_partition_fetch_records_out_total", "Records sent to fetches since the broker started.", l,
                  static_cast<double>(p.traffic.records_out));
      out.counter("wharf_partition_fetch_bytes_out_total",
                  "Record batch bytes sent to fetches since the broker started.", l,
                  static_cast<double>(p.traffic.bytes_out));
    }
  }
}

void add_groups(Families& out, log::LogEngine& logs, groups::GroupCoordinator& coordinator,
                const LogEnds& ends) {
  if (auto summaries = coordinator.list(); summaries.ok()) {
    for (const auto& g : *summaries)
      out.gauge("wharf_group_members", "Members of a consumer group.", {{"group", g.group}},
                static_cast<double>(g.members));
  }
  auto names = logs.groups_with_offsets();
  if (!names) return;
  for (const auto& group : *names) {
    auto offsets = logs.group_offsets(group, "");
    if (!offsets) continue;
    for (const auto& o : *offsets) {
      Labels l{{"group", group}, {"topic", o.topic}, {"partition", std::to_string(o.partition)}};
      out.gauge("wharf_group_committed_offset", "Offset a consumer group committed.", l,
                static_cast<double>(o.offset));
      auto end = ends.find({o.topic, o.partition});
      if (end != ends.end())
        out.gauge("wharf_group_lag_records", "Records between a group's committed offset and the log end.", l,
                  end->second > o.offset ? static_cast<double>(end->second - o.offset) : 0.0);
    }
  }
}

void add_queues(Families& out, queue::QueueEngine& queues) {
  std::promise<result<std::vector<queue::QueueDescription>>> p;
  auto f = p.get_future();
  queues.list_queues([&p](result<std::vector<queue::QueueDescription>> r) { p.set_value(std::move(r)); });
  auto list = wait_for(f);
  if (!list) return;
  out.gauge("wharf_queues", "Queues.", {}, static_cast<double>(list->size()));
  for (const auto& q : *list) {
    Labels l{{"queue", q.config.name}};
    out.gauge("wharf_queue_ready_messages", "Messages ready for delivery.", l, static_cast<double>(q.ready));
    out.gauge("wharf_queue_delayed_messages", "Messages waiting for their delay or backoff.", l,
              static_cast<double>(q.delayed));
    out.gauge("wharf_queue_in_flight_messages", "Messages delivered and not settled.", l,
              static_cast<double>(q.in_flight));
    out.gauge("wharf_queue_consumers", "Subscribed consumers.", l, static_cast<double>(q.consumers));
    out.gauge("wharf_queue_oldest_message_age_seconds", "Age of the oldest message in the queue.", l,
              static_cast<double>(q.oldest_age_ms) / 1000.0);
    const std::pair<const char*, std::uint64_t> counters[] = {
        {"published", q.traffic.published}, {"delivered", q.traffic.delivered}, {"acked", q.traffic.acked},
        {"nacked", q.traffic.nacked},       {"rejected", q.traffic.rejected}};
    for (const auto& [what, v] : counters)
      out.counter(std::string("wharf_queue_") + what + "_total",
                  std::string("Messages ") + what + " since the broker started.", l, static_cast<double>(v));
    out.counter("wharf_queue_expired_total", "Messages whose time to live passed (stored total).", l,
                static_cast<double>(q.expired));
    out.counter("wharf_queue_dead_lettered_total", "Messages moved to the dead-letter queue (stored total).", l,
                static_cast<double>(q.dead_lettered));
    out.counter("wharf_queue_dropped_total", "Messages dropped with no dead-letter queue (stored total).", l,
                static_cast<double>(q.dropped));
  }
}

void add_listener(Families& out, const char* listener, const net::Server& s) {
  Labels l{{"listener", listener}};
  out.gauge("wharf_connections", "Open client connections.", l, static_cast<double>(s.connection_count()));
  out.counter("wharf_connections_accepted_total", "Connections accepted since the broker started.", l,
              static_cast<double>(s.connections_accepted()));
  const bool kafka = std::string_view(listener) == "kafka";
  for (std::size_t type = 0; type < net::RequestCounters::kTypes; ++type) {
    const std::uint64_t n = s.requests().requests(type);
    if (n == 0) continue;
    std::string name = kafka ? snake_case(protocol::kafka::api_name(static_cast<std::int16_t>(type)))
                             : snake_case(wire::EnumNameBody(static_cast<wire::Body>(type)));
    out.counter("wharf_requests_total", "Requests received, by type.", {l[0], {"request", name}},
                static_cast<double>(n));
  }
  for (std::size_t code = 0; code < net::RequestCounters::kErrors; ++code) {
    const std::uint64_t n = s.requests().errors(code);
    if (n == 0) continue;
    std::string name = kafka ? std::to_string(code) : std::string(errc_name(static_cast<errc>(code)));
    out.counter("wharf_request_errors_total",
                "Requests answered with an error, by error code (Kafka: the request-level code).",
                {l[0], {"error", name}}, static_cast<double>(n));
  }
}

}  // namespace

std::string render_metrics(const MetricsSources& src) {
  Families out;
  out.gauge("wharf_build_info", "The broker's version.", {{"version", src.version}}, 1);
  out.gauge("wharf_start_time_seconds", "When the broker started, in seconds since the epoch.", {},
            std::chrono::duration<double>(src.started.time_since_epoch()).count());
  out.gauge("wharf_storage_healthy", "1 while storage accepts writes; 0 after a storage failure.", {},
            src.storage.writer().health().ok() ? 1 : 0);
  out.gauge("wharf_storage_used_bytes", "Bytes of the data file in use (its high-water mark).", {},
            static_cast<double>(src.storage.used_bytes()));
  out.gauge("wharf_storage_map_size_bytes", "Largest size the data file may reach.", {},
            static_cast<double>(src.storage.map_size()));
  const auto& writer = src.storage.writer();
  const auto stats = writer.stats();
  out.counter("wharf_writer_commits_total", "Group commits.", {}, static_cast<double>(stats.commits));
  out.counter("wharf_writer_ops_total", "Write operations committed.", {}, static_cast<double>(stats.ops));
  out.histogram("wharf_writer_group_ops", "Operations per group commit.", writer.histograms().group_ops.snapshot());
  out.histogram("wharf_writer_commit_duration_seconds", "Time to write a group's pages (LMDB commit).",
                writer.histograms().commit_seconds.snapshot());
  out.histogram("wharf_writer_sync_duration_seconds", "Time to flush the data file (fsync).",
                writer.histograms().sync_seconds.snapshot());
  out.counter("wharf_auth_failures_total", "Failed logins (both protocols and HTTP).", {},
              static_cast<double>(src.auth_failures));
  out.counter("wharf_auth_lockouts_total",
              "Lockouts begun: a user name or address reached its failed-login limit (logins refused unchecked).", {},
              static_cast<double>(src.auth_lockouts));
  if (src.native) add_listener(out, "native", *src.native);
  if (src.kafka) add_listener(out, "kafka", *src.kafka);
  LogEnds ends;
  add_logs(out, src.logs, &ends);
  add_groups(out, src.logs, src.groups, ends);
  add_queues(out, src.queues);
  return prometheus::TextSerializer().Serialize(out.take());
}

}  // namespace wharf::http
