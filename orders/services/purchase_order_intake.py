"""Purchase orders received through the Komet-compatible API.

`purchase.order.create`, `purchase.order.mixed.create` and `purchase.order.item.delete`.
The services take the validated request (Komet's field names) and the calling farm
(`farm`, None for a company token), write in the caller's transaction, and raise
`IntakeError` before writing anything when a reference is wrong.
"""

import logging
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings

from audit.services import audit_record
from catalog.models import Vendor
from orders.models import (
    Prebook,
    PrebookItem,
    PurchaseOrder,
    PurchaseOrderBreakdown,
    PurchaseOrderItem,
    Source,
    UnitType,
)
from orders.services.codes import BOX_TYPE, CARRIER, PRODUCT, CodeResolver, IntakeError, code_ref
from orders.services.dates import order_date_check
from orders.services.holds import (
    held_count_store_new,
    po_item_hold_reason,
    purchase_order_refresh_holds,
)
from orders.services.intake import (
    LineOutcome,
    PurchaseOrderIntakeResult,
    _boxes_already_ordered,
    _unit_type,
    line_message,
)
from orders.services.numbers import purchase_order_number_next
from orders.services.purchase_orders import (
    TransitionError,
    purchase_order_approve,
    purchase_order_transition,
)

logger = logging.getLogger(__name__)


def _po_vendor(farm: Vendor | None, data: dict[str, Any]) -> Vendor:
    if farm is not None:
        return farm
    if data.get("vendorId") is not None and data.get("vendorCode"):
        raise IntakeError("vendorId / vendorCode: send one of them, not both.")
    if data.get("vendorId") is not None:
        vendor = Vendor.objects.filter(pk=data["vendorId"]).first()
        if vendor is None:
            raise IntakeError(f"vendorId: no vendor with id {data['vendorId']}.", kind="not_found")
        return vendor
    if data.get("vendorCode"):
        vendor = Vendor.objects.filter(code=data["vendorCode"]).first()
        if vendor is None:
            raise IntakeError(
                f"vendorCode: no vendor with code {data['vendorCode']!r}.", kind="not_found"
            )
        return vendor
    raise IntakeError("vendorId: required with a company token, or vendorCode.")


def _prebook_items_for(
    vendor: Vendor, requested: dict[str, int], *, with_products: bool = False
) -> dict[int, PrebookItem]:
    """Load the prebook lines named by `requested` (path → id); other vendors' lines are absent.

    `with_products` also loads each line's product and farm product code rows, for callers
    that read them as objects. A plain PO line copies only their ids.
    """
    if not requested:
        return {}
    related = ["prebook"]
    if with_products:
        related += ["product", "vendor_product"]
    # Locked, so two requests cannot both order the last boxes of one prebook line.
    found = (
        PrebookItem.objects.select_related(*related)
        .select_for_update(of=("self",))
        .in_bulk(set(requested.values()))
    )
    for path, item_id in requested.items():
        item = found.get(item_id)
        # Another vendor's line is reported exactly like a line that does not exist.
        if item is None or item.vendor_id != vendor.pk:
            raise IntakeError(f"{path}: no prebook line with id {item_id}.", kind="not_found")
        if item.prebook.status != Prebook.Status.OPEN:
            raise IntakeError(
                f"{path}: prebook {item.prebook.number} is cancelled.", kind="conflict"
            )
    return found


def _raise_if_over_ordered(
    *,
    path: str,
    prebook_item: PrebookItem,
    boxes: int,
    ordered: dict[int, tuple[int, list[str]]],
) -> None:
    """Raise a conflict when `boxes` more boxes exceed what is left of `prebook_item`."""
    already, numbers = ordered.get(prebook_item.pk, (0, []))
    if already + boxes <= prebook_item.boxes:
        return
    left = max(prebook_item.boxes - already, 0)
    has = f"{path}: prebook line {prebook_item.pk} has {prebook_item.boxes} box(es)"
    if not numbers:
        raise IntakeError(f"{has}; at most {left} can be ordered, not {boxes}.", kind="conflict")
    raise IntakeError(
        f"{has} and {already} are already on PO {', '.join(numbers)}; "
        f"at most {left} more can be ordered, not {boxes}.",
        kind="conflict",
    )


