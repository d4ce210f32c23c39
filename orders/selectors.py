"""Reads of orders shared by the admin, the dashboard and the services.

Totals follow Komet's pricing: a bunch-priced line costs bunches × unit price per box,
a stem-priced line bunches × stems per bunch × unit price per box. Full-box
equivalents are boxes × the box type's FBE. Every aggregate here runs in the database.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractIsoWeekDay
from django.utils import timezone

from catalog.models import Carrier, CarrierCutoff
from orders.models import (
    Prebook,
    PrebookItem,
    PurchaseOrder,
    PurchaseOrderItem,
    PurchaseOrderStatusChange,
    UnitType,
)

ZERO = Decimal("0")
MONEY = DecimalField(max_digits=18, decimal_places=3)


def units_per_box_expression(prefix: str = "") -> Case:
    """Units in one box of a line: bunches, or bunches × stems per bunch for stem pricing."""
    return Case(
        When(
            **{f"{prefix}unit_type": UnitType.STEM},
            then=F(f"{prefix}bunches") * Coalesce(F(f"{prefix}stems_per_bunch"), Value(0)),
        ),
        default=F(f"{prefix}bunches"),
        output_field=IntegerField(),
    )


def line_amount_expression(money_field: str, prefix: str = "") -> ExpressionWrapper:
    """boxes × units per box × the line's `money_field` (cost or price); 0 when it is empty."""
    return ExpressionWrapper(
        F(f"{prefix}boxes")
        * units_per_box_expression(prefix)
        * Coalesce(F(f"{prefix}{money_field}"), Value(ZERO)),
        output_field=MONEY,
    )


def fbe_expression(prefix: str = "") -> ExpressionWrapper:
    """Full-box equivalents of a line: boxes × box type FBE (1 when the box type is unknown)."""
    return ExpressionWrapper(
        F(f"{prefix}boxes") * Coalesce(F(f"{prefix}box_type__fbe"), Value(Decimal("1"))),
        output_field=DecimalField(max_digits=14, decimal_places=3),
    )


@dataclass(frozen=True)
class OrderTotals:
    lines: int
    boxes: int
    fbe: Decimal
    units: int
    cost: Decimal
    price: Decimal


def _totals(row: dict) -> OrderTotals:
    # Aggregates carry a prefix because an alias equal to a field name (boxes) would shadow
    # the field in the other sums.
    return OrderTotals(**{name.removeprefix("sum_"): value for name, value in row.items()})


def prebook_totals(*, prebook: Prebook) -> OrderTotals:
    """Return the prebook's totals over all its lines, in one query."""
    row = PrebookItem.objects.filter(prebook=prebook).aggregate(
        sum_lines=Count("id"),
        sum_boxes=Coalesce(Sum("boxes"), 0),
        sum_fbe=Coalesce(Sum(fbe_expression()), Value(ZERO), output_field=MONEY),
        sum_units=Coalesce(Sum(F("boxes") * units_per_box_expression()), 0),
        sum_cost=Coalesce(Sum(line_amount_expression("cost")), Value(ZERO), output_field=MONEY),
        sum_price=Coalesce(Sum(line_amount_expression("price")), Value(ZERO), output_field=MONEY),
    )
    return _totals(row)


def purchase_order_totals(*, po: PurchaseOrder) -> OrderTotals:
    """Return the PO's totals over its lines that are not deleted, in one query."""
    row = (
        PurchaseOrderItem.objects.filter(purchase_order=po)
        .exclude(status=PurchaseOrderItem.Status.DELETED)
        .aggregate(
            sum_lines=Count("id"),
            sum_boxes=Coalesce(Sum("boxes"), 0),
            sum_fbe=Coalesce(Sum(fbe_expression()), Value(ZERO), output_field=MONEY),
            sum_units=Coalesce(Sum(F("boxes") * units_per_box_expression()), 0),
            sum_cost=Coalesce(Sum(line_amount_expression("cost")), Value(ZERO), output_field=MONEY),
        )
    )
    return _totals({**row, "sum_price": ZERO})


