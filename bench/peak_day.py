"""Run a peak day through both flows end to end and check that nothing is lost or doubled.

Usage:
    .venv/bin/python bench/peak_day.py [--orders 2000] [--lines 10] [--clients 8]
        [--max-seconds 3600] [--workers 1] [--concurrency 8]

Builds the `portal_bench` database (BENCH_DATABASE overrides the name) and starts gunicorn,
Celery workers and the sandbox farm on 127.0.0.1. Half of `--orders` go through each flow:

1. The farm's own orders: `--clients` threads send prebook.create and
   purchase.order.create; procurement approves each PO (the same service the admin action
   calls); the `purchase_order.approved` push reaches the farm, which ships the PO with
   purchase.order.items.awb.add and one box code per box.
2. The importer's prebooks: prebooks naming the farm are saved through the prebook service;
   the `prebook.created` push reaches the farm, which answers with purchase.order.create;
   the PO is approved on creation because it matches the prebook, pushed, and shipped.

Finally every shipped box's label is rendered as PDF, one file per PO. The script prints the
time of each phase and the total, then the checks: every PO shipped, every push processed,
the farm's duplicate count, unique box codes and one label per box. It also samples the
resident memory (psutil) of the gunicorn and worker processes every second and prints each
process's first, last and peak value.
"""

from __future__ import annotations

import argparse
import datetime
import threading
import time
from decimal import Decimal

from harness import (
    KometClient,
    RssSampler,
    Stack,
    bootstrap,
    database_recreate,
    envelope_ok,
    order_codes,
    prebook_body,
    print_machine,
    purchase_order_body,
    seed,
    vendor_set_push_url,
    wait_for,
)

TAG_FLOW1 = "PEAK1-"
TAG_FLOW2 = "PEAK2-"
SHIPPED = "Shipped"


