"""Measure push delivery: approval-to-delivery latency and pushes per second.

Usage:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME \
    CELERY_BROKER_URL=redis://127.0.0.1:6379/N \
    python bench/sync_delivery.py [--approvals 1000] [--throughput 1000] [--pool prefork]

Creates a throwaway test database (`test_NAME`), starts the sandbox farm on 127.0.0.1
and real `celery worker` processes on a private queue, and runs two measurements:

1. Latency: with one worker running, approve `--approvals` POs one after another (each
   in its own transaction, as procurement does in the admin) and report the median and
   95th percentile of the time from approval to the farm's 2xx response
   (`Exchange.processed_at - PurchaseOrder.approved_at`).
2. Throughput: with no worker running, write `--throughput` pushes and drop their
   queued messages; start one (in a second round, two) workers, run the outbox sweep,
   which enqueues every due row at once, and time until every push is processed.

Each round also checks that the farm recorded every event exactly once. The database is
dropped at the end; the figures and the machine are printed.
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
QUEUE = f"bench-sync-{uuid.uuid4().hex[:8]}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "komet_axerrio.settings")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
os.environ["CELERY_TASK_DEFAULT_QUEUE"] = QUEUE

import django  # noqa: E402

django.setup()

import requests  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import (  # noqa: E402
    setup_databases,
    setup_test_environment,
    teardown_databases,
)

LOG_DIR = ROOT / "var" / "bench"
SECRET = "bench-signing-secret-0123456789abcdef"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, *, timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise SystemExit(f"Timed out after {timeout} s waiting for {what}.")


def database_url() -> str:
    params = connection.settings_dict
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    return f"postgres://{params.get('USER') or 'postgres'}{password}@{host}:{port}/{params['NAME']}"


def child_environment() -> dict[str, str]:
    return dict(
        os.environ,
        DATABASE_URL=database_url(),
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        CELERY_TASK_DEFAULT_QUEUE=QUEUE,
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="WARNING",
    )


class Farm:
    """The sandbox farm as a subprocess; it records pushes and does not call the portal."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "sandbox.axerrio", "serve", "--port", str(self.port),
                "--portal", f"http://127.0.0.1:{free_port()}", "--customer", "BENCH",
                "--poll-interval", "0", "--no-auto-ship", "--log-level", "WARNING",
            ],
            cwd=ROOT,
            env=dict(os.environ, SANDBOX_TOKEN="unused", SANDBOX_SECRET=SECRET),
            stdout=(LOG_DIR / "farm.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
        wait_for(self._healthy, timeout=30, what="the sandbox farm")

    def _healthy(self) -> bool:
        try:
            return requests.get(f"{self.url}/health", timeout=1).ok
        except requests.RequestException:
            return False

    def events(self) -> dict:
        return requests.get(f"{self.url}/events", timeout=30).json()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def start_worker(name: str, *, pool: str, concurrency: int) -> subprocess.Popen:
    log_path = LOG_DIR / f"worker-{name}.log"
    log_path.write_bytes(b"")
    process = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "komet_axerrio", "worker",
            "--pool", pool, "--concurrency", str(concurrency), "--queues", QUEUE,
            "--hostname", f"{name}-{uuid.uuid4().hex[:6]}@%h",
            "--without-gossip", "--without-mingle", "--loglevel", "INFO",
        ],
        cwd=ROOT,
        env=child_environment(),
        stdout=log_path.open("ab"),
        stderr=subprocess.STDOUT,
    )
    wait_for(
        lambda: b"ready." in log_path.read_bytes() or process.poll() is not None,
        timeout=60,
        what=f"worker {name}",
    )
    if process.poll() is not None:
        raise SystemExit(f"Worker {name} exited; see {log_path}.")
    return process


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for process in workers:
        process.terminate()
    for process in workers:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def make_orders(vendor, count: int) -> list:
    from tests.factories import PurchaseOrderFactory, PurchaseOrderItemFactory

    orders = []
    for _ in range(count):
        po = PurchaseOrderFactory(vendor=vendor)
        PurchaseOrderItemFactory(purchase_order=po)
        PurchaseOrderItemFactory(purchase_order=po)
        orders.append(po)
    return orders


def approve(orders: list) -> None:
    from orders.models import PurchaseOrder
    from orders.services.purchase_orders import purchase_order_transition

    for po in orders:
        purchase_order_transition(po=po, to_status=PurchaseOrder.Status.APPROVED,
                                  actor_label="bench")


