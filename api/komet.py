"""Komet payload builders: the JSON shapes of `purchase.order.list` and `prebook.details.list`.

Pushes to farms carry exactly these payloads, so a farm that polls and a farm that
receives pushes see the same data. The builders read only related objects loaded by
`purchase_order_queryset()` and `prebook_queryset()`, so a list of any size costs a fixed
number of queries. Called on a bare instance they still work, at a few queries each.
"""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from catalog.models import Vendor
from orders.models import (
    Box,
    Prebook,
    PrebookBreakdown,
    PrebookItem,
    PurchaseOrder,
    PurchaseOrderBreakdown,
    PurchaseOrderItem,
)

DATE_FORMAT = "%Y-%m-%d"
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def _number(value: Decimal | int | None) -> float | int | None:
    """Return a JSON number: Komet sends costs and prices as numbers, not strings."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    return value


def _date(value) -> str | None:
    return value.strftime(DATE_FORMAT) if value else None


def _datetime(value) -> str | None:
    # Stored in UTC (USE_TZ), which is the GMT that `updatedAsOf` filters compare with.
    return value.strftime(DATETIME_FORMAT) if value else None


def _product_fields(line: Any) -> dict[str, Any]:
    """Return productId/productCode/productDescription for an order line or breakdown.

    A line received with a farm code shows the farm's code and description, so the farm
    recognises its own product. Lines entered in the portal show the catalogue code
    (`legacyCode`).
    """
    product = line.product
    farm_code = line.vendor_product
    if farm_code is not None:
        code = farm_code.code
        description = farm_code.description or (product.description if product else farm_code.code)
    elif product is not None:
        code, description = product.legacy_code, product.description
    else:
        code, description = "", ""
    return {
        "productId": product.pk if product else None,
        "productCode": code,
        "productDescription": description,
    }


def _box_type_code(line: PrebookItem | PurchaseOrderItem) -> str:
    if line.box_type is not None:
        return line.box_type.code
    if line.vendor_box_type is not None:
        return line.vendor_box_type.code
    return ""


# --- purchase.order.list -------------------------------------------------------------------


def purchase_order_queryset(*, lines: Q | None = None) -> QuerySet[PurchaseOrder]:
    """Return POs with every relation `purchase_order_payload` reads, loaded in bulk.

    Products, box types and prebook lines are prefetched rather than joined: many PO
    lines share them, and a prefetch builds each shared row once instead of once per line.
    `lines`, a filter on PurchaseOrderItem, limits the lines loaded (and so the PO's
    `details[]` and totals) to the matching ones. It does not limit the POs themselves.
    """
    live = PurchaseOrderItem.objects.exclude(status=PurchaseOrderItem.Status.DELETED)
    if lines is not None:
        live = live.filter(lines)
    prebook_items = PrebookItem.objects.select_related(
        "prebook__customer", "prebook__carrier"
    ).only(
        "id",
        "prebook__id",
        "prebook__number",
        "prebook__truck_date",
        "prebook__customer__id",
        "prebook__customer__name",
        "prebook__carrier__id",
        "prebook__carrier__name",
    )
    return PurchaseOrder.objects.select_related("vendor", "carrier").prefetch_related(
        Prefetch("items", queryset=live, to_attr="live_items"),
        "live_items__product",
        "live_items__vendor_product",
        "live_items__box_type",
        "live_items__vendor_box_type",
        Prefetch("live_items__prebook_item", queryset=prebook_items),
        Prefetch("live_items__shipped_boxes", queryset=Box.objects.order_by("sequence", "id")),
        Prefetch(
            "live_items__breakdowns",
            queryset=PurchaseOrderBreakdown.objects.select_related("product", "vendor_product"),
        ),
    )


def _po_live_items(po: PurchaseOrder) -> list[PurchaseOrderItem]:
    items = getattr(po, "live_items", None)
    if items is None:
        items = list(
            po.items.exclude(status=PurchaseOrderItem.Status.DELETED).select_related(
                "product",
                "vendor_product",
                "box_type",
                "vendor_box_type",
                "prebook_item__prebook__customer",
                "prebook_item__prebook__carrier",
            )
        )
    return items


def _box_payload(box: Box) -> dict[str, Any]:
    return {
        "boxCode": box.code,
        "lotNumber": box.lot_number,
        "awb": box.awb,
        "houseAWB": box.house_awb,
        "statusName": "Received" if box.received_at else "Shipped",
    }


def _po_breakdown_payload(breakdown: PurchaseOrderBreakdown) -> dict[str, Any]:
    return {
        **_product_fields(breakdown),
        "prebookItemId": breakdown.prebook_item_id,
        "bunches": breakdown.bunches,
        "stemsBunch": breakdown.stems_per_bunch,
        "cost": _number(breakdown.cost),
    }


def purchase_order_item_payload(item: PurchaseOrderItem) -> dict[str, Any]:
    """Return one element of a PO's `details[]`."""
    prebook_item = item.prebook_item
    prebook = prebook_item.prebook if prebook_item else None
    customer = prebook.customer if prebook else None
    carrier = prebook.carrier if prebook else None
    units = item.units_per_box
    return {
        "poItemId": item.pk,
        "prebookItemId": item.prebook_item_id,
        "prebook": prebook.number if prebook else None,
        "prebookTruckDate": _date(prebook.truck_date) if prebook else None,
        "customerId": customer.pk if customer else None,
        "customerName": customer.name if customer else "",
        "carrierId": carrier.pk if carrier else None,
        "carrierName": carrier.name if carrier else "",
        **_product_fields(item),
        "boxType": _box_type_code(item),
        "totalBoxes": item.boxes,
        "units": units,
        "unitType": item.unit_type,
        "totalUnits": units * item.boxes,
        "bunches": item.bunches,
        "stemsBunch": item.stems_per_bunch,
        "unitCost": _number(item.cost),
        "totalCost": _number(item.total_cost),
        "markCode": item.mark_code,
        "notes": item.notes,
        "lineItemStatus": item.get_status_display(),
        "holdReason": item.hold_reason,
        "splitFromPOItemId": item.split_from_id,
        "boxes": [_box_payload(box) for box in item.shipped_boxes.all()],
        "breakdowns": [_po_breakdown_payload(b) for b in item.breakdowns.all()],
    }


