#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <future>
#include <iostream>
#include <mutex>
#include <sstream>

#include "cli/commands.h"
#include "cli/duration_arg.h"
#include "cli/json_output.h"
#include "cli/progress.h"
#include "wharf/queue.h"

namespace wharf::cli {
namespace {

nlohmann::json queue_json(const QueueInfo& q) {
  const auto& o = q.options;
  return {{"name", q.name},
          {"ready", q.ready},
          {"delayed", q.delayed},
          {"in_flight", q.in_flight},
          {"consumers", q.consumers},
          {"oldest_age_ms", q.oldest_age_ms},
          {"dead_lettered", q.dead_lettered},
          {"dropped", q.dropped},
          {"expired", q.expired},
          {"options",
           {{"ack_deadline_ms", o.ack_deadline.count()},
            {"max_deliveries", o.max_deliveries},
            {"backoff_initial_ms", o.backoff_initial.count()},
            {"backoff_multiplier", o.backoff_multiplier},
            {"backoff_max_ms", o.backoff_max.count()},
            {"dlq", o.dead_letter == DeadLetter::none ? nlohmann::json(nullptr) : nlohmann::json(o.dlq)},
            {"dlq_mode", o.dead_letter == DeadLetter::none    ? "none"
                         : o.dead_letter == DeadLetter::named ? "named"
                                                              : "default"},
            {"max_length", o.max_length},
            {"overflow", o.overflow == Overflow::drop_oldest ? "drop-oldest" : "reject-publish"},
            {"ttl_ms", o.ttl_ms},
            {"priorities", o.priorities}}}};
}

nlohmann::json message_json(const MessageInfo& m) {
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& [k, v] : m.headers) headers[k] = v;
  nlohmann::json history = nlohmann::json::array();
  for (const auto& e : m.history)
    history.push_back({{"time_ms", e.time_ms}, {"outcome", e.outcome}, {"consumer", e.consumer}, {"reason", e.reason}});
  return {{"queue", m.queue},       {"id", m.id},
          {"state", m.state},       {"attempts", m.attempts},
          {"deadline_ms", m.deadline_ms}, {"priority", m.priority},
          {"publish_ms", m.publish_ms}, {"expires_ms", m.expires_ms},
          {"origin_queue", m.origin_queue}, {"headers", headers},
          {"payload", m.payload},   {"history", history}};
}

}  // namespace

namespace {

// Applies the given flags to *o; what is wrong with them, or nullopt.
std::optional<std::string> apply_options(const QueueOptionArgs& a, QueueOptions* o) {
  if (a.ack_deadline) {
    auto d = parse_duration(*a.ack_deadline);
    if (!d) return "--ack-deadline wants a duration like 30s";
    o->ack_deadline = *d;
  }
  if (a.max_deliveries) o->max_deliveries = *a.max_deliveries;
  if (a.backoff) {
    // initial,multiplier,max
    std::stringstream ss(*a.backoff);
    std::string initial, multiplier, max;
    const char* bad = "--backoff wants INITIAL,MULTIPLIER,MAX like 1s,2,60s";
    if (!std::getline(ss, initial, ',') || !std::getline(ss, multiplier, ',') || !std::getline(ss, max, ','))
      return bad;
    auto i = parse_duration(initial);
    auto m = parse_duration(max);
    char* end = nullptr;
    const double mult = std::strtod(multiplier.c_str(), &end);
    if (!i || !m || end == multiplier.c_str() || *end != '\0') return bad;
    o->backoff_initial = *i;
    o->backoff_multiplier = mult;
    o->backoff_max = *m;
  }
  if (a.dlq) {
    if (*a.dlq == "none") {
      o->dead_letter = DeadLetter::none;
      o->dlq.clear();
    } else if (*a.dlq == "default") {
      o->dead_letter = DeadLetter::default_queue;
      o->dlq.clear();
    } else {
      o->dead_letter = DeadLetter::named;
      o->dlq = *a.dlq;
    }
  }
  if (a.max_length) o->max_length = *a.max_length;
  if (a.overflow) {
    if (*a.overflow == "reject-publish") {
      o->overflow = Overflow::reject_publish;
    } else if (*a.overflow == "drop-oldest") {
      o->overflow = Overflow::drop_oldest;
    } else {
      return "--overflow is reject-publish or drop-oldest";
    }
  }
  if (a.ttl) {
    if (*a.ttl == "none") {
      o->ttl_ms = -1;
    } else {
      auto t = parse_duration(*a.ttl);
      if (!t || t->count() == 0) return "--ttl wants a positive duration like 1h, or none";
      o->ttl_ms = t->count();
    }
  }
  if (a.priorities) o->priorities = *a.priorities;
  return std::nullopt;
}

}  // namespace