def _check_not_over_ordered(
    lines: list[dict[str, Any]], prebook_items: dict[int, PrebookItem]
) -> None:
    """Raise IntakeError when a request lists a prebook line twice or orders boxes it lacks.

    Without this check a farm that retries, or polls again after a restart, would order
    the same prebook line once more, and the extra PO could even be approved automatically.
    """
    seen: dict[int, str] = {}
    ordered = _boxes_already_ordered(set(prebook_items))
    for index, line in enumerate(lines):
        item_id = line.get("prebookItemId")
        if item_id is None:
            continue
        path = f"purchaseOrderItems[{index}].prebookItemId"
        if item_id in seen:
            raise IntakeError(
                f"{path}: prebook line {item_id} is already listed at {seen[item_id]}; "
                "list each prebook line once.",
                kind="conflict",
            )
        seen[item_id] = path
        prebook_item = prebook_items[item_id]
        _raise_if_over_ordered(
            path=path,
            prebook_item=prebook_item,
            boxes=line.get("boxes") or prebook_item.boxes,
            ordered=ordered,
        )


def _mixed_line_links(index: int, line: dict[str, Any]) -> dict[int, str]:
    """Map each prebook line a mixed box line links to the first field path that links it."""
    links: dict[int, str] = {}
    path = f"purchaseOrderItems[{index}]"
    if line.get("prebookItemId") is not None:
        links[line["prebookItemId"]] = f"{path}.prebookItemId"
    for b, breakdown in enumerate(line["breakdowns"]):
        if breakdown.get("prebookItemId") is not None:
            links.setdefault(breakdown["prebookItemId"], f"{path}.breakdowns[{b}].prebookItemId")
    return links


def _check_mixed_not_over_ordered(
    lines: list[dict[str, Any]], prebook_items: dict[int, PrebookItem]
) -> None:
    """Raise IntakeError when mixed box lines order more boxes of a prebook line than it has.

    A box line's `boxes` count once against each distinct prebook line that the box line
    or any of its breakdowns links. Box lines of one request that link the same prebook
    line add up, because a farm may pack one mixed prebook line into several kinds of box.
    """
    ordered = _boxes_already_ordered(set(prebook_items))
    requested: dict[int, int] = {}
    for index, line in enumerate(lines):
        for item_id, path in _mixed_line_links(index, line).items():
            requested[item_id] = requested.get(item_id, 0) + line["boxes"]
            _raise_if_over_ordered(
                path=path,
                prebook_item=prebook_items[item_id],
                boxes=requested[item_id],
                ordered=ordered,
            )


def _target_purchase_order(
    *, vendor: Vendor, data: dict[str, Any], carrier: Any
) -> tuple[PurchaseOrder, bool]:
    number = data.get("purchaseOrderNumber")
    if number:
        po = PurchaseOrder.objects.select_for_update().filter(number=number, vendor=vendor).first()
        if po is None:
            raise IntakeError(
                f"purchaseOrderNumber: no PO with number {number!r} for this vendor.",
                kind="not_found",
            )
        if po.status != PurchaseOrder.Status.PENDING_APPROVAL:
            raise IntakeError(
                f"purchaseOrderNumber: PO {number} is {po.status}; lines can be added only "
                "while it is Pending Approval.",
                kind="conflict",
            )
        return po, False
    po = PurchaseOrder.objects.create(
        number=purchase_order_number_next(),
        vendor=vendor,
        ship_date=data["shipDate"],
        carrier=carrier.record,
        vendor_carrier=carrier.farm_code if carrier.record is None else None,
        comments=data.get("comments") or "",
        source=Source.API,
    )
    return po, True


def _matches_portal_prebook(item: PurchaseOrderItem, vendor: Vendor) -> bool:
    line = item.prebook_item
    return (
        line is not None
        and line.prebook.source == Source.PORTAL
        and line.vendor_id == vendor.pk
        and line.box_type_id is not None
        and line.box_type_id == item.box_type_id
        and line.boxes == item.boxes
        and line.bunches == item.bunches
        and line.stems_per_bunch == item.stems_per_bunch
        and line.unit_type == item.unit_type
    )


