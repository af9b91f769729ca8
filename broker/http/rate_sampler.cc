#include "broker/http/rate_sampler.h"

namespace wharf::http {
namespace {

double per_second(std::uint64_t now, std::uint64_t before, double seconds) {
  return now >= before && seconds > 0 ? static_cast<double>(now - before) / seconds : 0;
}

}  // namespace

RateSampler::RateSampler(std::function<TrafficTotals()> read, std::chrono::milliseconds interval)
    : read_(std::move(read)), interval_(interval) {
  thread_ = std::thread([this] { loop(); });
}

RateSampler::~RateSampler() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void RateSampler::loop() {
  for (;;) {
    sample();
    MutexLock lock(mu_);
    const auto deadline = std::chrono::steady_clock::now() + interval_;
    // Woken early only to stop (or spuriously): wait out the interval.
    while (!stopping_ && wake_.wait_until(mu_, deadline)) {
    }
    if (stopping_) return;
  }
}

void RateSampler::sample() {
  TrafficTotals now = read_();
  const auto at = std::chrono::steady_clock::now();
  const auto wall_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  MutexLock lock(mu_);
  if (have_last_) {
    const double s = std::chrono::duration<double>(at - last_time_).count();
    history_.push_back({wall_ms, per_second(now.in, last_.in, s), per_second(now.out, last_.out, s)});
    if (history_.size() > kHistory) history_.pop_front();
    partition_rates_.clear();
    topic_rates_.clear();
    for (const auto& [tp, n] : now.partition_records_in) {
      auto it = last_.partition_records_in.find(tp);
      const double r = per_second(n, it == last_.partition_records_in.end() ? n : it->second, s);
      partition_rates_[tp] = r;
      topic_rates_[tp.first] += r;
    }
    queue_rates_.clear();
    for (const auto& [name, q] : now.queues) {
      auto it = last_.queues.find(name);
      const TrafficTotals::Queue before = it == last_.queues.end() ? q : it->second;
      queue_rates_[name] = {per_second(q.published, before.published, s), per_second(q.acked, before.acked, s)};
    }
  }
  last_ = std::move(now);
  last_time_ = at;
  have_last_ = true;
}

std::vector<RateSample> RateSampler::history() const {
  MutexLock lock(mu_);
  return {history_.begin(), history_.end()};
}

double RateSampler::partition_rate(const std::string& topic, std::uint32_t partition) const {
  MutexLock lock(mu_);
  auto it = partition_rates_.find({topic, partition});
  return it == partition_rates_.end() ? 0 : it->second;
}

double RateSampler::topic_rate(const std::string& topic) const {
  MutexLock lock(mu_);
  auto it = topic_rates_.find(topic);
  return it == topic_rates_.end() ? 0 : it->second;
}

std::pair<double, double> RateSampler::queue_rates(const std::string& queue) const {
  MutexLock lock(mu_);
  auto it = queue_rates_.find(queue);
  return it == queue_rates_.end() ? std::pair<double, double>{0, 0} : it->second;
}

}  // namespace wharf::http