int queue_create(const Context& ctx, const std::string& name, const QueueOptionArgs& a) {
  QueueOptions o;
  if (auto wrong = apply_options(a, &o)) return usage(*wrong);
  auto client = connect(ctx);
  if (!client) return 1;
  if (status st = client->create_queue(name, o); !st.ok()) return fail(st);
  if (ctx.json) {
    auto q = client->describe_queue(name);
    if (!q) return fail(q.error());
    print_json(queue_json(*q));
    return 0;
  }
  std::printf("created queue %s", name.c_str());
  if (o.dead_letter == DeadLetter::default_queue) std::printf(" (dead letters go to %s.dlq)", name.c_str());
  std::printf("\n");
  return 0;
}

int queue_alter(const Context& ctx, const std::string& name, const QueueOptionArgs& a) {
  auto client = connect(ctx);
  if (!client) return 1;
  // Alter sets every option: start from the current ones.
  auto current = client->describe_queue(name);
  if (!current) return fail(current.error());
  QueueOptions o = current->options;
  if (auto wrong = apply_options(a, &o)) return usage(*wrong);
  if (status st = client->alter_queue(name, o); !st.ok()) return fail(st);
  auto q = client->describe_queue(name);
  if (!q) return fail(q.error());
  if (ctx.json) {
    print_json(queue_json(*q));
  } else {
    std::printf("altered queue %s\n", name.c_str());
  }
  return 0;
}

int queue_list(const Context& ctx) {
  auto client = connect(ctx);
  if (!client) return 1;
  auto queues = client->list_queues();
  if (!queues) return fail(queues.error());
  if (ctx.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& q : *queues) out.push_back(queue_json(q));
    print_json(out);
    return 0;
  }
  for (const auto& q : *queues)
    std::printf("%s\tready=%llu\tin_flight=%llu\tconsumers=%llu\n", q.name.c_str(),
                static_cast<unsigned long long>(q.ready), static_cast<unsigned long long>(q.in_flight),
                static_cast<unsigned long long>(q.consumers));
  return 0;
}

namespace {
// A limit or age as a person reads it: -1 (none set) as a word.
std::string or_word(std::int64_t value, const char* unit, const char* word) {
  return value < 0 ? std::string(word) : fmt::format("{} {}", value, unit);
}
}  // namespace

int queue_describe(const Context& ctx, const std::string& name) {
  auto client = connect(ctx);
  if (!client) return 1;
  auto q = client->describe_queue(name);
  if (!q) return fail(q.error());
  if (ctx.json) {
    print_json(queue_json(*q));
    return 0;
  }
  const auto& o = q->options;
  std::printf("queue %s\n", q->name.c_str());
  std::printf("  ready %llu, delayed %llu, in flight %llu, consumers %llu, oldest age %s\n",
              static_cast<unsigned long long>(q->ready), static_cast<unsigned long long>(q->delayed),
              static_cast<unsigned long long>(q->in_flight), static_cast<unsigned long long>(q->consumers),
              or_word(q->oldest_age_ms, "ms", "none").c_str());
  std::printf("  dead-lettered %llu, dropped %llu, expired %llu\n", static_cast<unsigned long long>(q->dead_lettered),
              static_cast<unsigned long long>(q->dropped), static_cast<unsigned long long>(q->expired));
  std::printf("  ack deadline %lld ms, max deliveries %u, backoff %lld ms x%g up to %lld ms\n",
              static_cast<long long>(o.ack_deadline.count()), o.max_deliveries,
              static_cast<long long>(o.backoff_initial.count()), o.backoff_multiplier,
              static_cast<long long>(o.backoff_max.count()));
  std::printf("  dead-letter queue %s, max length %s (%s), ttl %s, priorities %u\n",
              o.dead_letter == DeadLetter::none ? "none" : o.dlq.c_str(),
              or_word(o.max_length, "messages", "unlimited").c_str(),
              o.overflow == Overflow::drop_oldest ? "drop-oldest" : "reject-publish",
              or_word(o.ttl_ms, "ms", "none").c_str(), o.priorities);
  return 0;
}

int queue_delete(const Context& ctx, const std::string& name, bool keep_dlq) {
  auto client = connect(ctx);
  if (!client) return 1;
  // Say what goes with it: the default dead-letter queue, unless kept or shared.
  auto before = client->list_queues();
  if (status st = client->delete_queue(name, keep_dlq); !st.ok()) return fail(st);
  std::vector<std::string> deleted = {name};
  if (before) {
    auto after = client->list_queues();
    for (const auto& q : *before) {
      const bool gone = after && std::none_of(after->begin(), after->end(), [&](const QueueInfo& a) { return a.name == q.name; });
      if (q.name != name && gone) deleted.push_back(q.name);
    }
  }
  if (ctx.json) {
    print_json({{"deleted", "queue"}, {"names", deleted}});
    return 0;
  }
  for (const auto& n : deleted) std::printf("deleted queue %s\n", n.c_str());
  return 0;
}

