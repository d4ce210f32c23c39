"""Prebook entry in the portal: create, change and cancel, with holds, audit and pushes.

Callers pass model instances that carry the new values, unsaved or loaded and then
edited. These services validate them and save everything in one transaction. In the same
transaction they recompute the holds, write the audit trail and queue the farm pushes.

Each farm that runs Axerrio gets at most one push per save: `prebook.created` the first
time its lines are sent, `prebook.changed` when its lines or the header change after
that, and `prebook.cancelled` when the prebook is cancelled or its last line is removed.
"""

import datetime
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.services import actor_label_for, audit_record
from catalog.models import Vendor
from orders.models import (
    Prebook,
    PrebookBreakdown,
    PrebookItem,
    PurchaseOrder,
    PurchaseOrderBreakdown,
    PurchaseOrderItem,
    UnitType,
)
from orders.selectors import carrier_cutoff_warning
from orders.services.dates import DAYS_AHEAD, DAYS_BACK
from orders.services.holds import prebook_refresh_holds
from orders.services.numbers import prebook_number_next

logger = logging.getLogger(__name__)

HEADER_FIELDS = (
    "customer_id",
    "truck_date",
    "carrier_id",
    "ship_via",
    "customer_po",
    "comments",
    "is_ecommerce",
)
LINE_FIELDS = (
    "vendor_id",
    "product_id",
    "box_type_id",
    "unit_type",
    "boxes",
    "bunches",
    "stems_per_bunch",
    "cost",
    "price",
    "mark_code",
    "notes",
    "vendor_ship_date",
)
BREAKDOWN_FIELDS = ("product_id", "bunches", "stems_per_bunch", "cost", "price")


@dataclass
class PrebookSaveResult:
    prebook: Prebook
    pushes: list[tuple[str, str]] = field(default_factory=list)  # (vendor code, event type)
    warnings: list[str] = field(default_factory=list)


# --- validation -------------------------------------------------------------------------


def prebook_header_errors(
    *, prebook: Prebook, today: datetime.date | None = None, truck_date_changed: bool = True
) -> dict[str, str]:
    """Return {field: message} for a prebook header that cannot be saved."""
    errors = {}
    today = today or timezone.localdate()
    if prebook.truck_date is None:
        errors["truck_date"] = "Truck date is required."
    elif truck_date_changed and prebook.truck_date < today:
        errors["truck_date"] = (
            f"Truck date {prebook.truck_date:%Y-%m-%d} is in the past; "
            f"choose {today:%Y-%m-%d} or later."
        )
    elif truck_date_changed and prebook.truck_date > today + datetime.timedelta(days=DAYS_AHEAD):
        latest = today + datetime.timedelta(days=DAYS_AHEAD)
        errors["truck_date"] = (
            f"Truck date {prebook.truck_date:%Y-%m-%d} is more than {DAYS_AHEAD} days ahead; "
            f"choose a date from {today:%Y-%m-%d} to {latest:%Y-%m-%d}."
        )
    if prebook.carrier_id is None:
        errors["carrier"] = "Carrier is required: choose the truck line that takes the boxes."
    if prebook.customer_id is None:
        errors["customer"] = "Customer is required."
    return errors


def vendor_ship_date_error(
    *, vendor_ship_date: datetime.date | None, today: datetime.date | None = None
) -> str:
    """Return a message when a line's vendor ship date is outside the window the API accepts.

    The window runs from yesterday to DAYS_AHEAD days ahead, as for `prebook.create`.
    Callers check only a date that is new or changed, so an old prebook stays editable.
    """
    if vendor_ship_date is None:
        return ""
    today = today or timezone.localdate()
    earliest = today - datetime.timedelta(days=DAYS_BACK)
    latest = today + datetime.timedelta(days=DAYS_AHEAD)
    if earliest <= vendor_ship_date <= latest:
        return ""
    return (
        f"Vendor ship date {vendor_ship_date:%Y-%m-%d} is outside the allowed dates; "
        f"choose a date from {earliest:%Y-%m-%d} to {latest:%Y-%m-%d}."
    )


# The API's upper bound for quantities, so a line entered in the admin can always be pushed.
MAX_QUANTITY = 99_999