def prebooks_with_totals(queryset: QuerySet[Prebook]) -> QuerySet[Prebook]:
    """Annotate each prebook with `total_boxes`, `total_fbe` and `total_price`."""
    return queryset.annotate(
        total_boxes=Coalesce(Sum("items__boxes"), 0),
        total_fbe=Coalesce(Sum(fbe_expression("items__")), Value(ZERO), output_field=MONEY),
        total_price=Coalesce(
            Sum(line_amount_expression("price", "items__")), Value(ZERO), output_field=MONEY
        ),
    )


def purchase_orders_with_totals(queryset: QuerySet[PurchaseOrder]) -> QuerySet[PurchaseOrder]:
    """Annotate each PO with `total_boxes`, `total_fbe` and `total_cost` of its live lines."""
    live = ~Q(items__status=PurchaseOrderItem.Status.DELETED)
    return queryset.annotate(
        total_boxes=Coalesce(Sum("items__boxes", filter=live), 0),
        total_fbe=Coalesce(
            Sum(fbe_expression("items__"), filter=live), Value(ZERO), output_field=MONEY
        ),
        total_cost=Coalesce(
            Sum(line_amount_expression("cost", "items__"), filter=live),
            Value(ZERO),
            output_field=MONEY,
        ),
    )


def purchase_order_held_lines(*, po: PurchaseOrder) -> list[PurchaseOrderItem]:
    """Return the PO's live lines held by an unmapped code, with the farm's codes loaded."""
    return list(
        po.items.exclude(hold_reason="")
        .exclude(status=PurchaseOrderItem.Status.DELETED)
        .select_related("vendor_product", "vendor_box_type")
        .order_by("id")
    )


def purchase_order_status_history(*, po: PurchaseOrder) -> QuerySet[PurchaseOrderStatusChange]:
    return po.status_changes.select_related("actor").order_by("created_at", "id")


# --- carrier cut-offs -------------------------------------------------------------------


def carrier_cutoff_at(*, carrier: Carrier | None, day: datetime.date) -> datetime.datetime | None:
    """Return the carrier's cut-off for `day` as an aware datetime, or None if it has none.

    Cut-off times are wall-clock times in settings.TIME_ZONE (Eastern time by default)
    on the truck or ship date itself, one per weekday.
    """
    if carrier is None or day is None:
        return None
    cutoff = CarrierCutoff.objects.filter(carrier=carrier, weekday=day.weekday()).first()
    if cutoff is None:
        return None
    zone = timezone.get_default_timezone()
    return datetime.datetime.combine(day, cutoff.cutoff_time, tzinfo=zone)


def carrier_cutoff_warning(
    *,
    carrier: Carrier | None,
    day: datetime.date,
    what: str,
    now: datetime.datetime | None = None,
) -> str:
    """Return a warning when `now` is past the carrier's cut-off for `day`, else ''."""
    deadline = carrier_cutoff_at(carrier=carrier, day=day)
    now = now or timezone.now()
    if deadline is None or now <= deadline:
        return ""
    local = timezone.localtime(deadline)
    return (
        f"{what} after {carrier.name}'s cut-off for {day:%a %d %b %Y} "
        f"({local:%H:%M} {settings.TIME_ZONE}); confirm the space with the carrier."
    )


def purchase_orders_past_cutoff(
    queryset: QuerySet[PurchaseOrder], *, now: datetime.datetime | None = None
) -> QuerySet[PurchaseOrder]:
    """Filter POs whose carrier cut-off for their ship date has passed, in one query.

    A PO shipping after today cannot be past its cut-off, and one before today is past
    any cut-off, so only today's POs compare against the cut-off time.
    """
    now = timezone.localtime(now or timezone.now())
    today = now.date()
    return (
        queryset.annotate(ship_weekday=ExtractIsoWeekDay("ship_date") - 1)
        # One filter() call, so the weekday and the time test the same cut-off row.
        .filter(
            Q(carrier__cutoffs__weekday=F("ship_weekday"))
            & (
                Q(ship_date__lt=today)
                | Q(ship_date=today, carrier__cutoffs__cutoff_time__lt=now.time())
            )
        )
        .distinct()
    )
