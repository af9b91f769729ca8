// `wharf queue publish` and `wharf queue consume` (with --exec).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <future>
#include <iostream>
#include <mutex>

#include "cli/commands.h"
#include "cli/duration_arg.h"
#include "cli/exec_worker.h"
#include "cli/json_output.h"
#include "cli/progress.h"
#include "wharf/queue.h"

namespace wharf::cli {
namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

nlohmann::json delivery_json(const Delivery& d) {
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& h : d.headers()) headers[std::string(h.key)] = std::string(h.value);
  return {{"id", d.id()},
          {"attempt", d.attempt()},
          {"deadline_ms", d.deadline_ms()},
          {"priority", d.priority()},
          {"headers", headers},
          {"payload", std::string(d.payload())}};
}

status wait_settled(const std::function<void(Delivery::Done)>& settle) {
  std::promise<status> settled;
  settle([&](status st) { settled.set_value(std::move(st)); });
  return settled.get_future().get();
}

}  // namespace

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
  std::vector<Header> headers;
  for (const auto& h : a.headers) {
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
    Progress progress("published", "messages");
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
      progress.add();
    }
    publisher.flush();
  }
  const auto first = ids.empty() ? 0 : *std::min_element(ids.begin(), ids.end());
  const auto last = ids.empty() ? 0 : *std::max_element(ids.begin(), ids.end());
  if (ctx.json) {
    nlohmann::json out = {{"queue", a.queue}, {"published", ok}, {"failed", failed}};
    if (!ids.empty()) {
      out["first_id"] = first;
      out["last_id"] = last;
    }
    if (failed > 0) out["first_error"] = first_error.to_string();
    print_json(out);
  }
  if (failed > 0) {
    std::fprintf(stderr, "wharf: %llu of %llu messages failed; first error: %s\n",
                 static_cast<unsigned long long>(failed), static_cast<unsigned long long>(failed + ok),
                 first_error.to_string().c_str());
    return 1;
  }
  if (ctx.json) return 0;
  std::printf("published %llu message(s) to %s", static_cast<unsigned long long>(ok), a.queue.c_str());
  if (!ids.empty())
    std::printf(", ids %llu-%llu", static_cast<unsigned long long>(first), static_cast<unsigned long long>(last));
  std::printf("\n");
  return 0;
}

int queue_consume(const Context& ctx, const QueueConsumeArgs& a) {
  if ((a.nack ? 1 : 0) + (a.reject ? 1 : 0) + (a.exec ? 1 : 0) > 1)
    return usage("use only one of --nack, --reject and --exec");
  if (a.exec_timeout && !a.exec) return usage("--exec-timeout goes with --exec");
  std::optional<std::chrono::milliseconds> idle;
  if (a.idle) {
    idle = parse_duration(*a.idle);
    if (!idle) return usage("--idle wants a duration like 1s");
  }
  std::optional<std::chrono::milliseconds> exec_limit;
  if (a.exec_timeout) {
    exec_limit = parse_duration(*a.exec_timeout);
    if (!exec_limit || exec_limit->count() == 0) return usage("--exec-timeout wants a positive duration like 5m");
  }
  auto client = connect(ctx);
  if (!client) return 1;
  std::chrono::milliseconds ack_deadline{0};
  if (a.exec) {
    auto q = client->describe_queue(a.queue);
    if (!q) return fail(q.error());
    ack_deadline = q->options.ack_deadline;
  }
  // Hold no more than will be used: one at a time for --exec, at most
  // --count otherwise. (What is held but never handed out goes back at the
  // close without costing an attempt.)
  std::uint64_t prefetch = a.exec ? 1 : a.prefetch;
  if (a.count) prefetch = std::min<std::uint64_t>(prefetch, std::max<std::uint64_t>(*a.count, 1));
  auto qc = QueueConsumer::subscribe(*client, a.queue, {static_cast<std::uint32_t>(prefetch)});
  if (!qc) return fail(qc.error());
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::optional<Progress> progress;
  if (a.count) progress.emplace("consumed", "messages");
  std::uint64_t n = 0;
  int rc = 0;
  // --idle counts from the last message; waits are short so a signal stops it soon.
  auto last = std::chrono::steady_clock::now();
  constexpr std::chrono::milliseconds kWait{200};
  while (!g_stop && (!a.count || n < *a.count)) {
    auto d = (*qc)->receive(idle ? std::min(*idle, kWait) : kWait);
    if (!d) {
      if (d.code() != errc::timeout) {
        rc = fail(d.error());
        break;
      }
      if (idle && std::chrono::steady_clock::now() - last >= *idle) break;
      continue;
    }
    status settled;
    if (a.exec) {
      const ExecResult r = run_for_delivery(*a.exec, a.queue, *d, ack_deadline, exec_limit);
      if (!r.ran) {
        // Not the message's fault: put it back as it was and stop.
        (void)(*qc)->close();
        rc = fail(status(errc::io_error, r.error));
        break;
      }
      const bool success = r.exit_code == 0 && !r.timed_out;
      settled = success ? wait_settled([&](auto done) { d->ack(done); })
                        : wait_settled([&](auto done) { d->nack(std::chrono::milliseconds(-1), done); });
      if (ctx.json)
        print_json({{"id", d->id()},
                    {"attempt", d->attempt()},
                    {"exit_code", r.exit_code},
                    {"timed_out", r.timed_out},
                    {"outcome", success ? "ack" : "nack"}});
    } else {
      if (ctx.json) {
        print_json(delivery_json(*d));
      } else {
        std::fwrite(d->payload().data(), 1, d->payload().size(), stdout);
        std::fputc('\n', stdout);
      }
      if (a.nack) {
        settled = wait_settled([&](auto done) { d->nack(std::chrono::milliseconds(-1), done); });
      } else if (a.reject) {
        settled = wait_settled([&](auto done) { d->reject(*a.reject, done); });
      } else {
        settled = wait_settled([&](auto done) { d->ack(done); });
      }
    }
    std::fflush(stdout);
    if (!settled.ok()) {
      rc = fail(settled);
      break;
    }
    ++n;
    last = std::chrono::steady_clock::now();
    if (progress) progress->add();
  }
  if (progress) progress->finish();
  return rc;
}

}  // namespace wharf::cli