def vendor_ship_date_default(*, prebook: Prebook, item: PrebookItem) -> None:
    """Fill an empty vendor ship date with the truck date less the farm's transit days.

    Farms only see lines with a vendor ship date (the vendor view of prebook.details.list),
    so a line left without one would never reach the farm.
    """
    if item.vendor_ship_date is None and item.vendor is not None and prebook.truck_date:
        item.vendor_ship_date = prebook.truck_date - datetime.timedelta(
            days=item.vendor.transit_days
        )


def prebook_item_errors(*, item: PrebookItem) -> dict[str, str]:
    """Return {field: message} for a prebook line that cannot be saved."""
    errors = {}
    if item.vendor_id is None:
        errors["vendor"] = "Vendor is required: choose the farm that supplies the line."
    if item.product_id is None:
        errors["product"] = "Product is required."
    if item.box_type_id is None:
        errors["box_type"] = "Box type is required."
    if not item.boxes or item.boxes < 1:
        errors["boxes"] = f"Boxes must be a positive whole number, got {item.boxes}."
    elif item.boxes > MAX_QUANTITY:
        errors["boxes"] = f"Boxes must be at most {MAX_QUANTITY:,}, got {item.boxes:,}."
    if not item.bunches or item.bunches < 1:
        errors["bunches"] = f"Bunches per box must be a positive whole number, got {item.bunches}."
    elif item.bunches > MAX_QUANTITY:
        errors["bunches"] = (
            f"Bunches per box must be at most {MAX_QUANTITY:,}, got {item.bunches:,}."
        )
    if item.unit_type == UnitType.STEM and not item.stems_per_bunch:
        errors["stems_per_bunch"] = (
            "Stems per bunch is required for stem pricing (total = bunches × stems × price)."
        )
    elif item.stems_per_bunch is not None and item.stems_per_bunch < 1:
        errors["stems_per_bunch"] = "Stems per bunch must be a positive whole number."
    for money in ("cost", "price"):
        value = getattr(item, money)
        if value is not None and value < 0:
            errors[money] = f"{money.title()} must not be negative, got {value}."
    return errors


def breakdown_total_error(*, item: PrebookItem, breakdowns: Sequence[PrebookBreakdown]) -> str:
    """Return a message when a mixed box's breakdown bunches do not add up to the line's."""
    if not breakdowns:
        return ""
    total = sum(breakdown.bunches or 0 for breakdown in breakdowns)
    if total != item.bunches:
        return (
            f"The breakdown bunches add up to {total} but the line has {item.bunches} "
            "bunches per box; make them equal."
        )
    return ""


# --- lines on purchase orders ------------------------------------------------------------

# PO statuses in which a PO can still be approved, confirmed or shipped.
OPEN_PO_STATUSES = (
    PurchaseOrder.Status.PENDING_APPROVAL,
    PurchaseOrder.Status.APPROVED,
    PurchaseOrder.Status.CONFIRMED,
)


@dataclass(frozen=True)
class OrderedBoxes:
    """Boxes of one prebook line on PO lines, and the numbers of those POs."""

    boxes: int
    po_numbers: tuple[str, ...]


def prebook_items_ordered_boxes(
    *, prebook_item_ids: Iterable[int], open_only: bool = False
) -> dict[int, OrderedBoxes]:
    """Return the boxes on PO lines of each prebook line that has any, keyed by line id.

    PO lines that are deleted or on a cancelled PO do not count, and with `open_only` only
    POs in OPEN_PO_STATUSES count. A PO line links a prebook line itself or through one of
    its mixed-box breakdowns, and its boxes count once for each prebook line it links.
    """
    prebook_item_ids = list(prebook_item_ids)
    if not prebook_item_ids:
        return {}
    direct = PurchaseOrderItem.objects.filter(prebook_item_id__in=prebook_item_ids).exclude(
        status=PurchaseOrderItem.Status.DELETED
    )
    through_breakdowns = PurchaseOrderBreakdown.objects.filter(
        prebook_item_id__in=prebook_item_ids
    ).exclude(po_item__status=PurchaseOrderItem.Status.DELETED)
    if open_only:
        direct = direct.filter(purchase_order__status__in=OPEN_PO_STATUSES)
        through_breakdowns = through_breakdowns.filter(
            po_item__purchase_order__status__in=OPEN_PO_STATUSES
        )
    else:
        direct = direct.exclude(purchase_order__status=PurchaseOrder.Status.CANCELLED)
        through_breakdowns = through_breakdowns.exclude(
            po_item__purchase_order__status=PurchaseOrder.Status.CANCELLED
        )
    links = set(
        direct.values_list("pk", "prebook_item_id", "boxes", "purchase_order__number")
    ) | set(
        through_breakdowns.values_list(
            "po_item_id", "prebook_item_id", "po_item__boxes", "po_item__purchase_order__number"
        )
    )
    ordered: dict[int, OrderedBoxes] = {}
    for _po_item_id, item_id, boxes, number in sorted(links):
        found = ordered.get(item_id, OrderedBoxes(boxes=0, po_numbers=()))
        numbers = found.po_numbers if number in found.po_numbers else (*found.po_numbers, number)
        ordered[item_id] = OrderedBoxes(boxes=found.boxes + boxes, po_numbers=numbers)
    return ordered


