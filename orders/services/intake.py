"""Prebooks received through the Komet-compatible API (`prebook.create` and the deletes).

The services take the validated request (Komet's field names) and the calling farm
(`farm`, None for a company token). They write everything in the caller's transaction
and raise `IntakeError` before writing anything when a reference is wrong. Lines whose
farm code is not mapped yet are kept and held, never dropped.
"""

import datetime
import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from audit.services import audit_record
from catalog.models import Vendor
from mapping.models import HoldReason
from orders.models import (
    Prebook,
    PrebookBreakdown,
    PrebookItem,
    PurchaseOrder,
    PurchaseOrderBreakdown,
    PurchaseOrderItem,
    Source,
    UnitType,
)
from orders.services.codes import (
    BOX_TYPE,
    CARRIER,
    CUSTOMER,
    PRODUCT,
    VENDOR,
    CodeResolver,
    IntakeError,
    Resolved,
    code_ref,
)
from orders.services.dates import order_date_check, vendor_ship_date_check
from orders.services.holds import (
    held_count_store_new,
    po_item_hold_reason,
    prebook_item_hold_reason,
    prebook_refresh_holds,
)
from orders.services.numbers import prebook_number_next, purchase_order_number_next
from orders.services.purchase_orders import (
    purchase_order_approve,
)

logger = logging.getLogger(__name__)

HOLD_MESSAGES = {
    HoldReason.PRODUCT_NOT_MAPPED: "product not mapped",
    HoldReason.BOX_TYPE_NOT_MAPPED: "box type not mapped",
    HoldReason.CARRIER_NOT_MAPPED: "carrier not mapped",
    HoldReason.CUSTOMER_NOT_MAPPED: "customer not mapped",
}


def line_message(hold_reason: str) -> str:
    """Return the per-line message: OK, or that the line is kept but held, and why."""
    if not hold_reason:
        return "OK"
    return f"Line kept but held: {HOLD_MESSAGES.get(hold_reason, hold_reason)}."


@dataclass
class LineOutcome:
    item: Any
    message: str
    prebook_item_id: int | None = None


@dataclass
class PrebookIntakeResult:
    prebook: Prebook
    lines: list[LineOutcome]
    purchase_orders: list[PurchaseOrder] = field(default_factory=list)


@dataclass
class PurchaseOrderIntakeResult:
    purchase_order: PurchaseOrder
    lines: list[LineOutcome]
    approved: bool = False


def _unit_type(value: str | None) -> str:
    return UnitType.BUNCH if (value or "").lower() == "bunch" else UnitType.STEM


# --- prebook.create -------------------------------------------------------------------------


def _vendor_ship_date(truck_date: datetime.date, vendor: Vendor | None) -> datetime.date | None:
    if vendor is None:
        return None
    return truck_date - datetime.timedelta(days=vendor.transit_days)


def _unmapped(resolved: Resolved) -> Any:
    """Return the farm's code row while it is not mapped; headers keep it only until then."""
    return resolved.farm_code if resolved.record is None else None


def _header_ref_key(resolved: Resolved) -> str:
    """Return the record id and unmapped farm code id that `_existing_prebook` filters on."""
    record_id = resolved.record.pk if resolved.record is not None else ""
    unmapped = _unmapped(resolved)
    farm_code_id = unmapped.pk if unmapped is not None else ""
    return f"{record_id}/{farm_code_id}"


def _lock_prebook_header(header: dict[str, Any], resolved: dict[str, Any]) -> None:
    """Wait for any other `useExisting` request with the same prebook header to commit.

    Without the lock, concurrent requests all miss the prebook none of them has committed
    yet and each creates one. The key hashes the customer, carrier, truck date and customer
    PO that `_existing_prebook` matches on. The lock is transaction-scoped, so it must be
    taken inside the request's transaction. SQLite serialises writers, so it is skipped.
    """
    if connection.vendor != "postgresql":
        return
    name = "|".join(
        [
            "prebook.useExisting",
            _header_ref_key(resolved[CUSTOMER]),
            _header_ref_key(resolved[CARRIER]),
            str(header["shipDate"]),
            header.get("customerPO") or "",
        ]
    )
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest, "big", signed=True)]
        )