def purchase_order_payload(po: PurchaseOrder) -> dict[str, Any]:
    """Return one element of `purchase.order.list`'s `purchaseOrders[]` (deleted lines left out)."""
    details = [purchase_order_item_payload(item) for item in _po_live_items(po)]
    return {
        "id": po.pk,
        "number": po.number,
        "vendorId": po.vendor_id,
        "vendorName": po.vendor.name,
        "origin": po.vendor.port_origin,
        "shipDate": _date(po.ship_date),
        "status": po.status,
        "carrierId": po.carrier_id,
        "carrierName": po.carrier.name if po.carrier else "",
        "totalBoxes": sum(line["totalBoxes"] for line in details),
        "totalCost": round(sum((line["totalCost"] or 0) for line in details), 3),
        "comments": po.comments,
        "createdOn": _datetime(po.created_at),
        "updatedOn": _datetime(po.updated_at),
        "details": details,
    }


# --- prebook.details.list ------------------------------------------------------------------


def prebook_queryset() -> QuerySet[Prebook]:
    """Return prebooks with every relation `prebook_payload` reads, loaded in bulk."""
    items = PrebookItem.objects.select_related(
        "vendor", "product", "vendor_product", "box_type", "vendor_box_type"
    )
    return Prebook.objects.select_related(
        "customer", "vendor_customer", "carrier", "vendor_carrier"
    ).prefetch_related(
        Prefetch("items", queryset=items),
        Prefetch(
            "items__breakdowns",
            queryset=PrebookBreakdown.objects.select_related("product", "vendor_product"),
        ),
    )


