"""Aggregates for the day's picture: what was ordered, approved, confirmed, shipped, received.

Everything is grouped in the database, a handful of GROUP BY queries per page whatever
the number of orders. Stages are cumulative: a shipped PO also counts as approved and
confirmed, so the columns read as a funnel.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from catalog.models import Customer, Vendor
from orders.models import Box, PrebookItem, PurchaseOrder, PurchaseOrderItem
from orders.selectors import fbe_expression

ZERO = Decimal("0")
FBE = DecimalField(max_digits=14, decimal_places=3)
STAGES = ("ordered", "approved", "confirmed", "shipped")

Status = PurchaseOrder.Status
STAGE_STATUSES = {
    "ordered": [Status.PENDING_APPROVAL, Status.APPROVED, Status.CONFIRMED, Status.SHIPPED],
    "approved": [Status.APPROVED, Status.CONFIRMED, Status.SHIPPED],
    "confirmed": [Status.CONFIRMED, Status.SHIPPED],
    "shipped": [Status.SHIPPED],
}


@dataclass(frozen=True)
class DayRange:
    """The dates a picture covers and which date they are: the truck date or the ship date."""

    start: datetime.date
    end: datetime.date
    by: str = "ship"  # "ship" (PO vendor ship date) or "truck" (prebook truck date)

    @property
    def po_line_filter(self) -> Q:
        if self.by == "truck":
            return Q(prebook_item__prebook__truck_date__range=(self.start, self.end))
        return Q(purchase_order__ship_date__range=(self.start, self.end))


@dataclass
class PictureRow:
    key: int | None
    label: str
    figures: dict[str, Decimal | int] = field(default_factory=dict)

    def get(self, name: str) -> Decimal | int:
        return self.figures.get(name, 0)


@dataclass
class DayPicture:
    days: DayRange
    vendors: list[PictureRow]
    customers: list[PictureRow]
    totals: dict[str, Decimal | int]
    needs_attention: int
    needs_attention_rows: list
    held_prebook_lines: int


def _stage_sums() -> dict:
    """Boxes and FBE per stage and held, as conditional sums over PO lines."""
    status = "purchase_order__status"
    sums = {}
    for stage, statuses in STAGE_STATUSES.items():
        condition = Q(**{f"{status}__in": statuses})
        sums[f"{stage}_boxes"] = Coalesce(Sum("boxes", filter=condition), 0)
        sums[f"{stage}_fbe"] = Coalesce(
            Sum(fbe_expression(), filter=condition), Value(ZERO), output_field=FBE
        )
    held = ~Q(hold_reason="") & ~Q(**{f"{status}": Status.CANCELLED})
    sums["held_boxes"] = Coalesce(Sum("boxes", filter=held), 0)
    sums["held_lines"] = Count("id", filter=held)
    return sums


def _live_po_lines(days: DayRange) -> QuerySet[PurchaseOrderItem]:
    return PurchaseOrderItem.objects.filter(days.po_line_filter).exclude(
        status=PurchaseOrderItem.Status.DELETED
    )


def _received_boxes(days: DayRange) -> QuerySet[Box]:
    if days.by == "truck":
        where = Q(po_item__prebook_item__prebook__truck_date__range=(days.start, days.end))
    else:
        where = Q(po_item__purchase_order__ship_date__range=(days.start, days.end))
    return Box.objects.filter(where, received_at__isnull=False)


def _box_fbe() -> ExpressionWrapper:
    return ExpressionWrapper(
        Coalesce(F("po_item__box_type__fbe"), Value(Decimal("1"))), output_field=FBE
    )


def _grouped(queryset: QuerySet, vendor: str, customer: str, sums: dict) -> list[dict]:
    """Group by (vendor, customer) in one query; both sides of the page roll up from it."""
    return list(
        queryset.annotate(vendor=F(vendor), customer=F(customer))
        .values("vendor", "customer")
        .annotate(**sums)
        .order_by()
    )


def _roll_up(groups: list[dict], key: str, labels: dict) -> list[PictureRow]:
    """Sum the (vendor, customer) groups into one row per `key`, biggest FBE first.

    This adds up at most vendors × customers grouped rows, never order lines.
    """
    by_key: dict = {}
    for group in groups:
        row = by_key.get(group[key])
        if row is None:
            label = labels.get(group[key], "—")
            row = by_key[group[key]] = PictureRow(key=group[key], label=label)
        for name, value in group.items():
            if name not in ("vendor", "customer"):
                row.figures[name] = row.figures.get(name, 0) + value
    return sorted(by_key.values(), key=lambda row: (-row.get("ordered_fbe"), row.label))


def day_picture(*, days: DayRange) -> DayPicture:
    """Return the funnel per vendor and per customer, plus what needs a person, for `days`."""
    received = _received_boxes(days).annotate(fbe=_box_fbe())
    received_sums = {
        "received_boxes": Count("id"),
        "received_fbe": Coalesce(Sum("fbe"), Value(ZERO), output_field=FBE),
    }
    groups = _grouped(
        _live_po_lines(days),
        "purchase_order__vendor_id",
        "prebook_item__prebook__customer_id",
        _stage_sums(),
    )
    groups += _grouped(
        received,
        "po_item__purchase_order__vendor_id",
        "po_item__prebook_item__prebook__customer_id",
        received_sums,
    )

    vendor_ids = {group["vendor"] for group in groups}
    customer_ids = {group["customer"] for group in groups} - {None}
    vendor_names = dict(Vendor.objects.filter(pk__in=vendor_ids).values_list("pk", "name"))
    customer_names = dict(Customer.objects.filter(pk__in=customer_ids).values_list("pk", "name"))
    customer_names[None] = "No customer (farm stock or unlinked lines)"
    vendors = _roll_up(groups, "vendor", vendor_names)
    customers = _roll_up(groups, "customer", customer_names)

    attention_rows, attention_count = _needs_attention(days)
    return DayPicture(
        days=days,
        vendors=vendors,
        customers=customers,
        totals=_totals(vendors),
        needs_attention=attention_count,
        needs_attention_rows=attention_rows,
        held_prebook_lines=_held_prebook_lines(days),
    )


def _totals(rows: list[PictureRow]) -> dict[str, Decimal | int]:
    totals: dict[str, Decimal | int] = {}
    for row in rows:
        for name, value in row.figures.items():
            totals[name] = totals.get(name, 0) + value
    return totals


def _held_prebook_lines(days: DayRange) -> int:
    items = PrebookItem.objects.exclude(hold_reason="")
    if days.by == "truck":
        items = items.filter(prebook__truck_date__range=(days.start, days.end))
    else:
        items = items.filter(vendor_ship_date__range=(days.start, days.end))
    return items.count()


def _needs_attention(days: DayRange, limit: int = 20) -> tuple[list, int]:
    """Return the newest ledger rows of these days' documents that need a person, and a count."""
    from sync.models import Exchange, ExchangeState

    if days.by == "truck":
        documents = Q(prebook__truck_date__range=(days.start, days.end)) | Q(
            purchase_order__items__prebook_item__prebook__truck_date__range=(days.start, days.end)
        )
    else:
        documents = Q(purchase_order__ship_date__range=(days.start, days.end)) | Q(
            prebook__items__vendor_ship_date__range=(days.start, days.end)
        )
    ids = (
        Exchange.objects.filter(documents, state=ExchangeState.NEEDS_ATTENTION)
        .values("id")
        .distinct()
    )
    rows = (
        Exchange.objects.filter(id__in=ids)
        .select_related("vendor", "purchase_order", "prebook")
        .defer("payload", "response_body")
        .order_by("-created_at", "-id")
    )
    return list(rows[:limit]), Exchange.objects.filter(id__in=ids).count()