def ordered_boxes_error(*, item_id: int, boxes: int | None, ordered: OrderedBoxes | None) -> str:
    """Return a message when prebook line `item_id` would keep fewer boxes than its PO lines have.

    `boxes` None means the line is being deleted.
    """
    if ordered is None or not ordered.boxes:
        return ""
    if boxes is not None and boxes >= ordered.boxes:
        return ""
    numbers = ", ".join(ordered.po_numbers)
    change = "be deleted" if boxes is None else f"go down to {boxes} box(es)"
    return (
        f"Prebook line {item_id} cannot {change}: {ordered.boxes} box(es) are already on "
        f"PO {numbers}. Cancel those POs or delete their lines first."
    )


def _ordered_boxes_errors(
    stored_items: dict[int, PrebookItem], items: Sequence[PrebookItem], deleted_ids: set[int]
) -> list[str]:
    """Return a message for each stored line that is deleted or cut below its boxes on POs."""
    cut = {
        item.pk: item.boxes
        for item in items
        if item.pk in stored_items
        and item.pk not in deleted_ids
        and item.boxes is not None
        and item.boxes < stored_items[item.pk].boxes
    }
    checked = set(cut) | (deleted_ids & set(stored_items))
    ordered = prebook_items_ordered_boxes(prebook_item_ids=sorted(checked))
    messages = []
    for item_id in sorted(checked):
        message = ordered_boxes_error(
            item_id=item_id, boxes=cut.get(item_id), ordered=ordered.get(item_id)
        )
        if message:
            messages.append(message)
    return messages


def _validate(
    prebook: Prebook,
    items: Sequence[PrebookItem],
    breakdowns: dict[tuple, list[PrebookBreakdown]],
    *,
    truck_date_changed: bool,
    stored_items: dict[int, PrebookItem] | None = None,
) -> None:
    errors: dict[str, list[str]] = {}
    for name, message in prebook_header_errors(
        prebook=prebook, truck_date_changed=truck_date_changed
    ).items():
        errors.setdefault(name, []).append(message)
    if not items:
        errors.setdefault("__all__", []).append("A prebook needs at least one line.")
    stored_items = stored_items or {}
    for number, item in enumerate(items, start=1):
        stored = stored_items.get(item.pk)
        if stored is None or stored.vendor_ship_date != item.vendor_ship_date:
            message = vendor_ship_date_error(vendor_ship_date=item.vendor_ship_date)
            if message:
                errors.setdefault("__all__", []).append(
                    f"Line {number}, vendor_ship_date: {message}"
                )
        vendor_ship_date_default(prebook=prebook, item=item)
        for name, message in prebook_item_errors(item=item).items():
            errors.setdefault("__all__", []).append(f"Line {number}, {name}: {message}")
        if (
            item.vendor_ship_date
            and prebook.truck_date
            and item.vendor_ship_date > prebook.truck_date
        ):
            errors.setdefault("__all__", []).append(
                f"Line {number}, vendor_ship_date: the farm ships on "
                f"{item.vendor_ship_date:%Y-%m-%d}, after the truck date "
                f"{prebook.truck_date:%Y-%m-%d}; choose a date on or before the truck date."
            )
        message = breakdown_total_error(item=item, breakdowns=breakdowns.get(_item_key(item), []))
        if message:
            errors.setdefault("__all__", []).append(f"Line {number}: {message}")
    if errors:
        raise ValidationError(errors)


# --- create, update, cancel -------------------------------------------------------------