def _finish_purchase_order(
    *,
    po: PurchaseOrder,
    created: bool,
    farm: Vendor | None,
    items: list[PurchaseOrderItem],
    actor_label: str,
) -> bool:
    """Count held lines, audit, and auto-approve a farm's PO that matches portal prebooks."""
    if created:
        held_count_store_new(po, items)
    else:
        purchase_order_refresh_holds(po)
    audit_record(
        action="purchase_order.api_create" if created else "purchase_order.api_add_lines",
        obj=po,
        actor_label=actor_label,
        changes={"lines": [None, len(items)]},
    )
    if not (created and farm is not None and settings.AUTO_APPROVE_MATCHING_POS):
        return False
    if not items or not all(_matches_portal_prebook(item, po.vendor) for item in items):
        return False
    try:
        purchase_order_approve(po=po, actor=None, actor_label="auto-approval")
    except TransitionError as error:
        logger.info("PO %s not auto-approved: %s", po.number, error)
        return False
    po.refresh_from_db()
    return True


def purchase_order_intake(
    *, farm: Vendor | None, data: dict[str, Any], actor_label: str
) -> PurchaseOrderIntakeResult:
    """Create a PO (or add lines to a Pending Approval one) from `purchase.order.create`.

    A line linked to a prebook line takes that line's product, box type, unit type,
    bunches, stems per bunch, cost and mark code for every field the request leaves out.
    """
    vendor = _po_vendor(farm, data)
    order_date_check("shipDate", data.get("shipDate"))
    resolver = CodeResolver(farm=farm)
    carrier_ref = resolver.add(code_ref(CARRIER, "carrier", data))
    lines = data["purchaseOrderItems"]
    refs = []
    requested: dict[str, int] = {}
    for index, line in enumerate(lines):
        path = f"purchaseOrderItems[{index}]"
        product_ref = resolver.add(code_ref(PRODUCT, f"{path}.product", line))
        box_ref = resolver.add(code_ref(BOX_TYPE, f"{path}.boxType", line))
        if line.get("prebookItemId") is not None:
            requested[f"{path}.prebookItemId"] = line["prebookItemId"]
        elif product_ref.is_empty:
            raise IntakeError(
                f"{path}: prebookItemId, or productId / productCode / productDescription, "
                "is required."
            )
        refs.append((product_ref, box_ref))
    prebook_items = _prebook_items_for(vendor, requested)
    _check_not_over_ordered(lines, prebook_items)
    resolver.resolve()
    carrier = resolver.get(carrier_ref)
    po, created = _target_purchase_order(vendor=vendor, data=data, carrier=carrier)

    items: list[PurchaseOrderItem] = []
    for index, (line, (product_ref, box_ref)) in enumerate(zip(lines, refs, strict=True)):
        path = f"purchaseOrderItems[{index}]"
        linked = prebook_items.get(line["prebookItemId"]) if line.get("prebookItemId") else None
        item = _po_item_from_line(po=po, line=line, linked=linked, path=path)
        if not product_ref.is_empty:
            product = resolver.get(product_ref)
            # A line linked to a prebook line with a known product keeps that product when
            # the farm's own code for it is not mapped yet, because the link identifies it.
            if product.record is not None or linked is None or linked.product_id is None:
                item.product = product.record
            item.vendor_product = product.farm_code
        if not box_ref.is_empty:
            box_type = resolver.get(box_ref)
            item.box_type, item.vendor_box_type = box_type.record, box_type.farm_code
        _check_box_type(item, path)
        item.hold_reason = po_item_hold_reason(item)
        items.append(item)
    PurchaseOrderItem.objects.bulk_create(items)

    approved = _finish_purchase_order(
        po=po, created=created, farm=farm, items=items, actor_label=actor_label
    )
    outcomes = [
        LineOutcome(
            item=item, message=line_message(item.hold_reason), prebook_item_id=item.prebook_item_id
        )
        for item in items
    ]
    return PurchaseOrderIntakeResult(purchase_order=po, lines=outcomes, approved=approved)


