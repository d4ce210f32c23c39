"""Reads of shipped boxes shared by the label downloads, the scan page and the reports."""

import datetime

from django.db.models import Q, QuerySet

from orders.models import Box

# Relations every box list needs for its vendor, PO, product and box type columns.
BOX_LIST_RELATED = (
    "po_item__purchase_order__vendor",
    "po_item__product",
    "po_item__vendor_product",
    "po_item__box_type",
    "po_item__vendor_box_type",
    "received_by",
)

# Shipment order: by vendor, PO, PO line and the box's position on the line.
BOX_SHIPMENT_ORDER = (
    "po_item__purchase_order__vendor__name",
    "po_item__purchase_order__number",
    "po_item_id",
    "sequence",
    "id",
)


def boxes_for_purchase_order(*, purchase_order_id: int) -> QuerySet[Box]:
    return Box.objects.filter(po_item__purchase_order_id=purchase_order_id).order_by(
        *BOX_SHIPMENT_ORDER
    )


def boxes_for_awb(*, awb: str) -> QuerySet[Box]:
    """Boxes whose master AWB is ``awb`` (11 digits, as stored)."""
    return Box.objects.filter(awb=awb).order_by(*BOX_SHIPMENT_ORDER)


def boxes_for_ship_date(*, ship_date: datetime.date) -> QuerySet[Box]:
    """Boxes shipped on ``ship_date``: the box's own date, or its PO's when the box has none."""
    return Box.objects.filter(
        Q(ship_date=ship_date)
        | Q(ship_date__isnull=True, po_item__purchase_order__ship_date=ship_date)
    ).order_by(*BOX_SHIPMENT_ORDER)


def boxes_for_ids(*, box_ids: list[int]) -> QuerySet[Box]:
    return Box.objects.filter(pk__in=box_ids).order_by(*BOX_SHIPMENT_ORDER)