def prebook_create(
    *,
    prebook: Prebook,
    items: Sequence[PrebookItem],
    breakdowns: Iterable[PrebookBreakdown] = (),
    actor: Any = None,
) -> PrebookSaveResult:
    """Save a new prebook with its lines and breakdowns; push it to each Axerrio farm.

    `prebook` and `items` are unsaved; each breakdown's `item` is one of `items`.
    Raises ValidationError naming the field and the rule.
    """
    by_item = _group_breakdowns(breakdowns)
    _validate(prebook, items, by_item, truck_date_changed=True)
    user = _user(actor)

    with transaction.atomic():
        prebook.number = prebook.number or prebook_number_next()
        prebook.status = Prebook.Status.OPEN
        prebook.created_by = prebook.created_by or user
        prebook.save()
        for item in items:
            item.prebook = prebook
            item.save()
        for rows in by_item.values():
            for breakdown in rows:
                breakdown.save()
        prebook_refresh_holds(prebook)

        audit_record(
            action="prebook.created",
            obj=prebook,
            actor=actor,
            changes={
                "truck_date": [None, str(prebook.truck_date)],
                "lines": [None, len(items)],
            },
        )
        pushes = _push_changes(prebook, before_vendors=set(), changed_vendors=set(), cancel=False)

    logger.info(
        "Prebook %s created by %s with %d lines", prebook.number, actor_label_for(actor), len(items)
    )
    return PrebookSaveResult(prebook=prebook, pushes=pushes, warnings=_warnings(prebook))


def prebook_update(
    *,
    prebook: Prebook,
    items: Sequence[PrebookItem] = (),
    deleted_items: Iterable[PrebookItem] = (),
    breakdowns: Iterable[PrebookBreakdown] = (),
    deleted_breakdowns: Iterable[PrebookBreakdown] = (),
    actor: Any = None,
    reason: str = "",
) -> PrebookSaveResult:
    """Save changes to a prebook's header, lines and breakdowns, and tell the farms.

    `items` are the new or changed lines (edited in memory, not yet saved) and
    `deleted_items` those to remove; unchanged lines need not be passed. Raises
    ValidationError, and nothing is written, when the result would be invalid.
    """
    stored = Prebook.objects.get(pk=prebook.pk)
    if stored.status == Prebook.Status.CANCELLED:
        raise ValidationError("This prebook is cancelled and can no longer be changed.")
    deleted_ids = {item.pk for item in deleted_items if item.pk}
    stored_items = {item.pk: item for item in stored.items.all()}
    header_changes = _diff(stored, prebook, HEADER_FIELDS)
    line_changes, changed_vendors = _line_changes(stored_items, items, deleted_ids)
    breakdowns = list(breakdowns)
    deleted_breakdowns = [row for row in deleted_breakdowns if row.pk]
    changed_vendors |= _breakdown_vendors(breakdowns, deleted_breakdowns, stored_items)

    final_items = _final_items(stored_items, items, deleted_ids)
    by_item = _final_breakdowns(final_items, breakdowns, deleted_breakdowns)
    _validate(
        prebook,
        final_items,
        by_item,
        truck_date_changed="truck_date" in header_changes,
        stored_items=stored_items,
    )
    if header_changes:
        changed_vendors |= {item.vendor_id for item in final_items}

    with transaction.atomic():
        Prebook.objects.select_for_update().get(pk=prebook.pk)
        # purchase.order.create locks the prebook lines it links, so a PO line added
        # meanwhile is counted here, before any line is cut or deleted.
        _lock_items(prebook)
        messages = _ordered_boxes_errors(stored_items, items, deleted_ids)
        if messages:
            raise ValidationError(messages)
        before_vendors = set(stored.items.values_list("vendor_id", flat=True))
        prebook.save()
        PrebookBreakdown.objects.filter(pk__in=[row.pk for row in deleted_breakdowns]).delete()
        # Only deleted PO lines and lines of cancelled POs can still link a deleted line
        # here, and their PROTECT foreign keys would block the delete.
        PurchaseOrderItem.objects.filter(prebook_item_id__in=deleted_ids).update(prebook_item=None)
        PurchaseOrderBreakdown.objects.filter(prebook_item_id__in=deleted_ids).update(
            prebook_item=None
        )
        PrebookItem.objects.filter(prebook=prebook, pk__in=deleted_ids).delete()
        for item in items:
            if item.pk in deleted_ids:
                continue
            item.prebook = prebook
            item.save()
        for breakdown in breakdowns:
            breakdown.save()
        prebook_refresh_holds(prebook)

        changes = {**header_changes, **line_changes}
        if changes:
            audit_record(
                action="prebook.changed", obj=prebook, actor=actor, changes=changes, reason=reason
            )
        pushes = _push_changes(
            prebook,
            before_vendors=before_vendors,
            changed_vendors={vendor for vendor in changed_vendors if vendor},
            cancel=False,
        )

    logger.info(
        "Prebook %s changed by %s: %d field(s), %d push(es)",
        prebook.number,
        actor_label_for(actor),
        len(changes),
        len(pushes),
    )
    warnings = _warnings(prebook) if ("truck_date" in header_changes or changes) else []
    return PrebookSaveResult(prebook=prebook, pushes=pushes, warnings=warnings)


