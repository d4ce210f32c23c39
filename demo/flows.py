"""The two Axerrio flows, driven end to end against the running portal and sandbox farm."""

import datetime
import logging
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.utils import timezone

from catalog.models import BoxType, Carrier, Customer, Vendor
from demo.seed import DEMO_CUSTOMER
from mapping.models import VendorProduct
from orders.models import Box, Prebook, PrebookItem, PurchaseOrder, UnitType
from sandbox.axerrio.farm import SandboxFarm

logger = logging.getLogger("demo")

FLOW_TIMEOUT = 120


@dataclass
class FlowResult:
    name: str
    ok: bool = False
    prebook_number: int | None = None
    po_number: str | None = None
    detail: str = ""
    steps: list[str] = field(default_factory=list)

    def step(self, text: str) -> None:
        self.steps.append(text)
        print(f"  [{self.name}] {text}", flush=True)


def wait_for_po(predicate, *, timeout: float = FLOW_TIMEOUT, what: str) -> PurchaseOrder:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        po = predicate()
        if po is not None:
            return po
        time.sleep(0.5)
    raise TimeoutError(f"Timed out after {timeout:.0f} s waiting for {what}.")


def _shipped(po_number: str):
    def check() -> PurchaseOrder | None:
        return PurchaseOrder.objects.filter(
            number=po_number, status=PurchaseOrder.Status.SHIPPED
        ).first()

    return check


def flow_order_entered_in_axerrio(farm: SandboxFarm, *, with_unknown: bool = False) -> FlowResult:
    """Flow 1: the farm creates a prebook and PO; procurement approves; the farm ships."""
    from orders.services.purchase_orders import purchase_order_approve

    result = FlowResult(name="flow 1" + (" (unknown product)" if with_unknown else ""))
    order = farm.place_order(DEMO_CUSTOMER, line_count=3, with_unknown=with_unknown)
    result.prebook_number, result.po_number = order.prebook_number, order.purchase_order_number
    result.step(
        f"farm sent prebook.create → prebook {order.prebook_number}, "
        f"purchase.order.create → PO {order.purchase_order_number}"
    )
    po = PurchaseOrder.objects.get(number=order.purchase_order_number)
    result.step(f"PO {po.number} is {po.status}")
    if po.held_line_count:
        result.step(
            f"PO {po.number} has {po.held_line_count} line(s) held for mapping; "
            "it waits in the mapping queue"
        )
        result.ok = True
        result.detail = "held for mapping, as intended"
        return result

    procurement = get_user_model().objects.get(username="procurement")
    purchase_order_approve(po=po, actor=procurement)
    result.step(f"procurement approved PO {po.number}; the push goes out after commit")
    po = wait_for_po(_shipped(po.number), what=f"PO {po.number} to be shipped by the farm")
    boxes = Box.objects.filter(po_item__purchase_order=po).count()
    result.step(f"farm shipped PO {po.number}: {boxes} boxes with the farm's label codes")
    result.ok = True
    return result


def flow_prebook_entered_in_portal(vendor: Vendor) -> FlowResult:
    """Flow 2: a sales rep enters a prebook naming the farm; the farm creates the PO and ships."""
    from orders.services.prebooks import prebook_create

    result = FlowResult(name="flow 2")
    sales = get_user_model().objects.get(username="sales")
    truck_date = timezone.localdate() + datetime.timedelta(days=3)
    products = [
        row.target
        for row in VendorProduct.objects.filter(vendor=vendor, target__isnull=False)
        .select_related("target")
        .order_by("code")[:2]
    ]
    box_type = BoxType.objects.get(code="QB")
    items = [
        PrebookItem(
            vendor=vendor,
            product=product,
            box_type=box_type,
            unit_type=UnitType.STEM,
            boxes=4 + index * 2,
            bunches=8,
            stems_per_bunch=25,
            cost=Decimal("0.34"),
            price=Decimal("0.62"),
            mark_code="VDAY",
            vendor_ship_date=truck_date - datetime.timedelta(days=vendor.transit_days),
        )
        for index, product in enumerate(products)
    ]
    header = Prebook(
        customer=Customer.objects.get(code=DEMO_CUSTOMER),
        truck_date=truck_date,
        carrier=Carrier.objects.filter(kind=Carrier.Kind.OUTBOUND).order_by("code").first(),
        customer_po="SR-" + timezone.now().strftime("%m%d%H%M"),
        comments="Entered by the sales team",
    )
    prebook = prebook_create(prebook=header, items=items, actor=sales).prebook
    result.prebook_number = prebook.number
    result.step(f"sales rep entered prebook {prebook.number} naming {vendor.code}")

    def po_for_prebook() -> PurchaseOrder | None:
        return (
            PurchaseOrder.objects.filter(items__prebook_item__prebook=prebook).distinct().first()
        )

    po = wait_for_po(po_for_prebook, what=f"the farm's PO for prebook {prebook.number}")
    result.po_number = po.number
    result.step(f"farm answered with purchase.order.create → PO {po.number} ({po.status})")
    po = wait_for_po(_shipped(po.number), what=f"PO {po.number} to be shipped by the farm")
    boxes = Box.objects.filter(po_item__purchase_order=po).count()
    result.step(f"farm shipped PO {po.number}: {boxes} boxes")
    result.ok = True
    return result


def write_label_files(po_numbers: list[str], out_dir: Path) -> list[Path]:
    """Render the receiving labels of each shipped PO and of each AWB as PDF files."""
    from labels.render import render_pdf
    from labels.services import label_data_for_boxes

    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for number in po_numbers:
        boxes = Box.objects.filter(po_item__purchase_order__number=number)
        if not boxes.exists():
            continue
        path = out_dir / f"po-{number}.pdf"
        path.write_bytes(render_pdf(label_data_for_boxes(boxes), stock="4x2"))
        written.append(path)
        for awb in sorted(set(boxes.values_list("awb", flat=True))):
            awb_path = out_dir / f"awb-{awb}.pdf"
            awb_boxes = Box.objects.filter(awb=awb)
            awb_path.write_bytes(render_pdf(label_data_for_boxes(awb_boxes), stock="4x6"))
            written.append(awb_path)
    return written


def summary_lines(label_files: list[Path]) -> list[str]:
    from django.db.models import Count

    from orders.models import PrebookItem, PurchaseOrderItem

    rows = PurchaseOrder.objects.values("status").annotate(n=Count("id"))
    statuses = {row["status"]: row["n"] for row in rows}
    held_prebook = PrebookItem.objects.exclude(hold_reason="").count()
    held_po = PurchaseOrderItem.objects.exclude(hold_reason="").count()
    return [
        f"prebooks: {Prebook.objects.count()}",
        "POs by status: "
        + (", ".join(f"{status} {count}" for status, count in sorted(statuses.items())) or "none"),
        f"boxes: {Box.objects.count()}",
        f"label files written: {len(label_files)}"
        + (f" (in {label_files[0].parent})" if label_files else ""),
        f"unmapped lines: {held_prebook} prebook, {held_po} PO "
        f"({VendorProduct.objects.filter(target__isnull=True).count()} unknown farm products)",
    ]
