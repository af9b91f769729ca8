#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <future>
#include <iostream>
#include <mutex>
#include <sstream>

#include "cli/commands.h"
#include "cli/duration_arg.h"
#include "wharf/queue.h"

namespace wharf::cli {
namespace {

int usage(const std::string& message) {
  std::fprintf(stderr, "wharf: %s\n", message.c_str());
  return 2;
}

std::string dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

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

int queue_create(const Context& ctx, const QueueCreateArgs& a) {
  QueueOptions o;
  if (a.ack_deadline) {
    auto d = parse_duration(*a.ack_deadline);
    if (!d) return usage("--ack-deadline wants a duration like 30s");
    o.ack_deadline = *d;
  }
  if (a.max_deliveries) o.max_deliveries = *a.max_deliveries;
  if (a.backoff) {
    // initial,multiplier,max
    std::stringstream ss(*a.backoff);
    std::string initial, multiplier, max;
    if (!std::getline(ss, initial, ',') || !std::getline(ss, multiplier, ',') || !std::getline(ss, max, ','))
      return usage("--backoff wants INITIAL,MULTIPLIER,MAX like 1s,2,60s");
    auto i = parse_duration(initial);
    auto m = parse_duration(max);
    char* end = nullptr;
    const double mult = std::strtod(multiplier.c_str(), &end);
    if (!i || !m || end == multiplier.c_str() || *end != '\0')
      return usage("--backoff wants INITIAL,MULTIPLIER,MAX like 1s,2,60s");
    o.backoff_initial = *i;
    o.backoff_multiplier = mult;
    o.backoff_max = *m;
  }
  if (a.dlq) {
    if (*a.dlq == "none") {
      o.dead_letter = DeadLetter::none;
    } else {
      o.dead_letter = DeadLetter::named;
      o.dlq = *a.dlq;
    }
  }
  if (a.max_length) o.max_length = *a.max_length;
  if (a.overflow) {
    if (*a.overflow == "reject-publish") o.overflow = Overflow::reject_publish;
    else if (*a.overflow == "drop-oldest") o.overflow = Overflow::drop_oldest;
    else return usage("--overflow is reject-publish or drop-oldest");
  }
  if (a.ttl) {
    auto t = parse_duration(*a.ttl);
    if (!t || t->count() == 0) return usage("--ttl wants a positive duration like 1h");
    o.ttl_ms = t->count();
  }
  if (a.priorities) o.priorities = *a.priorities;
  auto client = connect(ctx);
  if (!client) return 1;
  if (status st = client->create_queue(a.name, o); !st.ok()) return fail(st);
  std::printf("created queue %s", a.name.c_str());
  if (o.dead_letter == DeadLetter::default_queue) std::printf(" (dead letters go to %s.dlq)", a.name.c_str());
  std::printf("\n");
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
    std::printf("%s\n", dump(out).c_str());
    return 0;
  }
  for (const auto& q : *queues)
    std::printf("%s\tready=%llu\tin_flight=%llu\tconsumers=%llu\n", q.name.c_str(),
                static_cast<unsigned long long>(q.ready), static_cast<unsigned long long>(q.in_flight),
                static_cast<unsigned long long>(q.consumers));
  return 0;
}

int queue_describe(const Context& ctx, const std::string& name) {
  auto client = connect(ctx);
  if (!client) return 1;
  auto q = client->describe_queue(name);
  if (!q) return fail(q.error());
  if (ctx.json) {
    std::printf("%s\n", dump(queue_json(*q)).c_str());
    return 0;
  }
  const auto& o = q->options;
  std::printf("queue %s\n", q->name.c_str());
  std::printf("  ready %llu, delayed %llu, in flight %llu, consumers %llu, oldest age %lld ms\n",
              static_cast<unsigned long long>(q->ready), static_cast<unsigned long long>(q->delayed),
              static_cast<unsigned long long>(q->in_flight), static_cast<unsigned long long>(q->consumers),
              static_cast<long long>(q->oldest_age_ms));
  std::printf("  dead-lettered %llu, dropped %llu, expired %llu\n", static_cast<unsigned long long>(q->dead_lettered),
              static_cast<unsigned long long>(q->dropped), static_cast<unsigned long long>(q->expired));
  std::printf("  ack deadline %lld ms, max deliveries %u, backoff %lld ms x%g up to %lld ms\n",
              static_cast<long long>(o.ack_deadline.count()), o.max_deliveries,
              static_cast<long long>(o.backoff_initial.count()), o.backoff_multiplier,
              static_cast<long long>(o.backoff_max.count()));
  std::printf("  dead-letter queue %s, max length %lld (%s), ttl %lld ms, priorities %u\n",
              o.dead_letter == DeadLetter::none ? "none" : o.dlq.c_str(), static_cast<long long>(o.max_length),
              o.overflow == Overflow::drop_oldest ? "drop-oldest" : "reject-publish", static_cast<long long>(o.ttl_ms),
              o.priorities);
  return 0;
}

int queue_delete(const Context& ctx, const std::string& name) {
  auto client = connect(ctx);
  if (!client) return 1;
  if (status st = client->delete_queue(name); !st.ok()) return fail(st);
  std::printf("deleted queue %s\n", name.c_str());
  return 0;
}

int queue_purge(const Context& ctx, const std::string& name) {
  auto client = connect(ctx);
  if (!client) return 1;
  auto n = client->purge_queue(name);
  if (!n) return fail(n.error());
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
      std::printf("%s\n", dump(message_json(m)).c_str());
    } else {
      std::printf("%llu\t%s\n", static_cast<unsigned long long>(m.id), m.payload.c_str());
    }
  }
  return 0;
}

