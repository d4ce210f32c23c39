"""Measure purchase.order.list and prebook.details.list for one day of N lines.

Usage:
    .venv/bin/python bench/lists.py [--lines 20000] [--lines-per-order 10] [--repeat 3]

Builds the `portal_bench_lists` database, fills one day with `--lines` prebook lines and
as many PO lines (one PO per prebook, every PO line linked to its prebook line, one box
per PO line), all for the sandbox farm. Then it calls both list methods for that day
through Django's test client (no network), with the farm's vendor token and with a
company token. For each case it prints the median and max latency over `--repeat` calls,
the number of SQL queries (CaptureQueriesContext) and the response size.
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import time

from harness import bootstrap, database_recreate, print_machine, seed


def fill_day(*, lines: int, per_order: int, truck: datetime.date, ship: datetime.date) -> None:
    """Write the day's prebooks, POs, lines and boxes with bulk_create."""
    from catalog.models import BoxType, Carrier, Customer, Vendor
    from mapping.models import VendorProduct
    from orders.models import (
        Box,
        Prebook,
        PrebookItem,
        PurchaseOrder,
        PurchaseOrderItem,
        Source,
    )

    vendor = Vendor.objects.get(code="ROSA")
    customer = Customer.objects.get(code="BAYFRONT")
    carrier = Carrier.objects.order_by("code").first()
    box_type = BoxType.objects.get(code="HB")
    mapped = list(VendorProduct.objects.filter(vendor=vendor, target__isnull=False))
    orders = lines // per_order

    prebooks = Prebook.objects.bulk_create(
        [
            Prebook(number=500_000 + n, customer=customer, truck_date=truck, carrier=carrier,
                    customer_po=f"LIST{n}", source=Source.API, origin_vendor=vendor)
            for n in range(orders)
        ],
        batch_size=2000,
    )
    prebook_items = PrebookItem.objects.bulk_create(
        [
            PrebookItem(
                prebook=prebook, vendor=vendor, product_id=mapped[n % len(mapped)].target_id,
                vendor_product=mapped[n % len(mapped)], box_type=box_type, boxes=1,
                bunches=10, stems_per_bunch=25, cost="0.320", vendor_ship_date=ship,
            )
            for prebook in prebooks
            for n in range(per_order)
        ],
        batch_size=2000,
    )
    pos = PurchaseOrder.objects.bulk_create(
        [
            PurchaseOrder(number=f"L{n:07d}", vendor=vendor, ship_date=ship, carrier=carrier,
                          status=PurchaseOrder.Status.SHIPPED)
            for n in range(orders)
        ],
        batch_size=2000,
    )
    po_items = PurchaseOrderItem.objects.bulk_create(
        [
            PurchaseOrderItem(
                purchase_order=pos[index // per_order], prebook_item=item,
                product_id=item.product_id, vendor_product=item.vendor_product,
                box_type=box_type, boxes=1, bunches=10, stems_per_bunch=25, cost="0.320",
            )
            for index, item in enumerate(prebook_items)
        ],
        batch_size=2000,
    )
    Box.objects.bulk_create(
        [
            Box(code=f"LB{index:08d}", po_item=item, awb="72912345675", ship_date=ship)
            for index, item in enumerate(po_items)
        ],
        batch_size=2000,
    )


def measure(client, path: str, params: dict, repeat: int) -> tuple[list[float], int, int]:
    """Call `path` `repeat` times; return (seconds per call, SQL queries, response bytes)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings = []
    queries = size = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(path, params)
            timings.append(time.perf_counter() - start)
        if response.status_code != 200 or str(response.json().get("status")) != "1":
            raise RuntimeError(
                f"{path} failed: HTTP {response.status_code} {response.content[:300]!r}"
            )
        queries = len(captured.captured_queries)
        size = len(response.content)
    return timings, queries, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=20_000, help="prebook lines in the day")
    parser.add_argument("--lines-per-order", type=int, default=10, help="lines per prebook/PO")
    parser.add_argument("--repeat", type=int, default=3, help="calls per case")
    args = parser.parse_args()

    bootstrap(database="portal_bench_lists")
    database_recreate()
    farm = seed()

    from django.test import Client

    from tokens.models import ApiToken
    from tokens.services import api_token_issue, resolve_methods

    company = api_token_issue(
        token_type=ApiToken.TokenType.COMPANY, description="bench lists",
        methods=resolve_methods("all"), daily_quota=10**6,
    ).plaintext
    truck = datetime.date.today() + datetime.timedelta(days=3)
    ship = truck - datetime.timedelta(days=2)
    start = time.perf_counter()
    fill_day(lines=args.lines, per_order=args.lines_per_order, truck=truck, ship=ship)
    print(f"filled one day: {args.lines} prebook lines, {args.lines} PO lines and boxes "
          f"in {time.perf_counter() - start:.1f} s")

    client = Client()
    cases = [
        ("purchase.order.list, vendor token", farm.token, "purchase.order.list",
         {"date": ship.isoformat()}),
        ("purchase.order.list, company token", company, "purchase.order.list",
         {"date": ship.isoformat()}),
        ("prebook.details.list, vendor token", farm.token, "prebook.details.list",
         {"date": truck.isoformat()}),
        ("prebook.details.list, company token", company, "prebook.details.list",
         {"date": truck.isoformat()}),
    ]
    print(f"{'case':40} {'queries':>8} {'median s':>9} {'max s':>7} {'MB':>6}")
    for label, token, method, params in cases:
        timings, queries, size = measure(
            client, f"/api/{method}", {"authenticationToken": token, **params}, args.repeat
        )
        print(f"{label:40} {queries:>8} {statistics.median(timings):>9.2f} "
              f"{max(timings):>7.2f} {size / 1e6:>6.1f}")
    print_machine()


if __name__ == "__main__":
    main()
