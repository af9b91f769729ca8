#include <nlohmann/json.hpp>

#include <algorithm>
#include <mutex>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "cli/json_output.h"
#include "cli/progress.h"
#include "cli/record_format.h"
#include "cli/time_arg.h"
#include "wharf/consumer.h"
#include "wharf/producer.h"

namespace wharf::cli {
namespace {

volatile std::sig_atomic_t g_interrupted = 0;
void on_interrupt(int) { g_interrupted = 1; }

}  // namespace

namespace {

// "k=v" flags as headers viewing `specs`; nullopt if one has no '='.
std::optional<std::vector<Header>> parse_headers(const std::vector<std::string>& specs) {
  std::vector<Header> headers;
  for (const auto& h : specs) {
    const auto eq = h.find('=');
    if (eq == std::string::npos || eq == 0) return std::nullopt;
    headers.push_back({std::string_view(h).substr(0, eq), std::string_view(h).substr(eq + 1)});
  }
  return headers;
}

}  // namespace

int produce(const Context& ctx, const ProduceArgs& a) {
  if (a.key && a.key_separator) return usage("use only one of --key and --key-separator");
  if (a.key_separator && a.key_separator->empty()) return usage("--key-separator must not be empty");
  auto headers = parse_headers(a.headers);
  if (!headers) return usage("--header wants KEY=VALUE");
  std::int64_t timestamp = -1;
  if (a.timestamp) {
    auto t = parse_time_ms(*a.timestamp);
    if (!t) return usage("--timestamp wants milliseconds or ISO 8601 like 2026-11-25T10:00:00Z");
    timestamp = *t;
  }
  auto client = connect(ctx);
  if (!client) return 1;
  std::uint64_t ok = 0;      // guarded by mu
  std::uint64_t failed = 0;  // guarded by mu
  std::mutex mu;
  status first_error;
  std::map<std::uint32_t, std::pair<std::int64_t, std::int64_t>> ranges;  // partition -> first, last
  {
    ProducerOptions po;
    po.compression = a.compression;
    Producer producer(*client, po);
    Progress progress("produced", "records");
    std::string line;
    while (std::getline(std::cin, line)) {
      ProducerRecord r;
      r.value = line;
      if (a.key) r.key = *a.key;
      if (a.key_separator) {
        // KEY<sep>VALUE; a line without the separator has no key.
        const auto at = line.find(*a.key_separator);
        if (at != std::string::npos) {
          r.key = std::string_view(line).substr(0, at);
          r.value = std::string_view(line).substr(at + a.key_separator->size());
        }
      }
      r.headers = *headers;
      r.timestamp_ms = timestamp;
      auto done = [&](result<RecordMetadata> stored) {
        std::lock_guard lock(mu);
        if (!stored.ok()) {
          if (failed++ == 0) first_error = stored.error();
          return;
        }
        ++ok;
        auto [it, fresh] = ranges.emplace(stored->partition, std::make_pair(stored->offset, stored->offset));
        if (!fresh) {
          it->second.first = std::min(it->second.first, stored->offset);
          it->second.second = std::max(it->second.second, stored->offset);
        }
      };
      if (a.partition) {
        producer.send(a.topic, *a.partition, r, done);
      } else {
        producer.send(a.topic, r, done);
      }
      progress.add();
    }
    producer.flush();
  }
  if (failed > 0) {
    std::fprintf(stderr, "wharf: %llu of %llu records failed; first error: %s\n",
                 static_cast<unsigned long long>(failed), static_cast<unsigned long long>(failed + ok),
                 first_error.to_string().c_str());
    return 1;
  }
  if (ctx.json) {
    nlohmann::json parts = nlohmann::json::array();
    for (const auto& [p, r] : ranges)
      parts.push_back({{"partition", p}, {"first_offset", r.first}, {"last_offset", r.second}});
    print_json({{"topic", a.topic}, {"produced", ok}, {"partitions", parts}});
    return 0;
  }
  std::printf("produced %llu record(s) to %s", static_cast<unsigned long long>(ok), a.topic.c_str());
  for (const auto& [p, r] : ranges)
    std::printf(", partition %u offsets %lld-%lld", p, static_cast<long long>(r.first),
                static_cast<long long>(r.second));
  std::printf("\n");
  return 0;
}

namespace {

void print_record(const ConsumerRecord& r, bool json, std::string_view format, std::string* line) {
  if (!json) {
    line->clear();
    format_record(format, r, line);
    line->push_back('\n');
    std::fwrite(line->data(), 1, line->size(), stdout);
    return;
  }
  nlohmann::json headers = nlohmann::json::array();
  for (const auto& h : r.headers()) headers.push_back({{"key", std::string(h.key)}, {"value", std::string(h.value)}});
  print_json({{"offset", r.offset},
              {"partition", r.partition},
              {"key", r.key ? nlohmann::json(std::string(*r.key)) : nlohmann::json(nullptr)},
              {"timestamp", r.timestamp_ms},
              {"headers", headers},
              {"value", std::string(r.value)}});
}

}  // namespace

int consume(const Context& ctx, const ConsumeArgs& a) {
  const int starts = (a.from_beginning ? 1 : 0) + (a.from_offset ? 1 : 0) + (a.from_time ? 1 : 0);
  if (starts > 1) {
    std::fprintf(stderr, "wharf: use only one of --from-beginning, --from-offset, --from-time\n");
    return 2;
  }
  if (starts == 0 && !a.group) {
    std::fprintf(stderr, "wharf: say where to start: --from-beginning, --from-offset N, --from-time T, or --group G\n");
    return 2;
  }
  if (a.format && a.print_key) return usage("use only one of --format and --print-key");
  const std::string format = a.format ? *a.format : a.print_key ? "%k\t%v" : "%v";
  if (auto wrong = check_record_format(format)) return usage(*wrong);
  std::optional<std::int64_t> from_time;
  if (a.from_time) {
    from_time = parse_time_ms(*a.from_time);
    if (!from_time) {
      std::fprintf(stderr, "wharf: --from-time wants milliseconds or ISO 8601 like 2026-11-25T10:00:00Z, got '%s'\n",
                   a.from_time->c_str());
      return 2;
    }
  }
  auto client = connect(ctx);
  if (!client) return 1;
  auto info = client->describe_topic(a.topic);
  if (!info) return fail(info.error());
  std::vector<TopicPartition> tps;
  if (a.partition) {
    tps.push_back({a.topic, *a.partition});
  } else {
    for (std::uint32_t p = 0; p < info->partitions; ++p) tps.push_back({a.topic, p});
  }
  ConsumerOptions co;
  if (a.group) co.group = *a.group;
  co.start = a.group ? StartFrom::committed : StartFrom::earliest;
  Consumer consumer(*client, co);
  if (status st = consumer.assign(tps); !st.ok()) return fail(st);
  for (const auto& tp : tps) {
    status st;
    if (a.from_beginning) st = consumer.seek_to_beginning(tp);
    if (a.from_offset) st = consumer.seek(tp, *a.from_offset);
    if (from_time) st = consumer.seek_to_time(tp, *from_time);
    if (!st.ok()) return fail(st);
  }
  // Without --follow, stop at the end as it is now.
  std::map<std::uint32_t, std::int64_t> end;
  if (!a.follow) {
    for (const auto& tp : tps) {
      auto e = client->latest_offset(tp.topic, tp.partition);
      if (!e) return fail(e.error());
      end[tp.partition] = *e;
    }
  }
  auto reached_end = [&] {
    if (a.follow) return false;
    for (const auto& tp : tps) {
      auto pos = consumer.position(tp);
      if (!pos || *pos < end[tp.partition]) return false;
    }
    return true;
  };
  // What the group commits: right after the last record printed.
  std::map<std::uint32_t, std::int64_t> next_to_print;
  for (const auto& tp : tps) {
    auto pos = consumer.position(tp);
    if (!pos) return fail(pos.error());
    next_to_print[tp.partition] = *pos;
  }
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  std::uint64_t printed = 0;
  int rc = 0;
  std::string line;
  std::optional<Progress> progress;
  if (a.count) progress.emplace("consumed", "records");
  while (!g_interrupted && !(a.count && printed >= *a.count) && !reached_end()) {
    auto records = consumer.poll(std::chrono::milliseconds(200));
    if (!records) {
      rc = fail(records.error());
      break;
    }
    for (const auto& r : *records) {
      if (a.count && printed >= *a.count) break;
      if (!a.follow && r.offset >= end[r.partition]) continue;
      print_record(r, ctx.json, format, &line);
      next_to_print[r.partition] = r.offset + 1;
      ++printed;
      if (progress) progress->add();
    }
    std::fflush(stdout);
  }
  if (progress) progress->finish();
  if (a.group && rc == 0) {
    std::vector<std::pair<std::uint32_t, std::int64_t>> offsets(next_to_print.begin(), next_to_print.end());
    if (status st = client->commit_offsets(*a.group, a.topic, offsets); !st.ok()) return fail(st);
  }
  return rc;
}

}  // namespace wharf::cli