def prebook_cancel(*, prebook: Prebook, actor: Any = None, reason: str) -> PrebookSaveResult:
    """Cancel an open prebook and send `prebook.cancelled` to every farm that received it."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "A reason is required to cancel a prebook."})

    with transaction.atomic():
        prebook = Prebook.objects.select_for_update().get(pk=prebook.pk)
        if prebook.status == Prebook.Status.CANCELLED:
            raise ValidationError(f"Prebook {prebook.number} is already cancelled.")
        open_orders = prebook_items_ordered_boxes(
            prebook_item_ids=_lock_items(prebook), open_only=True
        )
        if open_orders:
            numbers = sorted({number for row in open_orders.values() for number in row.po_numbers})
            raise ValidationError(
                f"Prebook {prebook.number} cannot be cancelled: its lines are on open "
                f"PO {', '.join(numbers)}. Cancel those POs or delete their lines first."
            )
        prebook.status = Prebook.Status.CANCELLED
        prebook.save(update_fields=["status", "updated_at"])
        audit_record(
            action="prebook.cancelled",
            obj=prebook,
            actor=actor,
            changes={"status": [Prebook.Status.OPEN, Prebook.Status.CANCELLED]},
            reason=reason,
        )
        pushes = _push_changes(prebook, before_vendors=set(), changed_vendors=set(), cancel=True)

    logger.info("Prebook %s cancelled by %s", prebook.number, actor_label_for(actor))
    return PrebookSaveResult(prebook=prebook, pushes=pushes)


# --- helpers ----------------------------------------------------------------------------


def _lock_items(prebook: Prebook) -> list[int]:
    """Lock the prebook's lines in id order and return their ids."""
    return list(
        PrebookItem.objects.select_for_update()
        .filter(prebook=prebook)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _item_key(item: PrebookItem) -> tuple[str, int]:
    """Key a line by its id, or by object identity while it is unsaved (unhashable)."""
    return ("pk", item.pk) if item.pk else ("object", id(item))


def _breakdown_item_key(breakdown: PrebookBreakdown) -> tuple[str, int]:
    if breakdown.item_id:
        return ("pk", breakdown.item_id)
    return ("object", id(breakdown.item))


def _group_breakdowns(breakdowns: Iterable[PrebookBreakdown]) -> dict[tuple, list]:
    grouped: dict[tuple, list[PrebookBreakdown]] = {}
    for breakdown in breakdowns:
        grouped.setdefault(_breakdown_item_key(breakdown), []).append(breakdown)
    return grouped


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def _diff(old: Any, new: Any, fields: Sequence[str]) -> dict[str, list[Any]]:
    changes = {}
    for name in fields:
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            changes[name] = [_plain(before), _plain(after)]
    return changes


def _line_changes(
    stored_items: dict[int, PrebookItem], items: Sequence[PrebookItem], deleted_ids: set[int]
) -> tuple[dict[str, list[Any]], set[int]]:
    """Return the audit changes of the lines and the vendors whose lines changed."""
    changes: dict[str, list[Any]] = {}
    vendors: set[int] = set()
    for item in items:
        if item.pk is None:
            changes[f"line +{item.product_id}"] = [None, f"{item.boxes} box(es) added"]
            vendors.add(item.vendor_id)
            continue
        if item.pk in deleted_ids:
            continue
        for name, values in _diff(stored_items[item.pk], item, LINE_FIELDS).items():
            changes[f"line {item.pk} {name}"] = values
            vendors |= {stored_items[item.pk].vendor_id, item.vendor_id}
    for pk in deleted_ids:
        if pk in stored_items:
            changes[f"line {pk}"] = [f"{stored_items[pk].boxes} box(es)", "removed"]
            vendors.add(stored_items[pk].vendor_id)
    return changes, vendors


def _breakdown_vendors(
    breakdowns: Sequence[PrebookBreakdown],
    deleted: Sequence[PrebookBreakdown],
    stored_items: dict[int, PrebookItem],
) -> set[int]:
    vendors = set()
    stored = {
        row.pk: row for row in PrebookBreakdown.objects.filter(pk__in=[b.pk for b in breakdowns])
    }
    for breakdown in breakdowns:
        old = stored.get(breakdown.pk)
        if old is None or _diff(old, breakdown, BREAKDOWN_FIELDS):
            item = stored_items.get(breakdown.item_id)
            vendors.add(item.vendor_id if item else None)
    for breakdown in deleted:
        item = stored_items.get(breakdown.item_id)
        vendors.add(item.vendor_id if item else None)
    return vendors


def _final_items(
    stored_items: dict[int, PrebookItem], items: Sequence[PrebookItem], deleted_ids: set[int]
) -> list[PrebookItem]:
    merged = dict(stored_items)
    new = []
    for item in items:
        if item.pk is None:
            new.append(item)
        else:
            merged[item.pk] = item
    return [item for pk, item in merged.items() if pk not in deleted_ids] + new


def _final_breakdowns(
    final_items: Sequence[PrebookItem],
    breakdowns: Sequence[PrebookBreakdown],
    deleted: Sequence[PrebookBreakdown],
) -> dict[tuple, list[PrebookBreakdown]]:
    """Return each line's breakdowns, keyed by `_item_key`, as they will be after the save."""
    saved_ids = [item.pk for item in final_items if item.pk]
    rows: dict[int | None, PrebookBreakdown] = {
        row.pk: row for row in PrebookBreakdown.objects.filter(item_id__in=saved_ids)
    }
    for row in deleted:
        rows.pop(row.pk, None)
    extra = []
    for row in breakdowns:
        if row.pk:
            rows[row.pk] = row
        else:
            extra.append(row)
    return _group_breakdowns([*rows.values(), *extra])


def _warnings(prebook: Prebook) -> list[str]:
    warning = carrier_cutoff_warning(
        carrier=prebook.carrier, day=prebook.truck_date, what="Prebook saved"
    )
    return [warning] if warning else []


# --- pushes -----------------------------------------------------------------------------


def _push_changes(
    prebook: Prebook, *, before_vendors: set[int], changed_vendors: set[int], cancel: bool
) -> list[tuple[str, str]]:
    """Queue at most one push per Axerrio farm for this save; return (farm, event) pairs."""
    from sync.models import ExchangeKind

    sent = _vendors_sent(prebook)
    current = set(prebook.items.exclude(vendor=None).values_list("vendor_id", flat=True))
    vendor_ids = current | sent | before_vendors
    vendors = Vendor.objects.filter(pk__in=vendor_ids, is_axerrio=True).order_by("code")

    pushes = []
    for vendor in vendors:
        if cancel:
            kind = ExchangeKind.PREBOOK_CANCELLED if vendor.pk in sent else None
        elif vendor.pk not in sent:
            kind = ExchangeKind.PREBOOK_CREATED if vendor.pk in current else None
        elif vendor.pk not in current:
            kind = ExchangeKind.PREBOOK_CANCELLED
        elif vendor.pk in changed_vendors:
            kind = ExchangeKind.PREBOOK_CHANGED
        else:
            kind = None
        if kind is None:
            continue
        _outbox_push_prebook(prebook, kind=kind, vendor=vendor)
        pushes.append((vendor.code, str(kind)))
    return pushes


def _vendors_sent(prebook: Prebook) -> set[int]:
    """Return the farms that received this prebook and have not had it cancelled since."""
    from sync.models import Direction, Exchange, ExchangeKind

    rows = (
        Exchange.objects.filter(
            prebook=prebook,
            direction=Direction.OUTBOUND,
            kind__in=[ExchangeKind.PREBOOK_CREATED, ExchangeKind.PREBOOK_CANCELLED],
        )
        .order_by("id")
        .values_list("vendor_id", "kind")
    )
    sent: set[int] = set()
    for vendor_id, kind in rows:
        if kind == ExchangeKind.PREBOOK_CREATED:
            sent.add(vendor_id)
        else:
            sent.discard(vendor_id)
    return sent


def _outbox_push_prebook(prebook: Prebook, *, kind: str, vendor: Vendor) -> None:
    """Write one prebook push for one farm through the sync app's outbox."""
    from sync.services import outbox_push_prebook

    outbox_push_prebook(prebook=prebook, kind=kind, vendor=vendor)
