"""Receiving reports and the AWB summary: reads over a set of shipped boxes.

Box types count in full-box equivalents (FBE) from ``BoxType.fbe``: FB 1, HB 0.5,
QB 0.25, EB 0.125. A box whose line has no catalogue box type yet has no FBE and is
counted apart.
"""

from __future__ import annotations

import csv
import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Max, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from orders.awb import awb_format, awb_is_valid
from orders.models import Box
from receiving.selectors import BOX_LIST_RELATED

# Maximum number of missing boxes listed on a report page. The CSV export has every box.
MISSING_BOXES_SHOWN = 500

_PRODUCT = Coalesce(
    "po_item__product__description", "po_item__vendor_product__description", Value("")
)
_BOX_TYPE = Coalesce("po_item__box_type__code", "po_item__vendor_box_type__code", Value(""))
_RECEIVED = Q(received_at__isnull=False)


@dataclass(frozen=True, slots=True)
class ReportRow:
    """Boxes of one PO, product and box type: how many were expected and received."""

    vendor: str
    purchase_order_id: int
    po_number: str
    product: str
    box_type: str
    expected: int
    received: int

    @property
    def missing(self) -> int:
        return self.expected - self.received


@dataclass(frozen=True, slots=True)
class VendorTotal:
    vendor: str
    expected: int
    received: int

    @property
    def missing(self) -> int:
        return self.expected - self.received


@dataclass
class ReceivingReport:
    """Expected, received and missing boxes of an AWB or a ship date."""

    title: str
    rows: list[ReportRow]
    vendors: list[VendorTotal]
    missing_boxes: list[Box]
    expected: int = 0
    received: int = 0

    @property
    def missing(self) -> int:
        return self.expected - self.received

    @property
    def missing_not_shown(self) -> int:
        return max(self.missing - len(self.missing_boxes), 0)


def receiving_report(*, boxes: QuerySet[Box], title: str) -> ReceivingReport:
    """Count expected, received and missing boxes per vendor, PO, product and box type."""
    grouped = (
        boxes.order_by()
        .values(
            vendor_name=Coalesce("po_item__purchase_order__vendor__name", Value("")),
            purchase_order=F("po_item__purchase_order_id"),
            po_number=Coalesce("po_item__purchase_order__number", Value("")),
            product=_PRODUCT,
            box_type=_BOX_TYPE,
        )
        .annotate(expected=Count("id"), received=Count("id", filter=_RECEIVED))
        .order_by("vendor_name", "po_number", "product", "box_type")
    )
    rows = [
        ReportRow(
            vendor=row["vendor_name"],
            purchase_order_id=row["purchase_order"],
            po_number=row["po_number"],
            product=row["product"],
            box_type=row["box_type"],
            expected=row["expected"],
            received=row["received"],
        )
        for row in grouped
    ]
    vendor_totals: dict[str, list[int]] = {}
    for row in rows:
        totals = vendor_totals.setdefault(row.vendor, [0, 0])
        totals[0] += row.expected
        totals[1] += row.received
    missing_boxes = list(
        boxes.filter(received_at__isnull=True).select_related(*BOX_LIST_RELATED)[
            :MISSING_BOXES_SHOWN
        ]
    )
    return ReceivingReport(
        title=title,
        rows=rows,
        vendors=[VendorTotal(name, *totals) for name, totals in vendor_totals.items()],
        missing_boxes=missing_boxes,
        expected=sum(row.expected for row in rows),
        received=sum(row.received for row in rows),
    )


# A cell starting with one of these is read as a formula by spreadsheet programs, so
# farm text that starts with one gets a leading apostrophe.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

CSV_HEADER = (
    "box code",
    "AWB",
    "house AWB",
    "PO",
    "vendor",
    "product",
    "box type",
    "ship date",
    "status",
    "received at",
    "received by",
    "location",
)


def _csv_text(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA_PREFIXES) else value


def _csv_row(box: Box) -> list[str]:
    item = box.po_item
    if item.product is not None:
        product = item.product.description
    elif item.vendor_product is not None:
        product = item.vendor_product.description or item.vendor_product.code
    else:
        product = ""
    if item.box_type is not None:
        box_type = item.box_type.code
    else:
        box_type = item.vendor_box_type.code if item.vendor_box_type is not None else ""
    received_at = (
        timezone.localtime(box.received_at).isoformat(timespec="seconds") if box.received_at else ""
    )
    ship_date = box.ship_date or item.purchase_order.ship_date
    return [
        _csv_text(box.code),
        awb_format(box.awb),
        _csv_text(box.house_awb),
        _csv_text(item.purchase_order.number),
        _csv_text(item.purchase_order.vendor.name),
        _csv_text(product),
        _csv_text(box_type),
        ship_date.isoformat() if ship_date else "",
        "received" if box.received_at else "missing",
        received_at,
        _csv_text(box.received_by.get_username()) if box.received_by else "",
        _csv_text(box.received_location),
    ]