def _existing_prebook(header: dict[str, Any], resolved: dict[str, Any]) -> Prebook | None:
    customer, carrier = resolved[CUSTOMER], resolved[CARRIER]
    return (
        Prebook.objects.select_for_update()
        .filter(
            status=Prebook.Status.OPEN,
            truck_date=header["shipDate"],
            customer_po=header.get("customerPO") or "",
            customer=customer.record,
            vendor_customer=_unmapped(customer),
            carrier=carrier.record,
            vendor_carrier=_unmapped(carrier),
        )
        .order_by("-id")
        .first()
    )


def prebook_intake(
    *, farm: Vendor | None, data: dict[str, Any], actor_label: str
) -> PrebookIntakeResult:
    """Create a prebook (or add lines to a matching one with `useExisting`) from `prebook.create`.

    With a farm's token, the line vendor is the farm and prices are ignored. With
    `autoGeneratePOsfromPrebooks`, one PO per vendor and vendor ship date is created from
    the lines; see `_generate_purchase_orders` for its status.
    """
    order_date_check("shipDate", data.get("shipDate"))
    for index, line in enumerate(data.get("prebookItems") or []):
        path = f"prebookItems[{index}].vendorShipDate"
        order_date_check(path, line.get("vendorShipDate"))
        vendor_ship_date_check(path, line.get("vendorShipDate"), data.get("shipDate"))
    resolver = CodeResolver(farm=farm)
    header_refs = {
        CUSTOMER: resolver.add(code_ref(CUSTOMER, "customer", data)),
        CARRIER: resolver.add(code_ref(CARRIER, "carrier", data)),
    }
    for ref in header_refs.values():
        if ref.is_empty:
            raise IntakeError(
                f"{ref.field}Id: required, or {ref.field}Code / {ref.field}Description."
            )
    lines = data.get("prebookItems") or []
    line_refs = []
    for index, line in enumerate(lines):
        path = f"prebookItems[{index}]"
        refs = {
            PRODUCT: resolver.add(code_ref(PRODUCT, f"{path}.product", line)),
            BOX_TYPE: resolver.add(code_ref(BOX_TYPE, f"{path}.boxType", line)),
            "breakdowns": [
                resolver.add(code_ref(PRODUCT, f"{path}.breakdowns[{b}].product", breakdown))
                for b, breakdown in enumerate(line.get("breakdowns") or [])
            ],
        }
        if farm is None:
            vendor_ref = code_ref(VENDOR, f"{path}.vendor", line)
            if vendor_ref.is_empty and line.get("vendorName"):
                vendor_ref.description = line["vendorName"].strip()
            refs[VENDOR] = resolver.add(vendor_ref)
        if refs[PRODUCT].is_empty:
            raise IntakeError(f"{path}.productId: required, or productCode / productDescription.")
        line_refs.append(refs)
    resolver.resolve()

    header = {kind: resolver.get(ref) for kind, ref in header_refs.items()}
    auto_pos = bool(data.get("autoGeneratePOsfromPrebooks"))
    prebook = None
    if data.get("useExisting"):
        _lock_prebook_header(data, header)
        prebook = _existing_prebook(data, header)
    created = prebook is None
    if created:
        prebook = Prebook.objects.create(
            number=prebook_number_next(),
            customer=header[CUSTOMER].record,
            vendor_customer=_unmapped(header[CUSTOMER]),
            carrier=header[CARRIER].record,
            vendor_carrier=_unmapped(header[CARRIER]),
            truck_date=data["shipDate"],
            ship_via=data.get("shipViaId") or Prebook.ShipVia.WAREHOUSE,
            customer_po=data.get("customerPO") or "",
            comments=data.get("comments") or "",
            is_ecommerce=bool(data.get("isEcommerce")),
            source=Source.API,
            origin_vendor=farm,
        )

    items: list[PrebookItem] = []
    for index, (line, refs) in enumerate(zip(lines, line_refs, strict=True)):
        vendor = farm if farm is not None else resolver.get(refs[VENDOR]).record
        if auto_pos and (vendor is None or line.get("cost") is None):
            raise IntakeError(
                f"prebookItems[{index}]: vendor and cost are required with "
                "autoGeneratePOsfromPrebooks=1."
            )
        product, box_type = resolver.get(refs[PRODUCT]), resolver.get(refs[BOX_TYPE])
        item = PrebookItem(
            prebook=prebook,
            vendor=vendor,
            product=product.record,
            vendor_product=product.farm_code,
            box_type=box_type.record,
            vendor_box_type=box_type.farm_code,
            unit_type=_unit_type(line.get("unitType")),
            boxes=line["boxes"],
            bunches=line["bunches"],
            stems_per_bunch=line.get("stemsBunch"),
            cost=line.get("cost"),
            # A farm cannot set the importer's sales price.
            price=None if farm is not None else line.get("price"),
            mark_code=line.get("markCode") or "",
            notes=line.get("notes") or "",
            vendor_ship_date=line.get("vendorShipDate")
            or _vendor_ship_date(prebook.truck_date, vendor),
        )
        item.hold_reason = prebook_item_hold_reason(item)
        items.append(item)
    PrebookItem.objects.bulk_create(items)

    breakdowns = []
    for line, refs, item in zip(lines, line_refs, items, strict=True):
        for breakdown, ref in zip(line.get("breakdowns") or [], refs["breakdowns"], strict=True):
            product = resolver.get(ref)
            breakdowns.append(
                PrebookBreakdown(
                    item=item,
                    product=product.record,
                    vendor_product=product.farm_code,
                    bunches=breakdown["bunches"],
                    stems_per_bunch=breakdown.get("stemsBunch"),
                    cost=breakdown.get("cost"),
                    price=None if farm is not None else breakdown.get("price"),
                )
            )
    if breakdowns:
        PrebookBreakdown.objects.bulk_create(breakdowns)

    if created:
        held_count_store_new(prebook, items)
    else:
        prebook_refresh_holds(prebook)
    audit_record(
        action="prebook.api_create" if created else "prebook.api_add_lines",
        obj=prebook,
        actor_label=actor_label,
        changes={"lines": [None, len(items)]},
    )
    outcomes = [LineOutcome(item=item, message=line_message(item.hold_reason)) for item in items]
    result = PrebookIntakeResult(prebook=prebook, lines=outcomes)
    if auto_pos and items:
        result.purchase_orders = _generate_purchase_orders(
            prebook=prebook, items=items, farm=farm, actor_label=actor_label
        )
    if farm is None:
        _push_prebook_to_farms(prebook=prebook, items=items, created=created)
    return result


