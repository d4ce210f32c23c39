"""Hold reasons of order lines with an unmapped farm code, and the counts on their headers."""

from django.db.models import Count, Q

from mapping.models import HoldReason
from orders.models import Prebook, PrebookItem, PurchaseOrder, PurchaseOrderItem


def prebook_item_hold_reason(item: PrebookItem) -> str:
    """Return the first reason the line cannot move on, or '' when the line is free to go."""
    prebook = item.prebook
    if prebook.customer_id is None and prebook.vendor_customer_id is not None:
        return HoldReason.CUSTOMER_NOT_MAPPED
    if prebook.carrier_id is None and prebook.vendor_carrier_id is not None:
        return HoldReason.CARRIER_NOT_MAPPED
    if item.product_id is None:
        return HoldReason.PRODUCT_NOT_MAPPED
    if item.box_type_id is None and item.vendor_box_type_id is not None:
        return HoldReason.BOX_TYPE_NOT_MAPPED
    return HoldReason.NONE


def po_item_hold_reason(item: PurchaseOrderItem) -> str:
    po = item.purchase_order
    if po.carrier_id is None and po.vendor_carrier_id is not None:
        return HoldReason.CARRIER_NOT_MAPPED
    if item.product_id is None:
        return HoldReason.PRODUCT_NOT_MAPPED
    if item.box_type_id is None and item.vendor_box_type_id is not None:
        return HoldReason.BOX_TYPE_NOT_MAPPED
    return HoldReason.NONE


def prebook_refresh_holds(prebook: Prebook) -> int:
    """Recompute every line's hold reason and the prebook's held-line count; return the count."""
    held = 0
    for item in prebook.items.select_related("prebook"):
        reason = prebook_item_hold_reason(item)
        if reason != item.hold_reason:
            PrebookItem.objects.filter(pk=item.pk).update(hold_reason=reason)
        held += bool(reason)
    Prebook.objects.filter(pk=prebook.pk).update(held_line_count=held)
    prebook.held_line_count = held
    return held


def held_count_store_new(document: Prebook | PurchaseOrder, items: list) -> int:
    """Store the held-line count of a document just created with exactly `items`.

    Each item's `hold_reason` must already be set, as the intake services do before
    `bulk_create`, so nothing is read back. Returns the count.
    """
    held_lines = sum(1 for item in items if item.hold_reason)
    if held_lines != document.held_line_count:
        type(document).objects.filter(pk=document.pk).update(held_line_count=held_lines)
        document.held_line_count = held_lines
    return held_lines


def purchase_order_refresh_holds(po: PurchaseOrder) -> int:
    held = 0
    for item in po.items.select_related("purchase_order").exclude(
        status=PurchaseOrderItem.Status.DELETED
    ):
        reason = po_item_hold_reason(item)
        if reason != item.hold_reason:
            PurchaseOrderItem.objects.filter(pk=item.pk).update(hold_reason=reason)
        held += bool(reason)
    PurchaseOrder.objects.filter(pk=po.pk).update(held_line_count=held)
    po.held_line_count = held
    return held


def held_counts_by_prebook(prebook_ids: list[int]) -> dict[int, int]:
    rows = (
        PrebookItem.objects.filter(prebook_id__in=prebook_ids)
        .values("prebook_id")
        .annotate(held=Count("id", filter=~Q(hold_reason="")))
    )
    return {row["prebook_id"]: row["held"] for row in rows}