int queue_redrive(const Context& ctx, const RedriveArgs& a) {
  RedriveOptions o;
  if (a.to) o.to = *a.to;
  if (a.ids) {
    std::stringstream ss(*a.ids);
    std::string part;
    while (std::getline(ss, part, ',')) {
      char* end = nullptr;
      const auto id = std::strtoull(part.c_str(), &end, 10);
      if (part.empty() || *end != '\0') return usage("--ids wants numbers like 1,2,3");
      o.ids.push_back(id);
    }
  }
  if (a.count) o.count = *a.count;
  o.all = a.all;
  if ((a.ids ? 1 : 0) + (a.count ? 1 : 0) + (a.all ? 1 : 0) != 1) return usage("choose one of --ids, --count, --all");
  auto client = connect(ctx);
  if (!client) return 1;
  auto moved = client->redrive(a.dlq, o);
  if (!moved) return fail(moved.error());
  std::printf("redrove %llu message(s) from %s\n", static_cast<unsigned long long>(*moved), a.dlq.c_str());
  return 0;
}

int queue_publish(const Context& ctx, const QueuePublishArgs& a) {
  OutgoingMessage base;
  if (a.delay) {
    auto d = parse_duration(*a.delay);
    if (!d) return usage("--delay wants a duration like 5s");
    base.delay = *d;
  }
  if (a.ttl) {
    auto t = parse_duration(*a.ttl);
    if (!t || t->count() == 0) return usage("--ttl wants a positive duration");
    base.ttl_ms = t->count();
  }
  base.priority = a.priority;
  std::vector<std::string> storage = a.headers;
  std::vector<Header> headers;
  for (const auto& h : storage) {
    const auto eq = h.find('=');
    if (eq == std::string::npos || eq == 0) return usage("--header wants KEY=VALUE");
    headers.push_back({std::string_view(h).substr(0, eq), std::string_view(h).substr(eq + 1)});
  }
  base.headers = headers;
  auto client = connect(ctx);
  if (!client) return 1;
  std::mutex mu;
  std::uint64_t ok = 0;
  std::uint64_t failed = 0;
  status first_error;
  std::vector<std::uint64_t> ids;
  {
    Publisher publisher(*client);
    std::string line;
    while (std::getline(std::cin, line)) {
      OutgoingMessage m = base;
      m.payload = line;
      publisher.publish(a.queue, m, [&](result<std::uint64_t> id) {
        std::lock_guard lock(mu);
        if (!id.ok()) {
          if (failed++ == 0) first_error = id.error();
          return;
        }
        ++ok;
        ids.push_back(*id);
      });
    }
    publisher.flush();
  }
  if (failed > 0) {
    std::fprintf(stderr, "wharf: %llu of %llu messages failed; first error: %s\n",
                 static_cast<unsigned long long>(failed), static_cast<unsigned long long>(failed + ok),
                 first_error.to_string().c_str());
    return 1;
  }
  std::printf("published %llu message(s) to %s", static_cast<unsigned long long>(ok), a.queue.c_str());
  if (!ids.empty())
    std::printf(", ids %llu-%llu", static_cast<unsigned long long>(*std::min_element(ids.begin(), ids.end())),
                static_cast<unsigned long long>(*std::max_element(ids.begin(), ids.end())));
  std::printf("\n");
  return 0;
}

int queue_consume(const Context& ctx, const QueueConsumeArgs& a) {
  if (a.nack && a.reject) return usage("use only one of --nack and --reject");
  auto idle = parse_duration(a.idle);
  if (!idle) return usage("--idle wants a duration like 1s");
  auto client = connect(ctx);
  if (!client) return 1;
  // Never hold more than will be printed: each delivery counts as an attempt.
  const std::uint32_t prefetch =
      a.count ? static_cast<std::uint32_t>(std::min<std::uint64_t>(a.prefetch, std::max<std::uint64_t>(*a.count, 1)))
              : a.prefetch;
  auto qc = QueueConsumer::subscribe(*client, a.queue, {prefetch});
  if (!qc) return fail(qc.error());
  std::uint64_t n = 0;
  while (!a.count || n < *a.count) {
    auto d = (*qc)->receive(*idle);
    if (!d) {
      if (d.code() == errc::timeout) break;
      return fail(d.error());
    }
    if (ctx.json) {
      nlohmann::json headers = nlohmann::json::object();
      for (const auto& h : d->headers()) headers[std::string(h.key)] = std::string(h.value);
      std::printf("%s\n", dump({{"id", d->id()},
                                {"attempt", d->attempt()},
                                {"deadline_ms", d->deadline_ms()},
                                {"priority", d->priority()},
                                {"headers", headers},
                                {"payload", std::string(d->payload())}})
                              .c_str());
    } else {
      std::fwrite(d->payload().data(), 1, d->payload().size(), stdout);
      std::fputc('\n', stdout);
    }
    std::fflush(stdout);
    std::promise<status> settled;
    auto done = [&](status st) { settled.set_value(std::move(st)); };
    if (a.nack) {
      d->nack(std::chrono::milliseconds(-1), done);
    } else if (a.reject) {
      d->reject(*a.reject, done);
    } else {
      d->ack(done);
    }
    if (status st = settled.get_future().get(); !st.ok()) return fail(st);
    ++n;
  }
  return 0;
}

int message_get(const Context& ctx, const std::string& queue, std::uint64_t id) {
  auto client = connect(ctx);
  if (!client) return 1;
  auto m = client->get_message(queue, id);
  if (!m) return fail(m.error());
  if (ctx.json) {
    std::printf("%s\n", dump(message_json(*m)).c_str());
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
