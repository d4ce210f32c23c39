"""Profile prebook.create and purchase.order.create of N lines in-process with cProfile.

Usage:
    .venv/bin/python bench/profile_intake.py [--orders 20] [--lines 20] [--top 30]

Builds the `portal_bench_profile` database, then sends `--orders` orders through Django's
test client (no network, no gunicorn) under cProfile. Prints the SQL query count of one
order, the mean time per call and the functions with the largest cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import json
import pstats
import time

from harness import (
    bootstrap,
    database_recreate,
    envelope_ok,
    order_codes,
    prebook_body,
    print_machine,
    purchase_order_body,
    seed,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20, help="orders to profile")
    parser.add_argument("--lines", type=int, default=20, help="lines per prebook and PO")
    parser.add_argument("--top", type=int, default=30, help="functions to list")
    args = parser.parse_args()

    bootstrap(database="portal_bench_profile")
    database_recreate()
    farm = seed()

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    codes = order_codes()
    truck = datetime.date.today() + datetime.timedelta(days=5)
    ship = (truck - datetime.timedelta(days=2)).isoformat()

    def send(number: int) -> None:
        body = prebook_body(codes, lines=args.lines, truck_date=truck.isoformat(),
                            vendor_ship_date=ship, tag=f"PROF{number}")
        response = client.post(
            "/api/prebook.create", json.dumps({"authenticationToken": farm.token, **body}),
            content_type="application/json",
        )
        answer = response.json()
        if not envelope_ok(answer):
            raise RuntimeError(f"prebook.create failed: {answer}")
        po_body = purchase_order_body(codes, body, answer, vendor_ship_date=ship)
        response = client.post(
            "/api/purchase.order.create",
            json.dumps({"authenticationToken": farm.token, **po_body}),
            content_type="application/json",
        )
        if not envelope_ok(response.json()):
            raise RuntimeError(f"purchase.order.create failed: {response.json()}")

    send(-1)  # warms caches and the token's counters
    with CaptureQueriesContext(connection) as captured:
        send(-2)
    print(f"SQL queries for one order of {args.lines} lines (prebook + PO): "
          f"{len(captured.captured_queries)}")

    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    for number in range(args.orders):
        send(number)
    profiler.disable()
    elapsed = time.perf_counter() - start
    print(f"{args.orders} orders in {elapsed:.2f} s = {elapsed / args.orders * 1000:.0f} ms "
          f"per order ({elapsed / args.orders / args.lines / 2 * 1000:.2f} ms per line), "
          "under cProfile")
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(args.top)
    print_machine()


if __name__ == "__main__":
    main()
