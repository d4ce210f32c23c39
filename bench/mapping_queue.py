"""Time the product mapping queue's changelist with 10,000 unknown products.

Creates a throwaway database (`bench_<name>` next to the one DATABASE_URL names) and
fills it with unknown farm products, each held by one prebook line and one PO line. A
superuser logged in through Django's test client then renders the queue page (100 rows
per page) several times: the default view, the ship-date filter, one farm and a search.
Prints the render times, the SQL query count and the machine.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_mapping \\
        .venv/bin/python bench/mapping_queue.py [--codes 10000] [--runs 7]
"""

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
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

LINES_PER_DOCUMENT = 5


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def fill(codes: int) -> None:
    """Create `codes` unknown products, each held by one prebook line and one PO line."""
    from catalog.models import BoxType, Customer, Product, Vendor
    from mapping.models import VendorProduct
    from mapping.suggestions import code_suggestions
    from orders.models import Prebook, PrebookItem, PurchaseOrder, PurchaseOrderItem

    vendors = [
        Vendor.objects.create(code=f"BENCH{n}", name=f"Bench Farm {n}", is_axerrio=True)
        for n in range(20)
    ]
    customer = Customer.objects.create(code="BENCHCUST", name="Bench Wholesale")
    box_type = BoxType.objects.create(code="HB", fbe=Decimal("0.5"))
    Product.objects.bulk_create(
        Product(
            legacy_code=f"RS-{variety.upper()}-{length}",
            description=f"Rose {variety} Red {length}cm",
            category="Roses",
            variety=variety,
            color="Red",
            grade=f"{length}cm",
        )
        for variety in ("Freedom", "Explorer", "Forever Young", "Hearts", "Red Eagle")
        for length in (40, 50, 60, 70)
    )
    sample = VendorProduct(vendor=vendors[0], code="X", description="ROSE FREEDOM RED 50CM")
    suggestions = code_suggestions(sample)

    rows = VendorProduct.objects.bulk_create(
        VendorProduct(
            vendor=vendors[n % len(vendors)],
            code=f"RFR{n:05d}",
            description=f"ROSE FREEDOM RED {40 + 10 * (n % 4)}CM LOT {n}",
            suggestions=suggestions,
        )
        for n in range(codes)
    )
    today = datetime.date.today()
    documents = (codes + LINES_PER_DOCUMENT - 1) // LINES_PER_DOCUMENT
    prebooks = Prebook.objects.bulk_create(
        Prebook(number=500000 + n, customer=customer, truck_date=today, held_line_count=5)
        for n in range(documents)
    )
    pos = PurchaseOrder.objects.bulk_create(
        PurchaseOrder(
            number=f"B{n:06d}",
            vendor=vendors[n % len(vendors)],
            ship_date=today + datetime.timedelta(days=n % 10),
            held_line_count=5,
        )
        for n in range(documents)
    )
    reason = "product_not_mapped"
    prebook_items = PrebookItem.objects.bulk_create(
        PrebookItem(
            prebook=prebooks[n // LINES_PER_DOCUMENT],
            vendor=row.vendor,
            vendor_product=row,
            box_type=box_type,
            boxes=1 + n % 9,
            bunches=10,
            stems_per_bunch=25,
            vendor_ship_date=today + datetime.timedelta(days=n % 10),
            hold_reason=reason,
        )
        for n, row in enumerate(rows)
    )
    PurchaseOrderItem.objects.bulk_create(
        PurchaseOrderItem(
            purchase_order=pos[n // LINES_PER_DOCUMENT],
            prebook_item=prebook_items[n],
            vendor_product=row,
            box_type=box_type,
            boxes=1 + n % 9,
            bunches=10,
            stems_per_bunch=25,
            hold_reason=reason,
        )
        for n, row in enumerate(rows)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure(runs: int) -> list[tuple[str, list[float], list[float], int, int]]:
    """Render each queue view `runs` times.

    Returns (view, render times, SQL times, queries, rows) per view, times in seconds.
    """
    from catalog.models import Vendor

    user = get_user_model().objects.create_superuser("bench", "bench@example.com", "bench-pass")
    client = Client()
    client.force_login(user)
    url = reverse("admin:mapping_vendorproduct_changelist")
    vendor_id = Vendor.objects.order_by("pk").values_list("pk", flat=True).first()
    views = [
        ("default (unknown, newest first)", url),
        ("ship date: next 7 days", f"{url}?ship_date=next7"),
        ("one farm", f"{url}?vendor__id__exact={vendor_id}"),
        ("search 'FREEDOM RED 50'", f"{url}?q=FREEDOM+RED+50"),
    ]
    client.get(url)  # Warm-up: builds templates and the connection.

    results = []
    for name, view_url in views:
        times, sql_times = [], []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(view_url)
                times.append(time.perf_counter() - started)
            sql_times.append(sum(float(query["time"]) for query in queries.captured_queries))
            if response.status_code != 200:
                raise SystemExit(f"{view_url} returned HTTP {response.status_code}.")
        rows = len(response.context["cl"].result_list)
        results.append((name, times, sql_times, len(queries), rows))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codes", type=int, default=10_000, help="Unknown products to create.")
    parser.add_argument("--runs", type=int, default=7, help="Timed page renders.")
    args = parser.parse_args()

    if connection.vendor != "postgresql":
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database; the figure is for PostgreSQL.")
    setup_test_environment()
    connection.settings_dict.setdefault("TEST", {})
    connection.settings_dict["TEST"]["NAME"] = f"bench_{connection.settings_dict['NAME']}"
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        started = time.perf_counter()
        fill(args.codes)
        print(f"Filled {args.codes} unknown products in {time.perf_counter() - started:.1f} s")
        results = measure(args.runs)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    print(f"Machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"Load average (1, 5, 15 min) after the run: {load}")
    with_server = connection.settings_dict.get("HOST") or "local socket"
    print(f"Database: PostgreSQL on {with_server}")
    print(f"Render time over {args.runs} runs per view:")
    for name, times, sql_times, query_count, rows in results:
        print(
            f"  {name:34} median {statistics.median(times) * 1000:4.0f} ms "
            f"(SQL {statistics.median(sql_times) * 1000:4.0f} ms), "
            f"min {min(times) * 1000:4.0f} ms, max {max(times) * 1000:4.0f} ms, "
            f"{query_count} queries, {rows} rows"
        )


if __name__ == "__main__":
    main()