def send_farm_orders(
    base_url: str, token: str, *, orders: int, lines: int, clients: int, deadline: float
) -> tuple[list[str], list[str]]:
    """Send flow-1 orders; return (PO numbers created, error messages)."""
    codes = order_codes()
    truck = datetime.date.today() + datetime.timedelta(days=4)
    ship = (truck - datetime.timedelta(days=2)).isoformat()
    numbers: list[str] = []
    errors: list[str] = []
    lock = threading.Lock()
    order_numbers = iter(range(orders))

    def loop() -> None:
        api = KometClient(base_url, token)
        while time.monotonic() < deadline:
            with lock:
                number = next(order_numbers, None)
            if number is None:
                return
            tag = f"{TAG_FLOW1}{number}"
            body = prebook_body(codes, lines=lines, truck_date=truck.isoformat(),
                                vendor_ship_date=ship, tag=tag)
            status, answer, _ = api.post("prebook.create", body)
            if status != 200 or not envelope_ok(answer):
                errors.append(f"prebook.create {tag}: HTTP {status} {answer.get('message')}")
                continue
            po_body = purchase_order_body(codes, body, answer, vendor_ship_date=ship)
            status, po_answer, _ = api.post("purchase.order.create", po_body)
            if status != 200 or not envelope_ok(po_answer):
                errors.append(f"purchase.order.create {tag}: HTTP {status} "
                              f"{po_answer.get('message')}")
                continue
            with lock:
                numbers.append(str(po_answer.get("purchaseOrderNumber")))

    threads = [threading.Thread(target=loop) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return numbers, errors


def approve_all(numbers: list[str]) -> int:
    """Approve each flow-1 PO in its own transaction, as procurement does; return how many."""
    from django.contrib.auth import get_user_model

    from orders.models import PurchaseOrder
    from orders.services.purchase_orders import purchase_order_approve

    procurement = get_user_model().objects.get(username="procurement")
    approved = 0
    for po in PurchaseOrder.objects.filter(
        number__in=numbers, status=PurchaseOrder.Status.PENDING_APPROVAL
    ):
        purchase_order_approve(po=po, actor=procurement)
        approved += 1
    return approved


def create_importer_prebooks(*, count: int, lines: int) -> list[int]:
    """Save flow-2 prebooks naming the farm through the prebook service; return their ids."""
    from django.contrib.auth import get_user_model

    from catalog.models import BoxType, Carrier, Customer, Vendor
    from mapping.models import VendorProduct
    from orders.models import Prebook, PrebookItem, UnitType
    from orders.services.prebooks import prebook_create

    sales = get_user_model().objects.get(username="sales")
    vendor = Vendor.objects.get(code="ROSA")
    customer = Customer.objects.get(code="BAYFRONT")
    carrier = Carrier.objects.filter(kind=Carrier.Kind.OUTBOUND).order_by("code").first()
    box_type = BoxType.objects.get(code="QB")
    products = [
        row.target
        for row in VendorProduct.objects.filter(vendor=vendor, target__isnull=False)
        .select_related("target")
        .order_by("code")
    ]
    truck = datetime.date.today() + datetime.timedelta(days=4)
    ship = truck - datetime.timedelta(days=vendor.transit_days)
    ids = []
    for number in range(count):
        prebook = Prebook(
            customer=customer, truck_date=truck, carrier=carrier,
            customer_po=f"{TAG_FLOW2}{number}"[:20], comments="peak day",
        )
        items = [
            PrebookItem(
                vendor=vendor, product=products[n % len(products)], box_type=box_type,
                unit_type=UnitType.STEM, boxes=1 + n % 3, bunches=8, stems_per_bunch=25,
                cost=Decimal("0.34"), price=Decimal("0.62"), mark_code="PEAK",
                vendor_ship_date=ship,
            )
            for n in range(lines)
        ]
        result = prebook_create(prebook=prebook, items=items, actor=sales)
        ids.append(result.prebook.pk)
    return ids


def map_importer_codes() -> int:
    """Map the importer's own product codes for the farm; return how many rows were written.

    The `prebook.created` push names products by the importer's codes, and the sandbox
    farm echoes them in purchase.order.create. Until the portal maps an echoed code onto
    the linked prebook line's product, each such code is held once for mapping. A person
    maps it in the mapping queue; this does the same up front so the run measures
    throughput, not the mapping queue.
    """
    from django.utils import timezone

    from catalog.models import Vendor
    from mapping.models import VendorProduct

    vendor = Vendor.objects.get(code="ROSA")
    written = 0
    for row in VendorProduct.objects.filter(vendor=vendor, target__isnull=False).select_related(
        "target"
    ):
        VendorProduct.objects.update_or_create(
            vendor=vendor,
            code=row.target.legacy_code,
            defaults={
                "description": row.target.description[:200],
                "target": row.target,
                "mapped_at": timezone.now(),
            },
        )
        written += 1
    return written


def outbound_states() -> dict[str, int]:
    from django.db.models import Count

    from sync.models import Direction, Exchange

    rows = (
        Exchange.objects.filter(direction=Direction.OUTBOUND)
        .values("state")
        .annotate(n=Count("id"))
    )
    return {row["state"]: row["n"] for row in rows}


def po_counts() -> dict[str, int]:
    from django.db.models import Count

    from orders.models import PurchaseOrder

    rows = PurchaseOrder.objects.values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def render_labels() -> tuple[int, int, float]:
    """Render every PO's labels as one PDF each; return (files, labels, seconds)."""
    from labels.services import LabelOptions, labels_render
    from orders.models import Box, PurchaseOrder

    start = time.perf_counter()
    files = labels = 0
    options = LabelOptions()
    for po in PurchaseOrder.objects.filter(status=PurchaseOrder.Status.SHIPPED).order_by("pk"):
        boxes = Box.objects.filter(po_item__purchase_order=po).order_by("pk")
        rendered = labels_render(boxes=boxes, options=options, name=f"PO-{po.number}")
        files += 1
        labels += rendered.count
    return files, labels, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000, help="orders in total, both flows")
    parser.add_argument("--lines", type=int, default=10, help="lines per order")
    parser.add_argument("--clients", type=int, default=8, help="concurrent farm API clients")
    parser.add_argument("--max-seconds", type=float, default=3600, help="time bound of the run")
    parser.add_argument("--workers", type=int, default=1, help="Celery worker processes")
    parser.add_argument("--concurrency", type=int, default=8, help="threads per worker")
    parser.add_argument("--web-workers", type=int, default=4, help="gunicorn processes")
    args = parser.parse_args()

    config = bootstrap()
    database_recreate()
    stack = Stack(name="peak", web_workers=args.web_workers)
    farm = seed(push_url=stack.push_url)
    vendor_set_push_url(stack.push_url)
    mapped = map_importer_codes()
    print(f"NOTE: mapped {mapped} importer product codes for the farm before the run "
          "(see map_importer_codes)")
    flow1 = args.orders // 2
    flow2 = args.orders - flow1
    deadline = time.monotonic() + args.max_seconds
    phases: dict[str, float] = {}
    sampler = None
    try:
        stack.start_web()
        for number in range(args.workers):
            stack.start_worker(f"worker{number}", concurrency=args.concurrency)
        stack.start_farm(farm)
        sampler = RssSampler(
            lambda: {role: stack.tree_pids(role) for role in stack.processes if role != "farm"}
        ).start()
        print(f"peak day: {flow1} farm orders + {flow2} importer prebooks of {args.lines} "
              f"lines; gunicorn {args.web_workers}x4, {args.workers} worker(s) x "
              f"{args.concurrency} threads; database {config.database}", flush=True)

        start = time.perf_counter()
        numbers, errors = send_farm_orders(
            stack.web_url, farm.token, orders=flow1, lines=args.lines,
            clients=args.clients, deadline=deadline,
        )
        phases["flow 1: farm orders created"] = time.perf_counter() - start
        mark = time.perf_counter()
        approved = approve_all(numbers)
        phases["flow 1: POs approved"] = time.perf_counter() - mark
        mark = time.perf_counter()
        create_importer_prebooks(count=flow2, lines=args.lines)
        phases["flow 2: importer prebooks saved"] = time.perf_counter() - mark
        expected_pos = len(numbers) + flow2

        def all_shipped() -> bool:
            return po_counts().get(SHIPPED, 0) >= expected_pos

        mark = time.perf_counter()
        remaining = max(1.0, deadline - time.monotonic())
        try:
            wait_for(all_shipped, timeout=remaining, what="every PO to be shipped", interval=2)
        except TimeoutError as error:
            print(f"WARNING: {error}")
        phases["pushes, farm POs and shipping drained"] = time.perf_counter() - mark
        wait_for(
            lambda: set(outbound_states()) <= {"processed"}, timeout=120,
            what="every push to be processed", interval=1,
        )
        mark = time.perf_counter()
        label_files, label_count, _ = render_labels()
        phases["labels rendered (PDF, one file per PO)"] = time.perf_counter() - mark
        total = time.perf_counter() - start
        events = stack.farm_get("/events")
    finally:
        if sampler:
            sampler.stop()
        stack.stop()

    from orders.models import Box

    print(f"\ntotal: {total:.1f} s for {args.orders} orders of {args.lines} lines")
    for name, seconds in phases.items():
        print(f"  {name}: {seconds:.1f} s")
    print(f"flow-1 API errors: {len(errors)}")
    for error in errors[:10]:
        print(f"  {error}")
    counts = po_counts()
    boxes = Box.objects.count()
    print(f"POs by status: {counts} (expected {expected_pos} shipped; "
          f"{approved} approved by procurement)")
    print(f"outbound pushes by state: {outbound_states()}")
    print(f"farm: {len(events.get('events', []))} events accepted, duplicate count "
          f"{events.get('duplicateCount')}")
    distinct_codes = Box.objects.values("code").distinct().count()
    print(f"boxes: {boxes}, distinct box codes: {distinct_codes}")
    print(f"labels: {label_count} in {label_files} PDF files (one label per box: "
          f"{label_count == boxes})")
    lost = expected_pos - counts.get(SHIPPED, 0)
    print(f"lost (POs not shipped): {lost}; duplicated pushes: {events.get('duplicateCount')}")
    print("resident memory (RSS):")
    for line in sampler.summary_lines():
        print(f"  {line}")
    print_machine()


if __name__ == "__main__":
    main()
