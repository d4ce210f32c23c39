"""Hold a steady request rate of mixed API calls and watch errors, latency and memory.

Usage:
    .venv/bin/python bench/load_drill.py [--rate 50] [--duration 600] [--threads 64]
        [--sample-every 10]

Builds the `portal_bench_load` database and starts gunicorn and one Celery worker on
127.0.0.1. A scheduler starts one call every 1/`--rate` seconds (open loop: a slow
response does not slow the schedule) on a pool of `--threads` threads, for `--duration` seconds.
The mix, per 20 calls: 4 prebook.create of 2 lines, 4 purchase.order.create linking
them, 4 purchase.order.list by number, 4 prebook.details.list by prebook, 2
carrier.list and 2 boxtype.list.

The script prints the rate achieved, every error (HTTP status other than 200 or an
envelope status other than 1), latency percentiles per method, and the resident memory
(psutil) of each gunicorn and worker process sampled every `--sample-every` seconds.
"""

from __future__ import annotations

import argparse
import datetime
import queue
import statistics
import threading
import time
from collections import Counter, defaultdict

from harness import (
    KometClient,
    RssSampler,
    Stack,
    bootstrap,
    database_recreate,
    envelope_ok,
    order_codes,
    percentile,
    prebook_body,
    print_machine,
    purchase_order_body,
    seed,
)

MIX = (
    ["prebook.create"] * 4
    + ["purchase.order.create"] * 4
    + ["purchase.order.list"] * 4
    + ["prebook.details.list"] * 4
    + ["carrier.list"] * 2
    + ["boxtype.list"] * 2
)