class _LineBuffer:
    """File-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, line: str) -> str:
        return line


def receiving_csv_lines(*, boxes: QuerySet[Box]) -> Iterator[str]:
    """Yield the CSV export line by line: a header, then one row per box."""
    writer = csv.writer(_LineBuffer())
    yield writer.writerow(CSV_HEADER)
    for box in boxes.select_related(*BOX_LIST_RELATED).iterator(chunk_size=2000):
        yield writer.writerow(_csv_row(box))


@dataclass(frozen=True, slots=True)
class BoxTypeTotal:
    """Boxes of one box type on an AWB and their full-box equivalents."""

    code: str
    fbe: Decimal | None
    boxes: int

    @property
    def total_fbe(self) -> Decimal | None:
        return None if self.fbe is None else self.fbe * self.boxes


@dataclass
class AwbSummary:
    """An AWB's boxes, box types, vendors and POs, and whether the number is a valid AWB."""

    awb: str
    boxes: int
    received: int
    box_types: list[BoxTypeTotal] = field(default_factory=list)
    vendors: list[dict] = field(default_factory=list)
    purchase_orders: list[dict] = field(default_factory=list)
    ship_dates: list[datetime.date] = field(default_factory=list)
    house_awbs: list[str] = field(default_factory=list)

    @property
    def display(self) -> str:
        return awb_format(self.awb)

    @property
    def is_valid(self) -> bool:
        return awb_is_valid(self.awb)

    @property
    def total_fbe(self) -> Decimal:
        return sum((row.total_fbe for row in self.box_types if row.total_fbe), Decimal("0"))

    @property
    def boxes_without_fbe(self) -> int:
        return sum(row.boxes for row in self.box_types if row.fbe is None)

    @property
    def missing(self) -> int:
        return self.boxes - self.received


def awb_summary(*, awb: str) -> AwbSummary | None:
    """Summarise the boxes on ``awb`` (11 digits as stored), or return None if it has none."""
    boxes = Box.objects.filter(awb=awb).order_by()
    counts = boxes.aggregate(total=Count("id"), received=Count("id", filter=_RECEIVED))
    if not counts["total"]:
        return None
    box_types = [
        BoxTypeTotal(code=row["box_type"], fbe=row["fbe"], boxes=row["boxes"])
        for row in boxes.values(box_type=_BOX_TYPE, fbe=F("po_item__box_type__fbe"))
        .annotate(boxes=Count("id"))
        .order_by("-fbe", "box_type")
    ]
    vendors = list(
        boxes.values(vendor=F("po_item__purchase_order__vendor_id"))
        .annotate(
            name=Max("po_item__purchase_order__vendor__name"),
            vendor_code=Max("po_item__purchase_order__vendor__code"),
            boxes=Count("id"),
            received=Count("id", filter=_RECEIVED),
        )
        .values("name", "vendor_code", "boxes", "received")
        .order_by("name")
    )
    purchase_orders = list(
        boxes.values("po_item__purchase_order_id")
        .annotate(
            number=Max("po_item__purchase_order__number"),
            vendor=Max("po_item__purchase_order__vendor__name"),
            status=Max("po_item__purchase_order__status"),
            boxes=Count("id"),
            received=Count("id", filter=_RECEIVED),
        )
        .order_by("vendor", "number")
    )
    dates = boxes.aggregate(first=Min("ship_date"), last=Max("ship_date"))
    house_awbs = list(
        boxes.exclude(house_awb="").values_list("house_awb", flat=True).distinct()[:50]
    )
    return AwbSummary(
        awb=awb,
        boxes=counts["total"],
        received=counts["received"],
        box_types=box_types,
        vendors=vendors,
        purchase_orders=[
            {
                "id": row["po_item__purchase_order_id"],
                "number": row["number"],
                "vendor": row["vendor"],
                "status": row["status"],
                "boxes": row["boxes"],
                "received": row["received"],
            }
            for row in purchase_orders
        ],
        ship_dates=sorted({date for date in dates.values() if date is not None}),
        house_awbs=sorted(house_awbs),
    )


@dataclass(frozen=True, slots=True)
class AwbListRow:
    awb: str
    ship_date: datetime.date | None
    boxes: int
    received: int
    vendors: int
    fbe: Decimal

    @property
    def display(self) -> str:
        return awb_format(self.awb) if self.awb else "(no AWB)"

    @property
    def is_valid(self) -> bool:
        return awb_is_valid(self.awb)

    @property
    def missing(self) -> int:
        return self.boxes - self.received


def awb_list(*, ship_date_from: datetime.date, ship_date_to: datetime.date) -> list[AwbListRow]:
    """Summarise each AWB with boxes shipped in the date range, newest first, in one query."""
    rows = (
        Box.objects.filter(ship_date__gte=ship_date_from, ship_date__lte=ship_date_to)
        .order_by()
        .values("awb")
        .annotate(
            ship_date=Max("ship_date"),
            boxes=Count("id"),
            received=Count("id", filter=_RECEIVED),
            vendors=Count("po_item__purchase_order__vendor", distinct=True),
            fbe=Coalesce(Sum("po_item__box_type__fbe"), Value(Decimal("0"))),
        )
        .order_by("-ship_date", "awb")
    )
    return [
        AwbListRow(
            awb=row["awb"],
            ship_date=row["ship_date"],
            boxes=row["boxes"],
            received=row["received"],
            vendors=row["vendors"],
            fbe=row["fbe"],
        )
        for row in rows
    ]
