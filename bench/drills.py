"""Fault drills at volume: what was sent, received, retried and lost under each fault.

Usage:
    .venv/bin/python bench/drills.py [--orders 200] [--pushes 50] [--only NAME ...]

Builds the `portal_bench_drills` database and starts gunicorn, a Celery worker with beat
(the outbox sweep every 2 s) and the sandbox farm on 127.0.0.1, then runs each drill:

- `database`: the portal's PostgreSQL connections are terminated (pg_terminate_backend on
  the bench database, the portal's view of a PostgreSQL restart) during `--orders`
  prebook.create calls from 10 clients, which retry with an Idempotency-Key.
- `farm-down`: the farm drops every push for 10 s while `--pushes` POs are approved.
- `worker-killed`: the worker gets SIGKILL with pushes in flight and a new one starts.
- `redis`: with the worker stopped, `--pushes` approvals queue their messages, the bench's
  Redis db is emptied (FLUSHDB on BENCH_REDIS_DB only), and a new worker starts.

The shared PostgreSQL and Redis servers are never restarted. Do not run this next to
another bench script that uses the same Redis db, because the `redis` drill empties it.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import threading
import time

from harness import (
    ROOT,
    KometClient,
    Stack,
    bootstrap,
    database_recreate,
    database_terminate_connections,
    envelope_ok,
    order_codes,
    own_backend_pid,
    prebook_body,
    print_machine,
    purchase_order_body,
    redis_flush,
    seed,
    vendor_set_push_url,
    wait_for,
)

sys.path.insert(0, str(ROOT))

# Fast retries, read by the worker and by this process; the sweep runs every 2 s.
os.environ.update(
    {
        "PUSH_CONNECT_TIMEOUT": "1",
        "PUSH_READ_TIMEOUT": "3",
        "PUSH_STUCK_MARGIN": "1",
        "PUSH_BACKOFF_BASE": "0.2",
        "PUSH_BACKOFF_MAX": "5",
        "PUSH_MAX_ATTEMPTS": "20",
        "PUSH_SWEEP_GRACE": "1",
        "PUSH_SWEEP_INTERVAL": "2",
    }
)
DRAIN_TIMEOUT = 600


def place_orders(stack: Stack, token: str, count: int) -> list[str]:
    """Create `count` farm orders of 3 lines from 5 clients; return the PO numbers."""
    codes = order_codes()
    truck = datetime.date.today() + datetime.timedelta(days=5)
    ship = (truck - datetime.timedelta(days=2)).isoformat()
    numbers: list[str] = []
    lock = threading.Lock()
    serials = iter(range(count))

    def loop() -> None:
        api = KometClient(stack.web_url, token)
        while True:
            with lock:
                serial = next(serials, None)
            if serial is None:
                return
            body = prebook_body(codes, lines=3, truck_date=truck.isoformat(),
                                vendor_ship_date=ship, tag=f"DRILLPO{serial}-{time.time_ns()}")
            status, answer, _ = api.post("prebook.create", body)
            if status != 200 or not envelope_ok(answer):
                raise RuntimeError(f"prebook.create failed: HTTP {status} {answer}")
            po_body = purchase_order_body(codes, body, answer, vendor_ship_date=ship)
            status, po_answer, _ = api.post("purchase.order.create", po_body)
            if status != 200 or not envelope_ok(po_answer):
                raise RuntimeError(f"purchase.order.create failed: HTTP {status} {po_answer}")
            with lock:
                numbers.append(str(po_answer["purchaseOrderNumber"]))

    threads = [threading.Thread(target=loop) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return numbers


def approve(numbers: list[str]) -> None:
    from orders.models import PurchaseOrder
    from orders.services.purchase_orders import purchase_order_approve

    for po in PurchaseOrder.objects.filter(number__in=numbers):
        purchase_order_approve(po=po, actor=None, actor_label="fault drill")


def push_report(name: str, numbers: list[str], stack: Stack, started_attempts: int) -> list[str]:
    """Wait until every PO is shipped; describe pushes sent, retried and lost."""
    from django.db.models import Count, Sum

    from orders.models import Box, PurchaseOrder
    from sync.models import Exchange, ExchangeAttempt

    def shipped() -> int:
        return PurchaseOrder.objects.filter(
            number__in=numbers, status=PurchaseOrder.Status.SHIPPED
        ).count()

    start = time.monotonic()
    try:
        wait_for(lambda: shipped() == len(numbers), timeout=DRAIN_TIMEOUT,
                 what=f"{len(numbers)} POs shipped", interval=1)
    except TimeoutError as error:
        print(f"WARNING: {error}")
    drained = time.monotonic() - start
    pushes = Exchange.objects.filter(direction="out", purchase_order__number__in=numbers)

    # A push whose worker died after the farm acted on it stays `sent` until the sweep
    # releases it and sends it again (the farm ignores the copy by event id). Wait for
    # that too, so the ledger is reported once every row has reached an end state.
    def settled() -> bool:
        return not pushes.exclude(state__in=["processed", "needs_attention"]).exists()

    try:
        wait_for(settled, timeout=DRAIN_TIMEOUT, what="every push processed", interval=1)
    except TimeoutError as error:
        print(f"WARNING: {error}")
    ledger_settled = time.monotonic() - start
    states = dict(pushes.values_list("state").annotate(n=Count("id")))
    attempts = ExchangeAttempt.objects.count() - started_attempts
    events = stack.farm_get("/events")
    boxes_expected = PurchaseOrder.objects.filter(number__in=numbers).aggregate(
        n=Sum("items__boxes")
    )["n"]
    boxes = Box.objects.filter(po_item__purchase_order__number__in=numbers).count()
    return [
        f"{name}: sent {len(numbers)} pushes, {attempts} delivery attempts "
        f"(retried {attempts - len(numbers)}), states {states}, "
        f"lost {len(numbers) - shipped()} (POs not shipped), POs shipped in {drained:.1f} s, "
        f"ledger settled in {ledger_settled:.1f} s",
        f"  farm: duplicate deliveries so far {events.get('duplicateCount')} (ignored by event "
        "id; counted since the farm started); "
        f"boxes {boxes} for {boxes_expected} ordered (each PO shipped once: "
        f"{boxes == boxes_expected})",
    ]


def attempts_so_far() -> int:
    from sync.models import ExchangeAttempt

    return ExchangeAttempt.objects.count()


def drill_database(stack: Stack, farm, orders: int) -> list[str]:
    from tests.drills.helpers import count_prebooks, intake_under_fault

    codes = order_codes()
    tag = f"PGDRILL{time.time_ns() % 10**6}-"
    terminated: list[int] = []
    keep = (own_backend_pid(),)

    def fault() -> None:
        for _ in range(3):
            terminated.append(database_terminate_connections(keep_pids=keep))
            time.sleep(1)

    report = intake_under_fault(
        base_url=stack.web_url, token=farm.token, customer=codes.customer,
        carrier=codes.carrier, orders=orders, lines=10, clients=10, fault=fault,
        fault_after=orders // 4, name="database connections terminated during intake",
        tag=tag,
    )
    count_prebooks(report, tag=tag, lines=10)
    report.notes.append(f"connections terminated per round: {terminated}")
    return report.lines()


def drill_farm_down(stack: Stack, farm, pushes: int) -> list[str]:
    numbers = place_orders(stack, farm.token, pushes)
    before = attempts_so_far()
    stack.farm_control("down", count=None)
    approve(numbers)
    time.sleep(10)
    stack.farm_control("ok")
    return push_report("farm down for 10 s during pushes", numbers, stack, before)


def drill_worker_killed(stack: Stack, farm, pushes: int) -> list[str]:
    numbers = place_orders(stack, farm.token, pushes)
    before = attempts_so_far()
    stack.farm_control("slow", count=None, delay=1)
    approve(numbers)
    from sync.models import Exchange

    wait_for(lambda: Exchange.objects.filter(state="sent").exists(), timeout=60,
             what="a push in flight")
    in_flight = Exchange.objects.filter(state="sent").count()
    stack.kill("worker")
    stack.farm_control("ok")
    stack.start_worker("worker", beat=True)
    lines = push_report("worker killed with pushes in flight", numbers, stack, before)
    lines.append(f"  pushes in flight when the worker was killed: {in_flight}")
    return lines


def drill_redis(stack: Stack, farm, pushes: int) -> list[str]:
    import redis
    from harness import CONFIG

    numbers = place_orders(stack, farm.token, pushes)
    before = attempts_so_far()
    stack.processes["worker"].terminate()
    stack.processes["worker"].wait(timeout=30)
    approve(numbers)
    queued = redis.Redis.from_url(CONFIG.broker_url).llen(CONFIG.queue)
    redis_flush()
    stack.start_worker("worker", beat=True)
    lines = push_report("Redis db emptied with pushes queued", numbers, stack, before)
    lines.append(f"  queued messages erased: {queued}")
    return lines


DRILLS = {
    "database": lambda stack, farm, args: drill_database(stack, farm, args.orders),
    "farm-down": lambda stack, farm, args: drill_farm_down(stack, farm, args.pushes),
    "worker-killed": lambda stack, farm, args: drill_worker_killed(stack, farm, args.pushes),
    "redis": lambda stack, farm, args: drill_redis(stack, farm, args.pushes),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200, help="prebooks in the database drill")
    parser.add_argument("--pushes", type=int, default=50, help="POs approved per push drill")
    parser.add_argument("--only", nargs="*", choices=sorted(DRILLS), help="drills to run")
    args = parser.parse_args()

    bootstrap(database="portal_bench_drills")
    database_recreate()
    stack = Stack(name="drills")
    farm = seed(push_url=stack.push_url)
    vendor_set_push_url(stack.push_url)
    results: list[str] = []
    try:
        stack.start_web()
        stack.start_worker("worker", beat=True)
        stack.start_farm(farm)
        for name in args.only or list(DRILLS):
            print(f"running drill {name}...", flush=True)
            results += DRILLS[name](stack, farm, args)
    finally:
        stack.stop()
    print()
    for line in results:
        print(line)
    print_machine()


if __name__ == "__main__":
    main()