def _generate_purchase_orders(
    *, prebook: Prebook, items: list[PrebookItem], farm: Vendor | None, actor_label: str
) -> list[PurchaseOrder]:
    """Create one PO per vendor and vendor ship date from the new prebook lines.

    Komet creates these POs Approved. The portal approves them at once for a company
    token (the importer's own system) unless a line is held. A farm's POs start
    Pending Approval, like every PO a farm creates.
    """
    groups: dict[tuple[int, datetime.date], list[PrebookItem]] = defaultdict(list)
    for item in items:
        groups[(item.vendor_id, item.vendor_ship_date)].append(item)
    purchase_orders = []
    for (_vendor_id, ship_date), group in groups.items():
        po = PurchaseOrder.objects.create(
            number=purchase_order_number_next(),
            vendor=group[0].vendor,
            ship_date=ship_date,
            source=Source.API,
        )
        po_items = [
            PurchaseOrderItem(
                purchase_order=po,
                prebook_item=item,
                product=item.product,
                vendor_product=item.vendor_product,
                box_type=item.box_type,
                vendor_box_type=item.vendor_box_type,
                unit_type=item.unit_type,
                boxes=item.boxes,
                bunches=item.bunches,
                stems_per_bunch=item.stems_per_bunch,
                cost=item.cost,
                mark_code=item.mark_code,
                notes=item.notes,
            )
            for item in group
        ]
        for po_item in po_items:
            po_item.hold_reason = po_item_hold_reason(po_item)
        PurchaseOrderItem.objects.bulk_create(po_items)
        held_count_store_new(po, po_items)
        if farm is None and not po.held_line_count:
            po = purchase_order_approve(po=po, actor_label=actor_label)
        purchase_orders.append(po)
    return purchase_orders


