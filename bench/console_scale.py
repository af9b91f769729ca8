#!/usr/bin/python3
"""How the admin API and the console hold up at scale: a broker with
--topics topics and a dead-letter queue of --dead-letters messages, then
the time of the calls and pages people use most (median, min and max of
--runs). API calls are timed over one keep-alive connection; pages in
headless Chromium from the request until the table's rows are drawn.

Usage: bench/console_scale.py --wharfd build/release/broker/wharfd \
         --wharf build/release/cli/wharf [--topics 10000] [--dead-letters 100000]
"""
import argparse
import concurrent.futures
import http.client
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "console"))
from wharf_process import WharfProcess, browser  # noqa: E402


class Api:
    def __init__(self, host):
        self.conn = http.client.HTTPConnection(host, timeout=60)
        self.conn.request("GET", "/api/v1/session")
        self.csrf = json.loads(self.conn.getresponse().read())["csrf_token"]

    def call(self, method, path, body=None):
        self.conn.request(method, path, body=json.dumps(body) if body is not None else None,
                          headers={"X-CSRF-Token": self.csrf, "Content-Type": "application/json"})
        r = self.conn.getresponse()
        data = r.read()
        if r.status >= 300:
            raise RuntimeError(f"{method} {path}: {r.status} {data[:200]!r}")
        return json.loads(data) if data else None


def timed(fn, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), min(times), max(times)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--wharfd", required=True)
    p.add_argument("--wharf", required=True)
    p.add_argument("--topics", type=int, default=10000)
    p.add_argument("--dead-letters", type=int, default=100000)
    p.add_argument("--runs", type=int, default=11)
    p.add_argument("--no-browser", action="store_true")
    a = p.parse_args()
    w = WharfProcess(a.wharfd, a.wharf)
    try:
        t0 = time.perf_counter()

        def create(chunk):
            api = Api(w.http)
            for i in chunk:
                api.call("POST", "/api/v1/topics", {"name": f"topic-{i:05}"})

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(create, [range(k, a.topics, 4) for k in range(4)]))
        print(f"setup: {a.topics} topics in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        w.cli("queue", "create", "orders")
        w.cli("queue", "publish", "orders", "--ttl", "1ms",
              stdin="".join(f'{{"order": {i}, "note": "expired before anyone took it"}}\n'
                            for i in range(a.dead_letters)))
        api = Api(w.http)
        deadline = time.time() + 600
        while api.call("GET", "/api/v1/queues/orders.dlq/messages?limit=1")["total"] < a.dead_letters:
            if time.time() > deadline:
                raise RuntimeError("the dead letters did not arrive")
            time.sleep(0.5)
        print(f"setup: {a.dead_letters} dead letters in {time.perf_counter() - t0:.1f} s")

        last = api.call("GET", f"/api/v1/queues/orders.dlq/messages?limit=1")["messages"][0]["id"]
        deep = last + a.dead_letters - 60
        mid = f"topic-{a.topics // 2:05}"
        calls = [
            ("GET /api/v1/topics (first page of 100)", "/api/v1/topics"),
            (f"GET /api/v1/topics?after={mid}", f"/api/v1/topics?after={mid}"),
            ("GET /api/v1/topics?prefix=topic-099", "/api/v1/topics?prefix=topic-099"),
            (f"GET /api/v1/topics/{mid}", f"/api/v1/topics/{mid}"),
            ("GET /api/v1/queues", "/api/v1/queues"),
            ("GET /api/v1/queues/orders.dlq/messages (first 50)", "/api/v1/queues/orders.dlq/messages"),
            ("GET /api/v1/queues/orders.dlq/messages (last page)", f"/api/v1/queues/orders.dlq/messages?after={deep}"),
            (f"GET /api/v1/queues/orders/messages/{last}", f"/api/v1/queues/orders/messages/{last}"),
            ("GET /api/v1/overview", "/api/v1/overview"),
        ]
        print(f"\n{'call':60} {'median ms':>10} {'min':>8} {'max':>8}")
        for name, path in calls:
            med, lo, hi = timed(lambda: api.call("GET", path), a.runs)
            print(f"{name:60} {med:10.1f} {lo:8.1f} {hi:8.1f}")
        if a.no_browser:
            return
        from selenium.webdriver.common.by import By
        d = browser()
        try:
            pages = [("/topics", "#topics-table tbody tr"),
                     (f"/topics/{mid}", "#partitions-table tbody tr"),
                     ("/queues/orders.dlq", "#messages-table tr.message"),
                     (f"/queues/orders.dlq/messages/{last}", "#history-table tr.history")]
            print(f"\n{'page (request to rows drawn)':60} {'median ms':>10} {'min':>8} {'max':>8}")
            for page, rows in pages:
                def load():
                    d.get(w.url + page)
                    end = time.time() + 30
                    while not d.find_elements(By.CSS_SELECTOR, rows):
                        if time.time() > end:
                            raise RuntimeError(f"{page}: no {rows}")
                        time.sleep(0.005)
                med, lo, hi = timed(load, max(3, a.runs // 2))
                print(f"{page:60} {med:10.1f} {lo:8.1f} {hi:8.1f}")
        finally:
            d.quit()
    finally:
        w.stop()


if __name__ == "__main__":
    main()