class Drill:
    def __init__(self, base_url: str, token: str, threads: int) -> None:
        self.base_url = base_url
        self.token = token
        self.codes = order_codes()
        self.truck = datetime.date.today() + datetime.timedelta(days=5)
        self.ship = (self.truck - datetime.timedelta(days=2)).isoformat()
        self.jobs: queue.Queue = queue.Queue()
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter = Counter()
        self.error_examples: list[str] = []
        # Prebooks waiting for their PO, and (prebook number, PO number) pairs to list.
        self.open_prebooks: list[tuple[dict, dict]] = []
        self.documents: list[tuple[int, str]] = []
        self.serial = 0
        self.unsent = 0
        self.workers = [threading.Thread(target=self._work, daemon=True) for _ in range(threads)]

    def start(self) -> None:
        for worker in self.workers:
            worker.start()

    def _work(self) -> None:
        api = KometClient(self.base_url, self.token, timeout=30)
        while True:
            method = self.jobs.get()
            if method is None:
                return
            self._call(api, method)

    def _record(self, method: str, status: int, body: dict, seconds: float) -> bool:
        ok = status == 200 and envelope_ok(body)
        with self.lock:
            self.latencies[method].append(seconds)
            if not ok:
                self.errors[method] += 1
                if len(self.error_examples) < 20:
                    self.error_examples.append(f"{method}: HTTP {status} {body.get('message')}")
        return ok

    def _call(self, api: KometClient, method: str) -> None:
        if method == "prebook.create":
            with self.lock:
                self.serial += 1
                tag = f"LOAD{self.serial}"
            body = prebook_body(self.codes, lines=2, truck_date=self.truck.isoformat(),
                                vendor_ship_date=self.ship, tag=tag)
            status, answer, seconds = api.post(method, body)
            if self._record(method, status, answer, seconds):
                with self.lock:
                    self.open_prebooks.append((body, answer))
        elif method == "purchase.order.create":
            with self.lock:
                pending = self.open_prebooks.pop() if self.open_prebooks else None
            if pending is None:
                status, answer, seconds = api.get("carrier.list")
                self._record("carrier.list", status, answer, seconds)
                return
            body, prebook_answer = pending
            po_body = purchase_order_body(self.codes, body, prebook_answer,
                                          vendor_ship_date=self.ship)
            status, answer, seconds = api.post(method, po_body)
            if self._record(method, status, answer, seconds):
                with self.lock:
                    self.documents.append(
                        (prebook_answer.get("prebookNumber"), answer.get("purchaseOrderNumber"))
                    )
        elif method in ("purchase.order.list", "prebook.details.list"):
            with self.lock:
                document = self.documents[self.serial % len(self.documents)] if (
                    self.documents
                ) else None
            if document is None:
                status, answer, seconds = api.get("boxtype.list")
                self._record("boxtype.list", status, answer, seconds)
                return
            if method == "purchase.order.list":
                params = {"number": document[1]}
            else:
                params = {"prebook": document[0], "date": self.truck.isoformat()}
            status, answer, seconds = api.get(method, params)
            self._record(method, status, answer, seconds)
        else:
            status, answer, seconds = api.get(method)
            self._record(method, status, answer, seconds)

    def run(self, *, rate: float, duration: float) -> tuple[int, float, int]:
        """Schedule calls at `rate` per second; return (scheduled, seconds, max backlog).

        Calls the client threads have not started when `duration` ends are dropped and
        counted in `unsent`, so a portal slower than `rate` does not stretch the run.
        """
        interval = 1.0 / rate
        start = time.monotonic()
        scheduled = 0
        max_backlog = 0
        while time.monotonic() - start < duration:
            self.jobs.put(MIX[scheduled % len(MIX)])
            scheduled += 1
            max_backlog = max(max_backlog, self.jobs.qsize())
            next_at = start + scheduled * interval
            time.sleep(max(0.0, next_at - time.monotonic()))
        # Calls still queued when the time is up were never sent: count them, drop them.
        while True:
            try:
                self.jobs.get_nowait()
            except queue.Empty:
                break
            self.unsent += 1
        for _ in self.workers:
            self.jobs.put(None)
        for worker in self.workers:
            worker.join(timeout=60)
        return scheduled, time.monotonic() - start, max_backlog


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50, help="calls per second")
    parser.add_argument("--duration", type=float, default=600, help="seconds of load")
    parser.add_argument("--threads", type=int, default=64, help="client threads")
    parser.add_argument("--sample-every", type=float, default=10, help="RSS sample interval, s")
    parser.add_argument("--web-workers", type=int, default=4, help="gunicorn processes")
    args = parser.parse_args()

    bootstrap(database="portal_bench_load")
    database_recreate()
    farm = seed()
    stack = Stack(name="load", web_workers=args.web_workers)
    sampler = None
    try:
        stack.start_web()
        stack.start_worker("worker", concurrency=4)
        sampler = RssSampler(
            lambda: {role: stack.tree_pids(role) for role in stack.processes},
            interval=args.sample_every,
        ).start()
        drill = Drill(stack.web_url, farm.token, args.threads)
        drill.start()
        print(f"load drill: {args.rate:g} calls/s for {args.duration:g} s, "
              f"{args.threads} client threads, gunicorn {args.web_workers}x4", flush=True)
        scheduled, elapsed, backlog = drill.run(rate=args.rate, duration=args.duration)
    finally:
        if sampler:
            sampler.stop()
        stack.stop()

    answered = sum(len(values) for values in drill.latencies.values())
    print(f"scheduled {scheduled} calls in {elapsed:.0f} s ({scheduled / elapsed:.1f}/s); "
          f"answered {answered} ({answered / elapsed:.1f}/s); not sent when the time was up "
          f"{drill.unsent}; max queue backlog {backlog}")
    print(f"errors: {sum(drill.errors.values())} {dict(drill.errors)}")
    for example in drill.error_examples:
        print(f"  {example}")
    for method, values in sorted(drill.latencies.items()):
        print(f"  {method}: n={len(values)}, median {statistics.median(values) * 1000:.0f} ms, "
              f"p99 {percentile(values, 0.99) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms")
    print(f"resident memory (RSS), sampled every {args.sample_every:g} s:")
    for line in sampler.summary_lines():
        print(f"  {line}")
    print_machine()


if __name__ == "__main__":
    main()
