"""Time the day's picture page (/dashboard/day/) on a busy day.

Usage: DATABASE_URL=postgres://... python bench/day_page.py [--pos 2000] [--lines 20000]
       [--repeat 7]

Seeds one ship date with `--pos` POs and `--lines` PO lines (with bulk_create). The
lines are spread over 40 farms and 120 customers and every PO status; one line in 50 is
held by mapping, and half the shipped boxes are received. The script then renders the
page through Django's test client as a superuser and prints the median and maximum render
time, the query count and the machine. All seeded rows are written inside one
transaction that is rolled back at the end, so the database is left as it was.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "komet_axerrio.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from catalog.models import BoxType, Customer, Product, Vendor  # noqa: E402
from orders.models import (  # noqa: E402
    Box,
    Prebook,
    PrebookItem,
    PurchaseOrder,
    PurchaseOrderItem,
)

BENCH_DAY = datetime.date(2031, 3, 4)
STATUSES = [
    PurchaseOrder.Status.PENDING_APPROVAL,
    PurchaseOrder.Status.APPROVED,
    PurchaseOrder.Status.CONFIRMED,
    PurchaseOrder.Status.SHIPPED,
    PurchaseOrder.Status.SHIPPED,
    PurchaseOrder.Status.CANCELLED,
]


class Rollback(Exception):
    """Raised to leave the seeding transaction without keeping anything."""


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def seed_catalogue() -> tuple[list, list, list, list]:
    """Write the box types, farms, customers and products the busy day refers to."""
    box_types = [
        BoxType.objects.get_or_create(code=code, defaults={"fbe": fbe})[0]
        for code, fbe in (("FB", Decimal("1")), ("HB", Decimal("0.5")), ("QB", Decimal("0.25")))
    ]
    vendors = Vendor.objects.bulk_create(
        Vendor(code=f"BENCH{n:03d}", name=f"Bench farm {n}") for n in range(40)
    )
    customers = Customer.objects.bulk_create(
        Customer(code=f"BCUST{n:03d}", name=f"Bench customer {n}") for n in range(120)
    )
    products = Product.objects.bulk_create(
        Product(legacy_code=f"BENCH-{n}", description=f"Rose Bench{n} 50cm") for n in range(200)
    )
    return box_types, vendors, customers, products


def seed(pos: int, lines: int) -> None:
    """Write the busy day with bulk_create; ids are read back (PostgreSQL returns them)."""
    box_types, vendors, customers, products = seed_catalogue()

    prebooks = Prebook.objects.bulk_create(
        Prebook(
            number=900_000_000 + n, customer=customers[n % len(customers)], truck_date=BENCH_DAY
        )
        for n in range(pos // 2)
    )
    prebook_items = PrebookItem.objects.bulk_create(
        PrebookItem(
            prebook=prebooks[n % len(prebooks)],
            vendor=vendors[n % len(vendors)],
            product=products[n % len(products)],
            box_type=box_types[n % 3],
            boxes=2,
            bunches=10,
            stems_per_bunch=25,
        )
        for n in range(lines // 2)
    )

    orders = PurchaseOrder.objects.bulk_create(
        PurchaseOrder(
            number=f"B{n:07d}",
            vendor=vendors[n % len(vendors)],
            ship_date=BENCH_DAY,
            status=STATUSES[n % len(STATUSES)],
        )
        for n in range(pos)
    )

    po_items = PurchaseOrderItem.objects.bulk_create(
        PurchaseOrderItem(
            purchase_order=orders[n % len(orders)],
            prebook_item=prebook_items[n // 2]
            if n % 2 == 0 and n // 2 < len(prebook_items)
            else None,
            product=None if n % 50 == 0 else products[n % len(products)],
            box_type=box_types[n % 3],
            boxes=1 + n % 4,
            bunches=10,
            stems_per_bunch=25,
            hold_reason="product_not_mapped" if n % 50 == 0 else "",
        )
        for n in range(lines)
    )

    now = timezone.now()
    shipped = [
        item
        for n, item in enumerate(po_items)
        if orders[n % len(orders)].status == PurchaseOrder.Status.SHIPPED
    ]
    Box.objects.bulk_create(
        Box(
            code=f"BX{n:08d}",
            po_item=item,
            awb="36912345675",
            ship_date=BENCH_DAY,
            received_at=now if n % 2 == 0 else None,
        )
        for n, item in enumerate(shipped)
    )


def measure(client: Client, repeat: int) -> tuple[list[float], int, int]:
    url = f"/dashboard/day/?date={BENCH_DAY.isoformat()}"
    client.get(url)  # warm the template and content-type caches
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    return timings, len(context.captured_queries), len(response.content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pos", type=int, default=2000, help="POs on the day")
    parser.add_argument("--lines", type=int, default=20000, help="PO lines on the day")
    parser.add_argument("--repeat", type=int, default=7, help="timed renders")
    args = parser.parse_args()

    try:
        with transaction.atomic():
            started = time.perf_counter()
            seed(args.pos, args.lines)
            seeded = time.perf_counter() - started
            user = get_user_model().objects.create_superuser("bench-day-page", "b@example.com", "x")
            client = Client()
            client.force_login(user)
            timings, queries, size = measure(client, args.repeat)
            raise Rollback
    except Rollback:
        pass

    print(f"Day page, ship date {BENCH_DAY}: {args.pos} POs, {args.lines} PO lines")
    print(f"  seeded in {seeded:.1f} s (bulk_create, rolled back afterwards)")
    print(
        f"  render: median {statistics.median(timings) * 1000:.0f} ms, "
        f"max {max(timings) * 1000:.0f} ms over {args.repeat} renders"
    )
    print(f"  queries per render: {queries}; page size {size / 1024:.0f} KiB")
    print(f"  database: {connection.vendor} {connection.settings_dict['NAME']}")
    print(f"Machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}")


if __name__ == "__main__":
    main()