def vendor_sees_line(item: PrebookItem, vendor: Vendor) -> bool:
    """Return whether a vendor token is shown this line: its own, with a ship date and a cost."""
    return (
        item.vendor_id == vendor.pk and item.vendor_ship_date is not None and item.cost is not None
    )


def _prebook_breakdown_payload(breakdown: PrebookBreakdown, *, with_price: bool) -> dict[str, Any]:
    data = {
        **_product_fields(breakdown),
        "bunches": breakdown.bunches,
        "stemsBunch": breakdown.stems_per_bunch,
        "cost": _number(breakdown.cost),
    }
    if with_price:
        data["price"] = _number(breakdown.price)
    return data


def prebook_item_payload(item: PrebookItem, *, with_price: bool = True) -> dict[str, Any]:
    """Return one element of a prebook's `details[]`; sales prices only when `with_price`."""
    units = item.units_per_box
    data: dict[str, Any] = {
        "prebookItemId": item.pk,
        "vendorId": item.vendor_id,
        "vendorName": item.vendor.name if item.vendor else "",
        "vendorShipDate": _date(item.vendor_ship_date),
        **_product_fields(item),
        "totalBoxes": item.boxes,
        "boxType": _box_type_code(item),
        "bunches": item.bunches,
        "stemsBunch": item.stems_per_bunch,
        "units": units,
        "unitType": item.unit_type,
        "totalUnits": units * item.boxes,
        "cost": _number(item.cost),
        "totalCost": _number(item.total_cost),
        "markCode": item.mark_code,
        "notes": item.notes,
        "holdReason": item.hold_reason,
    }
    if with_price:
        data["unitPrice"] = _number(item.price)
        data["totalPrice"] = _number(item.total_price)
    data["breakdowns"] = [
        _prebook_breakdown_payload(b, with_price=with_price) for b in item.breakdowns.all()
    ]
    return data


def prebook_payload(
    prebook: Prebook,
    *,
    vendor: Vendor | None = None,
    lines: Iterable[PrebookItem] | None = None,
) -> dict[str, Any]:
    """Return one element of `prebook.details.list`'s `prebooks[]`.

    With `vendor`, only that farm's lines that have a vendor ship date and a cost are
    shown, without sales prices. `lines` overrides the line selection (the list method
    passes the lines its filters kept).
    """
    with_price = vendor is None
    if lines is None:
        lines = prebook.items.all()
        if vendor is not None:
            lines = [item for item in lines if vendor_sees_line(item, vendor)]
    details = [prebook_item_payload(item, with_price=with_price) for item in lines]
    customer, carrier = prebook.customer, prebook.carrier
    data: dict[str, Any] = {
        "id": prebook.pk,
        "number": prebook.number,
        "type": "P",
        "status": prebook.get_status_display(),
        "customerId": customer.pk if customer else None,
        "customerCode": customer.code if customer else _farm_code(prebook.vendor_customer),
        "customerName": customer.name if customer else _farm_name(prebook.vendor_customer),
        "truckDate": _date(prebook.truck_date),
        "customerPONumber": prebook.customer_po,
        "carrierId": carrier.pk if carrier else None,
        "carrierName": carrier.name if carrier else _farm_name(prebook.vendor_carrier),
        "shipVia": prebook.ship_via,
        "isEcommerce": int(prebook.is_ecommerce),
        "comments": prebook.comments,
        "createdOn": _datetime(prebook.created_at),
        "updatedOn": _datetime(prebook.updated_at),
        "details": details,
    }
    if with_price:
        data["totalPrice"] = round(sum((line["totalPrice"] or 0) for line in details), 3)
    return data


def _farm_code(row: Any) -> str:
    return row.code if row is not None else ""


def _farm_name(row: Any) -> str:
    if row is None:
        return ""
    return row.description or row.code