def _push_prebook_to_farms(*, prebook: Prebook, items: list[PrebookItem], created: bool) -> None:
    """Tell each Axerrio farm named on the new lines about the prebook (its lines only)."""
    from api.komet import prebook_payload, prebook_queryset
    from sync.models import ExchangeKind, ExchangeState
    from sync.services import outbox_push

    vendors = {item.vendor_id: item.vendor for item in items if item.vendor is not None}
    farms = [vendor for vendor in vendors.values() if vendor.is_axerrio]
    if not farms:
        return
    fresh = prebook_queryset().get(pk=prebook.pk)
    kind = ExchangeKind.PREBOOK_CREATED if created else ExchangeKind.PREBOOK_CHANGED
    for vendor in farms:
        held = any(item.hold_reason for item in items if item.vendor_id == vendor.pk)
        outbox_push(
            kind=kind,
            vendor=vendor,
            prebook=fresh,
            payload_data=prebook_payload(fresh, vendor=vendor),
            state=ExchangeState.HELD if held or fresh.held_line_count else ExchangeState.PENDING,
        )


# --- deletes ----------------------------------------------------------------------------------


def _on_purchase_order(prebook_item_ids: list[int]) -> bool:
    """Return whether a PO line that is not deleted links one of these prebook lines.

    A PO line links a prebook line itself or, in a mixed box, through a breakdown.
    """
    if not prebook_item_ids:
        return False
    live = PurchaseOrderItem.objects.exclude(status=PurchaseOrderItem.Status.DELETED)
    if live.filter(prebook_item_id__in=prebook_item_ids).exists():
        return True
    return PurchaseOrderBreakdown.objects.filter(
        prebook_item_id__in=prebook_item_ids, po_item__in=live
    ).exists()


def _boxes_already_ordered(prebook_item_ids: set[int]) -> dict[int, tuple[int, list[str]]]:
    """Boxes of each prebook line already on PO lines that are neither deleted nor cancelled.

    A PO line links a prebook line directly (`prebook_item`) or through one of its
    breakdowns. Its boxes count once against each distinct prebook line it links.
    """
    if not prebook_item_ids:
        return {}
    direct = (
        PurchaseOrderItem.objects.filter(prebook_item_id__in=prebook_item_ids)
        .exclude(status=PurchaseOrderItem.Status.DELETED)
        .exclude(purchase_order__status=PurchaseOrder.Status.CANCELLED)
        .order_by()
        .values_list("pk", "prebook_item_id", "boxes", "purchase_order__number")
    )
    through_breakdowns = (
        PurchaseOrderBreakdown.objects.filter(prebook_item_id__in=prebook_item_ids)
        .exclude(po_item__status=PurchaseOrderItem.Status.DELETED)
        .exclude(po_item__purchase_order__status=PurchaseOrder.Status.CANCELLED)
        .order_by()
        .values_list(
            "po_item_id", "prebook_item_id", "po_item__boxes", "po_item__purchase_order__number"
        )
    )
    # UNION (not UNION ALL) drops repeated (PO line, prebook line) pairs, so a PO line
    # linked to one prebook line several times counts once.
    ordered: dict[int, tuple[int, list[str]]] = {}
    for _po_item_id, item_id, boxes, number in direct.union(through_breakdowns):
        total, numbers = ordered.get(item_id, (0, []))
        ordered[item_id] = (total + boxes, numbers if number in numbers else [*numbers, number])
    return ordered