def pending_count(orders: list) -> int:
    from sync.models import Exchange, ExchangeState

    return (
        Exchange.objects.filter(purchase_order__in=orders)
        .exclude(state=ExchangeState.PROCESSED)
        .count()
    )


def check_farm(farm: Farm, expected: int) -> str:
    answer = farm.events()
    ids = [event["eventId"] for event in answer["events"]]
    if len(ids) != expected or len(set(ids)) != expected:
        raise SystemExit(f"The farm recorded {len(ids)} events, expected {expected}.")
    return f"farm recorded {len(ids)} events, {answer['duplicateCount']} duplicate(s) in total"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


def measure_latency(vendor, farm: Farm, count: int, args) -> None:
    from sync.models import Exchange

    orders = make_orders(vendor, count)
    workers = [start_worker("latency", pool=args.pool, concurrency=args.concurrency)]
    try:
        started = time.monotonic()
        approve(orders)
        approve_seconds = time.monotonic() - started
        wait_for(lambda: pending_count(orders) == 0, timeout=600, what="latency pushes",
                 interval=0.2)
    finally:
        stop_workers(workers)
    rows = Exchange.objects.filter(purchase_order__in=orders).select_related("purchase_order")
    latencies = [
        (row.processed_at - row.purchase_order.approved_at).total_seconds() * 1000 for row in rows
    ]
    print(f"Latency, approval to farm 2xx, {count} approvals ({approve_seconds:.1f} s to approve):")
    print(f"  median {statistics.median(latencies):.1f} ms, "
          f"p95 {percentile(latencies, 0.95):.1f} ms, max {max(latencies):.1f} ms")


def measure_throughput(vendor, farm: Farm, count: int, worker_count: int, args) -> None:
    import redis

    from sync.delivery import outbox_sweep

    orders = make_orders(vendor, count)
    approve(orders)
    # Drop the messages sent on commit so that no worker starts early. Once every worker
    # is ready, the sweep enqueues all the due rows at once.
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(QUEUE)
    workers = [
        start_worker(f"throughput-{worker_count}-{index}", pool=args.pool,
                     concurrency=args.concurrency)
        for index in range(worker_count)
    ]
    try:
        started = time.monotonic()
        enqueued = outbox_sweep(grace=0).enqueued
        wait_for(lambda: pending_count(orders) == 0, timeout=600, what="throughput pushes",
                 interval=0.1)
        elapsed = time.monotonic() - started
    finally:
        stop_workers(workers)
    print(f"Throughput, {worker_count} worker(s), {args.pool} pool × {args.concurrency}: "
          f"{enqueued} pushes in {elapsed:.2f} s = {enqueued / elapsed:.0f} pushes/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--approvals", type=int, default=1000,
                        help="POs approved for the latency run (default: %(default)s)")
    parser.add_argument("--throughput", type=int, default=1000,
                        help="pushes queued for each throughput run (default: %(default)s)")
    parser.add_argument("--pool", default="prefork", choices=["prefork", "threads"],
                        help="Celery worker pool (default: %(default)s)")
    parser.add_argument("--concurrency", type=int, default=4,
                        help="processes or threads per worker (default: %(default)s)")
    args = parser.parse_args()
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        raise SystemExit("Set CELERY_BROKER_URL to a Redis database, e.g. redis://127.0.0.1:6379/2.")
    if connection.vendor != "postgresql":
        raise SystemExit("Set DATABASE_URL to PostgreSQL, e.g. postgres://postgres@127.0.0.1/NAME.")

    setup_test_environment()
    databases = setup_databases(verbosity=0, interactive=False, serialized_aliases=[])
    farm = Farm()
    farm.start()
    try:
        from tests.factories import VendorFactory

        vendor = VendorFactory(push_url=f"{farm.url}/axerrio/push", signing_secret=SECRET)
        measure_latency(vendor, farm, args.approvals, args)
        total = args.approvals
        for worker_count in (1, 2):
            measure_throughput(vendor, farm, args.throughput, worker_count, args)
            total += args.throughput
        print(f"Check: {check_farm(farm, total)}")
    finally:
        farm.stop()
        import redis

        redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(QUEUE)
        teardown_databases(databases, verbosity=0)
    print(f"Machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"PostgreSQL and Redis on 127.0.0.1")


if __name__ == "__main__":
    main()
