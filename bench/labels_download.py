"""Measure a large label download through the label services, database included.

Usage: DATABASE_URL=postgres://... python bench/labels_download.py [--boxes N] [--lines N]

Needs a migrated database. Inside one transaction that is rolled back at the end, it
creates N boxes (10,000 by default) spread over PO lines of 20 boxes, each line bought
for a prebook line, then times:

- ``label_data_for_boxes`` (the two queries and the LabelData records),
- ``labels_render`` as PDF on 4x2 stock and as ZPL 4x2 at 203 dpi (data, rendering and
  the print counter update),
- ``label_batch_run``, the worker's path, rendering a PDF batch into its file.

Each step runs once; the output ends with the machine it ran on.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "komet_axerrio.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from catalog.models import BoxType, Customer, Product, Vendor  # noqa: E402
from labels.models import LabelBatch  # noqa: E402
from labels.services import (  # noqa: E402
    LabelOptions,
    label_batch_run,
    label_data_for_boxes,
    labels_render,
)
from orders.models import (  # noqa: E402
    Box,
    Prebook,
    PrebookItem,
    PurchaseOrder,
    PurchaseOrderItem,
)

BENCH_PREFIX = "BENCHLBL"
SHIP_DATE = datetime.date(2031, 1, 7)
AWB = "36912345675"


class _Rollback(Exception):
    """Raised to roll back the benchmark's rows."""


def _create_boxes(box_count: int, boxes_per_line: int) -> None:
    vendor = Vendor.objects.create(code=f"{BENCH_PREFIX}V", name="Flores de la Sabana SAS")
    customer = Customer.objects.create(code=f"{BENCH_PREFIX}C", name="Miami Blooms Wholesale")
    box_type, _ = BoxType.objects.get_or_create(code="HB", defaults={"fbe": Decimal("0.5")})
    product = Product.objects.create(
        description="Rose Freedom Red 50cm", legacy_code=f"{BENCH_PREFIX}P"
    )
    prebook = Prebook.objects.create(number=990_000_001, customer=customer, truck_date=SHIP_DATE)
    purchase_order = PurchaseOrder.objects.create(
        number=f"{BENCH_PREFIX[:6]}01", vendor=vendor, ship_date=SHIP_DATE
    )
    line_count = -(-box_count // boxes_per_line)
    prebook_items = PrebookItem.objects.bulk_create(
        PrebookItem(
            prebook=prebook,
            vendor=vendor,
            product=product,
            box_type=box_type,
            boxes=boxes_per_line,
            bunches=12,
            stems_per_bunch=25,
            mark_code=f"MK{index % 50:02d}",
        )
        for index in range(line_count)
    )
    po_items = PurchaseOrderItem.objects.bulk_create(
        PurchaseOrderItem(
            purchase_order=purchase_order,
            prebook_item=prebook_item,
            product=product,
            box_type=box_type,
            boxes=boxes_per_line,
            bunches=12,
            stems_per_bunch=25,
        )
        for prebook_item in prebook_items
    )
    Box.objects.bulk_create(
        (
            Box(
                code=f"{BENCH_PREFIX[:4]}{index:08d}",
                po_item=po_items[index // boxes_per_line],
                sequence=index % boxes_per_line + 1,
                awb=AWB,
                house_awb="MIA-77810",
                lot_number="120001",
                ship_date=SHIP_DATE,
            )
            for index in range(box_count)
        ),
        batch_size=2000,
    )


def _timed(label: str, function) -> object:
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        result = function()
        elapsed = time.perf_counter() - start
    print(f"{label:<44} {elapsed:8.2f} s  {len(queries):4d} queries")
    return result


def _machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    database = connection.vendor
    return (
        f"Machine: {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"Django {django.get_version()}, database {database}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boxes", type=int, default=10_000, help="boxes to label")
    parser.add_argument("--lines", type=int, default=20, help="boxes per PO line")
    args = parser.parse_args()

    print(f"Label download of {args.boxes} boxes ({args.lines} per PO line)")
    try:
        with transaction.atomic():
            start = time.perf_counter()
            _create_boxes(args.boxes, args.lines)
            print(
                f"{'creating the boxes (not part of the download)':<44} "
                f"{time.perf_counter() - start:8.2f} s"
            )
            boxes = Box.objects.filter(awb=AWB, code__startswith=BENCH_PREFIX[:4]).order_by(
                "po_item_id", "sequence"
            )
            _timed("label_data_for_boxes", lambda: label_data_for_boxes(boxes))
            pdf = _timed(
                "labels_render, PDF 4x2",
                lambda: labels_render(boxes=boxes, options=LabelOptions(), name="bench"),
            )
            zpl = _timed(
                "labels_render, ZPL 4x2 203 dpi",
                lambda: labels_render(
                    boxes=boxes, options=LabelOptions(format="zpl"), name="bench"
                ),
            )
            batch = LabelBatch.objects.create(
                description="benchmark",
                box_ids=list(boxes.values_list("pk", flat=True)),
                total=args.boxes,
            )
            _timed(
                "label_batch_run, PDF 4x2 into a file", lambda: label_batch_run(batch_id=batch.pk)
            )
            batch.refresh_from_db()
            print(
                f"PDF {len(pdf.content) / 1e6:.1f} MB, ZPL {len(zpl.content) / 1e6:.1f} MB, "
                f"batch state {batch.state}"
            )
            if batch.file:
                batch.file.delete(save=False)
            raise _Rollback
    except _Rollback:
        pass
    print(_machine())


if __name__ == "__main__":
    main()