def _check_box_type(item: PurchaseOrderItem, path: str) -> None:
    """Raise IntakeError when a PO line has no box type, neither sent nor from its prebook line.

    A line without one could be approved and shipped with no box size on its labels.
    """
    if item.box_type_id is not None or item.vendor_box_type_id is not None:
        return
    linked = item.prebook_item_id
    reason = f"prebook line {linked} has none either" if linked else "no prebookItemId gives one"
    raise IntakeError(
        f"{path}.boxTypeCode: a box type is required (boxTypeId, boxTypeCode or "
        f"boxTypeDescription), and {reason}."
    )


def _po_item_from_line(
    *, po: PurchaseOrder, line: dict[str, Any], linked: PrebookItem | None, path: str
) -> PurchaseOrderItem:
    def pick(key: str, fallback: Any) -> Any:
        value = line.get(key)
        return fallback if value is None or value == "" else value

    base = linked
    item = PurchaseOrderItem(
        purchase_order=po,
        prebook_item=linked,
        product_id=base.product_id if base else None,
        vendor_product_id=base.vendor_product_id if base else None,
        box_type_id=base.box_type_id if base else None,
        vendor_box_type_id=base.vendor_box_type_id if base else None,
        unit_type=_unit_type(pick("unitType", base.unit_type if base else UnitType.STEM)),
        boxes=pick("boxes", base.boxes if base else None),
        bunches=pick("bunches", base.bunches if base else None),
        stems_per_bunch=pick("stemsBunch", base.stems_per_bunch if base else None),
        cost=pick("cost", base.cost if base else None),
        mark_code=pick("markCode", base.mark_code if base else ""),
        notes=line.get("notes") or "",
    )
    if not item.boxes:
        raise IntakeError(f"{path}.boxes: required (at least 1) when no prebook line gives it.")
    if not item.bunches:
        raise IntakeError(f"{path}.bunches: required (at least 1) when no prebook line gives it.")
    return item


