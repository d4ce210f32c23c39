"""Measure SQL query counts and timings of `prebook.create` and `purchase.order.list`.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME python bench/api_queries.py [--repeat N]

Creates a throwaway test database (`test_NAME`), fills it and calls the API through
Django's test client (no network). For each case it prints the number of SQL queries and
the median and max wall time over N runs, then the machine the numbers were measured on.
The database is dropped at the end.
"""

import argparse
import datetime
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "komet_axerrio.settings")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "false")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_databases,
    setup_test_environment,
    teardown_databases,
)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def measure(call, repeat: int) -> tuple[int, float, float]:
    """Run `call` `repeat` times; return its query count and median/max milliseconds."""
    timings = []
    queries = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            call()
            timings.append((time.perf_counter() - start) * 1000)
        queries = len(captured.captured_queries)
    return queries, statistics.median(timings), max(timings)


def run(repeat: int) -> None:
    from mapping.models import VendorBoxType, VendorCarrier, VendorCustomer
    from tests.api.conftest import ApiClient
    from tests.api.test_queries import _mapped_products, make_purchase_orders
    from tests.factories import (
        BoxTypeFactory,
        CarrierFactory,
        CustomerFactory,
        ProductFactory,
        VendorFactory,
    )
    from tokens.methods import AXERRIO_METHODS
    from tokens.models import ApiToken
    from tokens.services import api_token_issue

    farm = VendorFactory(code="BENCH", name="Bench Farm")
    catalogue = {
        "product": ProductFactory(legacy_code="BENCH-RS"),
        "box_type": BoxTypeFactory(code="HB"),
        "customer": CustomerFactory(code="ANG"),
        "carrier": CarrierFactory(code="AR"),
    }
    VendorBoxType.objects.create(vendor=farm, code="HB", target=catalogue["box_type"])
    VendorCustomer.objects.create(vendor=farm, code="ANG", target=catalogue["customer"])
    VendorCarrier.objects.create(vendor=farm, code="AR", target=catalogue["carrier"])
    _mapped_products(farm, 50)
    issued = api_token_issue(
        token_type="vendor", description="bench", methods=AXERRIO_METHODS, vendor=farm
    )
    ApiToken.objects.filter(pk=issued.token.pk).update(daily_quota=10**6)
    api = ApiClient(issued.plaintext)

    def prebook_create(lines: int):
        items = [
            {
                "productCode": f"F{n}",
                "boxTypeCode": "HB",
                "unitType": "Stem",
                "boxes": 2,
                "bunches": 10,
                "stemsBunch": 25,
                "cost": 0.3,
            }
            for n in range(lines)
        ]
        body = {
            "customerCode": "ANG",
            "carrierCode": "AR",
            "shipDate": "2026-12-20",
            "prebookItems": items,
        }
        return lambda: api.post("prebook.create", body)

    big_day = datetime.date(2026, 12, 21)
    make_purchase_orders(farm, catalogue, orders=500, lines_per_order=10, ship_date=big_day)

    def po_list():
        response = api.get("purchase.order.list", date=big_day.isoformat())
        assert response.status_code == 200

    prebook_create(1)()  # warms the counters and the quota row
    print(f"{'case':45} {'queries':>8} {'median ms':>10} {'max ms':>10}")
    cases = [
        ("prebook.create, 1 line", prebook_create(1)),
        ("prebook.create, 50 lines", prebook_create(50)),
        ("purchase.order.list, 500 POs / 5,000 lines", po_list),
    ]
    for label, call in cases:
        queries, median, worst = measure(call, repeat)
        print(f"{label:45} {queries:>8} {median:>10.1f} {worst:>10.1f}")
    print()
    print(
        f"machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"PostgreSQL {connection.pg_version // 10000}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per case (default 5)")
    args = parser.parse_args()
    setup_test_environment()
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        run(args.repeat)
    finally:
        teardown_databases(old_config, verbosity=0)


if __name__ == "__main__":
    main()