def prebook_item_remove(
    *, farm: Vendor | None, prebook_id: int, item_id: int, actor_label: str
) -> PrebookItem | None:
    """Handle `prebook.item.delete`: a farm's line gets 0 boxes, a company token deletes it.

    Returns the zeroed line, or None when it was deleted. A line another farm supplies
    is reported as not found. A line that PO lines still order is a conflict for both
    tokens, because zeroing it would leave a PO ordering boxes the prebook lacks.
    """
    item = (
        PrebookItem.objects.select_for_update(of=("self",))
        .select_related("prebook", "vendor")
        .filter(pk=item_id, prebook_id=prebook_id)
        .first()
    )
    if item is None or (farm is not None and item.vendor_id != farm.pk):
        raise IntakeError(
            f"prebookItemId: no line {item_id} on prebook id {prebook_id}.", kind="not_found"
        )
    prebook = item.prebook
    if farm is not None:
        # Cancelled POs and deleted PO lines no longer order the line's boxes.
        ordered = _boxes_already_ordered({item.pk})
        if item.pk in ordered:
            boxes, numbers = ordered[item.pk]
            raise IntakeError(
                f"prebookItemId: line {item_id} has {boxes} box(es) on PO {', '.join(numbers)}; "
                "delete those PO lines first.",
                kind="conflict",
            )
        old = item.boxes
        item.boxes = 0
        item.save(update_fields=["boxes", "updated_at"])
        audit_record(
            action="prebook.line_zeroed",
            obj=prebook,
            actor_label=actor_label,
            changes={f"line {item.pk} boxes": [old, 0]},
        )
        return item
    if _on_purchase_order([item.pk]):
        raise IntakeError(
            f"prebookItemId: line {item_id} is on a purchase order; delete the PO line first.",
            kind="conflict",
        )
    PurchaseOrderItem.objects.filter(prebook_item=item).update(prebook_item=None)
    PurchaseOrderBreakdown.objects.filter(prebook_item=item).update(prebook_item=None)
    vendor = item.vendor
    item.delete()
    prebook_refresh_holds(prebook)
    audit_record(
        action="prebook.line_deleted",
        obj=prebook,
        actor_label=actor_label,
        changes={"line": [item_id, None]},
    )
    if vendor is not None and vendor.is_axerrio:
        _push_prebook_change(prebook=prebook, vendor=vendor)
    return None


def _push_prebook_change(*, prebook: Prebook, vendor: Vendor, cancelled: bool = False) -> None:
    from api.komet import prebook_payload, prebook_queryset
    from sync.models import ExchangeKind
    from sync.services import outbox_push

    fresh = prebook_queryset().get(pk=prebook.pk)
    outbox_push(
        kind=ExchangeKind.PREBOOK_CANCELLED if cancelled else ExchangeKind.PREBOOK_CHANGED,
        vendor=vendor,
        prebook=fresh,
        payload_data=prebook_payload(fresh, vendor=vendor),
    )


def prebook_remove(*, prebook_id: int, actor_label: str) -> None:
    """Handle `prebook.delete` (company token): delete a prebook no PO line refers to."""
    prebook = Prebook.objects.select_for_update().filter(pk=prebook_id).first()
    if prebook is None:
        raise IntakeError(f"prebookId: no prebook with id {prebook_id}.", kind="not_found")
    # The PO create methods lock the prebook lines they link, so locking them here too
    # serialises a delete and a PO create. After the lock, the check below reads a PO line
    # committed meanwhile, and a PO create that waited for this delete finds no line.
    line_ids = list(
        PrebookItem.objects.select_for_update()
        .filter(prebook=prebook)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if _on_purchase_order(line_ids):
        raise IntakeError(
            f"prebookId: prebook {prebook.number} has lines on purchase orders; "
            "delete those PO lines first.",
            kind="conflict",
        )
    farms = Vendor.objects.filter(prebook_items__prebook=prebook, is_axerrio=True).distinct()
    for vendor in farms:
        _push_prebook_change(prebook=prebook, vendor=vendor, cancelled=True)
    audit_record(action="prebook.api_delete", obj=prebook, actor_label=actor_label)
    PurchaseOrderItem.objects.filter(prebook_item__prebook=prebook).update(prebook_item=None)
    PurchaseOrderBreakdown.objects.filter(prebook_item__prebook=prebook).update(prebook_item=None)
    prebook.delete()