int queue_purge(const Context& ctx, const std::string& name) {
  auto client = connect(ctx);
  if (!client) return 1;
  auto n = client->purge_queue(name);
  if (!n) return fail(n.error());
  if (ctx.json) {
    print_json({{"queue", name}, {"purged", *n}});
    return 0;
  }
  std::printf("purged %llu message(s) from %s\n", static_cast<unsigned long long>(*n), name.c_str());
  return 0;
}

int queue_peek(const Context& ctx, const std::string& name, std::uint32_t count) {
  auto client = connect(ctx);
  if (!client) return 1;
  auto msgs = client->peek(name, count);
  if (!msgs) return fail(msgs.error());
  for (const auto& m : *msgs) {
    if (ctx.json) {
      print_json(message_json(m));
    } else {
      std::printf("%llu\t%s\n", static_cast<unsigned long long>(m.id), m.payload.c_str());
    }
  }
  return 0;
}

int queue_redrive(const Context& ctx, const RedriveArgs& a) {
  std::vector<std::uint64_t> ids;
  if (a.ids) {
    std::stringstream ss(*a.ids);
    std::string part;
    while (std::getline(ss, part, ',')) {
      char* end = nullptr;
      const auto id = std::strtoull(part.c_str(), &end, 10);
      if (part.empty() || *end != '\0') return usage("--ids wants numbers like 1,2,3");
      ids.push_back(id);
    }
  }
  if ((a.ids ? 1 : 0) + (a.count ? 1 : 0) + (a.all ? 1 : 0) != 1) return usage("choose one of --ids, --count, --all");
  if (a.count && *a.count == 0) return usage("--count wants at least 1");
  auto client = connect(ctx);
  if (!client) return 1;
  // In chunks, so a large redrive shows its progress (each chunk is atomic).
  constexpr std::uint64_t kChunk = 1000;
  Progress progress("redrove", "messages");
  std::uint64_t moved = 0;
  std::size_t next_id = 0;
  for (;;) {
    RedriveOptions o;
    if (a.to) o.to = *a.to;
    std::uint64_t asked = 0;
    if (a.ids) {
      if (next_id == ids.size()) break;
      const std::size_t n = std::min<std::size_t>(kChunk, ids.size() - next_id);
      o.ids.assign(ids.begin() + static_cast<std::ptrdiff_t>(next_id), ids.begin() + static_cast<std::ptrdiff_t>(next_id + n));
      next_id += n;
      asked = n;
    } else {
      const std::uint64_t left = a.count ? *a.count - moved : kChunk;
      if (left == 0) break;
      o.count = asked = std::min(kChunk, left);
    }
    auto r = client->redrive(a.dlq, o);
    if (!r) {
      progress.finish();
      if (moved > 0) std::fprintf(stderr, "wharf: %llu message(s) were moved before the error\n", static_cast<unsigned long long>(moved));
      return fail(r.error());
    }
    moved += *r;
    progress.add(*r);
    if (!a.ids && *r < asked) break;  // the dead-letter queue is empty
  }
  progress.finish();
  if (ctx.json) {
    print_json({{"dlq", a.dlq}, {"moved", moved}});
    return 0;
  }
  std::printf("redrove %llu message(s) from %s\n", static_cast<unsigned long long>(moved), a.dlq.c_str());
  return 0;
}

int message_get(const Context& ctx, const std::string& queue, std::uint64_t id) {
  auto client = connect(ctx);
  if (!client) return 1;
  auto m = client->get_message(queue, id);
  if (!m) return fail(m.error());
  if (ctx.json) {
    print_json(message_json(*m));
    return 0;
  }
  std::printf("message %llu in %s: %s, attempts %u", static_cast<unsigned long long>(m->id), m->queue.c_str(),
              m->state.c_str(), m->attempts);
  if (m->deadline_ms > 0) std::printf(", deadline %lld", static_cast<long long>(m->deadline_ms));
  std::printf("\n  payload: %s\n", m->payload.c_str());
  for (const auto& e : m->history)
    std::printf("  %lld %s %s %s\n", static_cast<long long>(e.time_ms), e.outcome.c_str(), e.consumer.c_str(),
                e.reason.c_str());
  return 0;
}

}  // namespace wharf::cli