def _quantize(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


def purchase_order_mixed_intake(
    *, farm: Vendor | None, data: dict[str, Any], actor_label: str
) -> PurchaseOrderIntakeResult:
    """Create a PO of mixed boxes from `purchase.order.mixed.create`.

    Each `purchaseOrderItems[]` entry is a box line (product, box type, boxes, unit type)
    with `breakdowns[]` (product, bunches, stems per bunch, cost, optional prebook line).
    The box line's bunches are the sum of its breakdowns' bunches, and its unit cost is
    the breakdowns' cost per box divided by the box's units.
    """
    vendor = _po_vendor(farm, data)
    order_date_check("shipDate", data.get("shipDate"))
    resolver = CodeResolver(farm=farm)
    carrier_ref = resolver.add(code_ref(CARRIER, "carrier", data))
    lines = data["purchaseOrderItems"]
    requested: dict[str, int] = {}
    refs = []
    for index, line in enumerate(lines):
        path = f"purchaseOrderItems[{index}]"
        if line.get("prebookItemId") is not None:
            requested[f"{path}.prebookItemId"] = line["prebookItemId"]
        breakdown_refs = []
        for b, breakdown in enumerate(line["breakdowns"]):
            bpath = f"{path}.breakdowns[{b}]"
            ref = resolver.add(code_ref(PRODUCT, f"{bpath}.product", breakdown))
            if breakdown.get("prebookItemId") is not None:
                requested[f"{bpath}.prebookItemId"] = breakdown["prebookItemId"]
            elif ref.is_empty:
                raise IntakeError(
                    f"{bpath}: prebookItemId, or productId / productCode / productDescription, "
                    "is required."
                )
            breakdown_refs.append(ref)
        refs.append(
            (
                resolver.add(code_ref(PRODUCT, f"{path}.product", line)),
                resolver.add(code_ref(BOX_TYPE, f"{path}.boxType", line)),
                breakdown_refs,
            )
        )
    prebook_items = _prebook_items_for(vendor, requested, with_products=True)
    _check_mixed_not_over_ordered(lines, prebook_items)
    resolver.resolve()
    po, created = _target_purchase_order(
        vendor=vendor, data=data, carrier=resolver.get(carrier_ref)
    )

    items: list[PurchaseOrderItem] = []
    breakdown_rows: list[tuple[PurchaseOrderItem, PurchaseOrderBreakdown]] = []
    for index, (line, (product_ref, box_ref, breakdown_refs)) in enumerate(
        zip(lines, refs, strict=True)
    ):
        item, rows = _mixed_box_line(
            po=po,
            line=line,
            resolver=resolver,
            prebook_items=prebook_items,
            product_ref=product_ref,
            box_ref=box_ref,
            breakdown_refs=breakdown_refs,
        )
        path = f"purchaseOrderItems[{index}]"
        _check_box_type(item, path)
        _check_breakdowns(item, rows, path)
        item.hold_reason = po_item_hold_reason(item)
        items.append(item)
        breakdown_rows += [(item, row) for row in rows]
    PurchaseOrderItem.objects.bulk_create(items)
    for item, row in breakdown_rows:
        row.po_item = item
    PurchaseOrderBreakdown.objects.bulk_create([row for _item, row in breakdown_rows])

    approved = _finish_purchase_order(
        po=po, created=created, farm=farm, items=items, actor_label=actor_label
    )
    outcomes = [
        LineOutcome(
            item=item, message=line_message(item.hold_reason), prebook_item_id=item.prebook_item_id
        )
        for item in items
    ]
    return PurchaseOrderIntakeResult(purchase_order=po, lines=outcomes, approved=approved)


def _mixed_breakdown(
    *,
    breakdown: dict[str, Any],
    ref: Any,
    resolver: CodeResolver,
    prebook_items: dict[int, PrebookItem],
) -> PurchaseOrderBreakdown:
    """Build one breakdown; a linked prebook line fills the product, stems and cost left out."""
    linked = None
    if breakdown.get("prebookItemId"):
        linked = prebook_items.get(breakdown["prebookItemId"])
    row = PurchaseOrderBreakdown(
        prebook_item=linked,
        bunches=breakdown["bunches"],
        stems_per_bunch=breakdown.get("stemsBunch"),
        cost=breakdown.get("cost"),
    )
    if not ref.is_empty:
        product = resolver.get(ref)
        row.product, row.vendor_product = product.record, product.farm_code
    elif linked is not None:
        row.product, row.vendor_product = linked.product, linked.vendor_product
    if linked is not None:
        if row.stems_per_bunch is None:
            row.stems_per_bunch = linked.stems_per_bunch
        if row.cost is None:
            row.cost = linked.cost
    return row


def _check_breakdowns(
    item: PurchaseOrderItem, rows: list[PurchaseOrderBreakdown], path: str
) -> None:
    """Raise IntakeError when a breakdown lacks the cost or stems per bunch its box needs.

    A breakdown without a cost would count as free in the box's unit cost. In a box sold
    by the stem, a breakdown without stems per bunch has no units, so the box's unit cost
    cannot be computed. A linked prebook line may give either value.
    """
    for index, row in enumerate(rows):
        bpath = f"{path}.breakdowns[{index}]"
        if row.prebook_item is not None:
            source = f"prebook line {row.prebook_item.pk} has none either"
        else:
            source = "no prebookItemId gives one"
        if item.unit_type == UnitType.STEM and row.stems_per_bunch is None:
            raise IntakeError(
                f"{bpath}.stemsBunch: required (at least 1) when unitType is Stem, and {source}."
            )
        if item.unit_type == UnitType.STEM and row.stems_per_bunch < 1:
            raise IntakeError(
                f"{bpath}.stemsBunch: must be at least 1 when unitType is Stem. "
                f"Received {row.stems_per_bunch}."
            )
        if row.cost is None:
            raise IntakeError(f"{bpath}.cost: required, and {source}.")


def _mixed_box_line(
    *,
    po: PurchaseOrder,
    line: dict[str, Any],
    resolver: CodeResolver,
    prebook_items: dict[int, PrebookItem],
    product_ref: Any,
    box_ref: Any,
    breakdown_refs: list[Any],
) -> tuple[PurchaseOrderItem, list[PurchaseOrderBreakdown]]:
    rows = [
        _mixed_breakdown(
            breakdown=breakdown, ref=ref, resolver=resolver, prebook_items=prebook_items
        )
        for breakdown, ref in zip(line["breakdowns"], breakdown_refs, strict=True)
    ]

    unit_type = _unit_type(line.get("unitType"))
    bunches = sum(row.bunches for row in rows)
    stems = sum(row.bunches * (row.stems_per_bunch or 0) for row in rows)
    stems_per_bunch = round(stems / bunches) if bunches and stems else None
    per_box_cost = Decimal("0")
    for row in rows:
        row_units = row.bunches
        if unit_type == UnitType.STEM:
            row_units = row.bunches * (row.stems_per_bunch or 0)
        per_box_cost += (row.cost or Decimal("0")) * row_units
    units = stems if unit_type == UnitType.STEM else bunches
    linked_box = prebook_items.get(line["prebookItemId"]) if line.get("prebookItemId") else None
    linked_box = linked_box or next((row.prebook_item for row in rows if row.prebook_item), None)
    box_type = resolver.get(box_ref)
    if product_ref.is_empty:
        # A mixed box without a product of its own is held until one is given.
        product = resolver.get(product_ref)
        product.record = rows[0].product if len({row.product_id for row in rows}) == 1 else None
        product.farm_code = rows[0].vendor_product if product.record is None else None
    else:
        product = resolver.get(product_ref)
    item = PurchaseOrderItem(
        purchase_order=po,
        prebook_item=linked_box,
        product=product.record,
        vendor_product=product.farm_code,
        box_type=box_type.record,
        vendor_box_type=box_type.farm_code,
        unit_type=unit_type,
        boxes=line["boxes"],
        bunches=bunches,
        stems_per_bunch=stems_per_bunch,
        cost=_quantize(per_box_cost / units) if units else None,
        mark_code=line.get("markCode") or "",
        notes=line.get("notes") or "",
    )
    if box_ref.is_empty and linked_box is not None:
        # Like a plain PO line, a box line linked to a prebook line takes its box type.
        item.box_type_id = linked_box.box_type_id
        item.vendor_box_type_id = linked_box.vendor_box_type_id
    return item, rows


# --- purchase.order.item.delete -----------------------------------------------------------


def purchase_order_item_remove(
    *, farm: Vendor | None, item_id: int, actor_label: str
) -> PurchaseOrderItem:
    """Handle `purchase.order.item.delete`: mark an open line deleted (kept for the record)."""
    item = (
        PurchaseOrderItem.objects.select_for_update(of=("self",))
        .select_related("purchase_order")
        .filter(pk=item_id)
        .first()
    )
    if (
        item is None
        or item.status == PurchaseOrderItem.Status.DELETED
        or (farm is not None and item.purchase_order.vendor_id != farm.pk)
    ):
        raise IntakeError(f"poItemId: no PO line with id {item_id}.", kind="not_found")
    if item.status == PurchaseOrderItem.Status.SHIPPED:
        raise IntakeError(f"poItemId: line {item_id} is already shipped.", kind="conflict")
    po = item.purchase_order
    item.status = PurchaseOrderItem.Status.DELETED
    item.save(update_fields=["status", "updated_at"])
    purchase_order_refresh_holds(po)
    audit_record(
        action="purchase_order.line_deleted",
        obj=po,
        actor_label=actor_label,
        changes={f"line {item.pk}": ["open", "deleted"]},
    )
    purchase_order_ship_if_complete(po=po, actor_label=actor_label)
    return item


def purchase_order_ship_if_complete(*, po: PurchaseOrder, actor_label: str) -> bool:
    """Move an approved PO to Shipped once every line that is not deleted has shipped."""
    lines = po.items.exclude(status=PurchaseOrderItem.Status.DELETED)
    if not lines.exists() or lines.filter(status=PurchaseOrderItem.Status.OPEN).exists():
        return False
    po.refresh_from_db(fields=["status"])
    if po.status not in (PurchaseOrder.Status.APPROVED, PurchaseOrder.Status.CONFIRMED):
        return False
    try:
        purchase_order_transition(
            po=po,
            to_status=PurchaseOrder.Status.SHIPPED,
            actor_label=actor_label,
            reason="Every line was shipped by the farm.",
        )
    except TransitionError as error:
        logger.warning("PO %s not moved to Shipped: %s", po.number, error)
        return False
    return True
