"""Komet payload builders: the JSON shapes of `purchase.order.list` and `prebook.details.list`.

Pushes to farms carry exactly these payloads, so a farm that polls and a farm that
receives pushes see the same data: `purchase_order_payload()` and `prebook_payload()` run
the list builders on one document. The builders read plain `.values()` rows (documents,
lines with the columns of their related rows joined in, boxes, breakdowns) and join them
in Python, so a list of any size costs four queries and builds no model instances.
"""

from collections import defaultdict
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet

from catalog.models import Vendor
from orders.models import (
    Box,
    Prebook,
    PrebookBreakdown,
    PrebookItem,
    PriceMath,
    PurchaseOrder,
    PurchaseOrderBreakdown,
    PurchaseOrderItem,
)

DATE_FORMAT = "%Y-%m-%d"
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
ZERO = Decimal("0")

Row = Mapping[str, Any]

# The columns `_product_fields` reads, on an order line or a breakdown.
PRODUCT_COLUMNS = (
    "product_id",
    "product__legacy_code",
    "product__description",
    "vendor_product_id",
    "vendor_product__code",
    "vendor_product__description",
)
# The columns `_box_type_code` reads, on an order line.
BOX_TYPE_COLUMNS = ("box_type_id", "box_type__code", "vendor_box_type_id", "vendor_box_type__code")
# The columns `units_per_box` reads, on an order line.
UNIT_COLUMNS = ("unit_type", "boxes", "bunches", "stems_per_bunch")


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


def _display(choices: list[tuple[Any, str]]) -> Callable[[Any], str]:
    """Return a lookup from stored value to label that falls back to the value, as Django's
    `get_FOO_display()` does."""
    labels = {value: str(label) for value, label in choices}
    return lambda value: labels.get(value, value)


def _product_fields(row: Row) -> dict[str, Any]:
    """Return productId/productCode/productDescription for an order line or breakdown row.

    A line received with a farm code shows the farm's code and description, so the farm
    recognises its own product. Lines entered in the portal show the catalogue code
    (`legacyCode`).
    """
    product_id = row["product_id"]
    if row["vendor_product_id"] is not None:
        code = row["vendor_product__code"]
        description = row["vendor_product__description"] or (
            row["product__description"] if product_id is not None else code
        )
    elif product_id is not None:
        code, description = row["product__legacy_code"], row["product__description"]
    else:
        code, description = "", ""
    return {"productId": product_id, "productCode": code, "productDescription": description}


def _box_type_code(row: Row) -> str:
    if row["box_type_id"] is not None:
        return row["box_type__code"]
    if row["vendor_box_type_id"] is not None:
        return row["vendor_box_type__code"]
    return ""


def _units_per_box(row: Row) -> int:
    return PriceMath.units_per_box(row["unit_type"], row["bunches"], row["stems_per_bunch"])


def _group(rows: QuerySet, key: str) -> dict[int, list[dict[str, Any]]]:
    """Return the rows grouped by the `key` column, in query order within each group."""
    groups: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[row[key]].append(row)
    return groups


# --- purchase.order.list -------------------------------------------------------------------

PO_COLUMNS = (
    "id",
    "number",
    "vendor_id",
    "vendor__name",
    "vendor__port_origin",
    "ship_date",
    "status",
    "carrier_id",
    "carrier__name",
    "comments",
    "created_at",
    "updated_at",
)
PO_LINE_COLUMNS = (
    "id",
    "purchase_order_id",
    "prebook_item_id",
    "prebook_item__prebook__number",
    "prebook_item__prebook__truck_date",
    "prebook_item__prebook__customer_id",
    "prebook_item__prebook__customer__name",
    "prebook_item__prebook__carrier_id",
    "prebook_item__prebook__carrier__name",
    *PRODUCT_COLUMNS,
    *BOX_TYPE_COLUMNS,
    *UNIT_COLUMNS,
    "cost",
    "mark_code",
    "notes",
    "status",
    "hold_reason",
    "split_from_id",
)
BOX_COLUMNS = ("po_item_id", "code", "lot_number", "awb", "house_awb", "received_at")
PO_BREAKDOWN_COLUMNS = (
    "po_item_id",
    *PRODUCT_COLUMNS,
    "prebook_item_id",
    "bunches",
    "stems_per_bunch",
    "cost",
)
_po_line_status = _display(PurchaseOrderItem.Status.choices)


def purchase_order_queryset() -> QuerySet[PurchaseOrder]:
    """Return the POs that `purchase_order_payload` accepts.

    The payload reads its own rows by the PO's id, so nothing needs to be loaded here.
    """
    return PurchaseOrder.objects.all()


def _box_payload(row: Row) -> dict[str, Any]:
    return {
        "boxCode": row["code"],
        "lotNumber": row["lot_number"],
        "awb": row["awb"],
        "houseAWB": row["house_awb"],
        "statusName": "Received" if row["received_at"] else "Shipped",
    }


def _po_breakdown_payload(row: Row) -> dict[str, Any]:
    return {
        **_product_fields(row),
        "prebookItemId": row["prebook_item_id"],
        "bunches": row["bunches"],
        "stemsBunch": row["stems_per_bunch"],
        "cost": _number(row["cost"]),
    }


def _po_line_payload(
    line: Row, boxes: list[dict[str, Any]], breakdowns: list[dict[str, Any]]
) -> dict[str, Any]:
    """Return one element of a PO's `details[]` from a PO_LINE_COLUMNS row."""
    has_prebook = line["prebook_item_id"] is not None
    customer_id = line["prebook_item__prebook__customer_id"]
    carrier_id = line["prebook_item__prebook__carrier_id"]
    units = _units_per_box(line)
    return {
        "poItemId": line["id"],
        "prebookItemId": line["prebook_item_id"],
        "prebook": line["prebook_item__prebook__number"] if has_prebook else None,
        "prebookTruckDate": (
            _date(line["prebook_item__prebook__truck_date"]) if has_prebook else None
        ),
        "customerId": customer_id,
        "customerName": (
            line["prebook_item__prebook__customer__name"] if customer_id is not None else ""
        ),
        "carrierId": carrier_id,
        "carrierName": (
            line["prebook_item__prebook__carrier__name"] if carrier_id is not None else ""
        ),
        **_product_fields(line),
        "boxType": _box_type_code(line),
        "totalBoxes": line["boxes"],
        "units": units,
        "unitType": line["unit_type"],
        "totalUnits": units * line["boxes"],
        "bunches": line["bunches"],
        "stemsBunch": line["stems_per_bunch"],
        "unitCost": _number(line["cost"]),
        "totalCost": _number(_po_line_total_cost(line)),
        "markCode": line["mark_code"],
        "notes": line["notes"],
        "lineItemStatus": _po_line_status(line["status"]),
        "holdReason": line["hold_reason"],
        "splitFromPOItemId": line["split_from_id"],
        "boxes": [_box_payload(box) for box in boxes],
        "breakdowns": [_po_breakdown_payload(breakdown) for breakdown in breakdowns],
    }


def _po_line_total_cost(line: Row) -> Decimal:
    return (line["cost"] or ZERO) * line["boxes"] * _units_per_box(line)


def purchase_order_payloads(
    orders: QuerySet[PurchaseOrder], *, lines: Q | None = None
) -> list[dict[str, Any]]:
    """Return the `purchaseOrders[]` elements for `orders`, in the queryset's order.

    Deleted lines are left out. `lines`, a filter on PurchaseOrderItem, limits each PO's
    `details[]` to the matching lines. It limits neither the POs themselves nor the
    header totals, which always cover every line of the PO that is not deleted.
    """
    headers = list(orders.values(*PO_COLUMNS))
    if not headers:
        return []
    ids = [header["id"] for header in headers]
    live = PurchaseOrderItem.objects.filter(purchase_order_id__in=ids).exclude(
        status=PurchaseOrderItem.Status.DELETED
    )
    if lines is not None:
        # The filter becomes a column rather than a WHERE clause, so the totals still see
        # every line and the query count stays the same. Its joins are LEFT OUTER, and
        # SQL NULL (a line without a prebook, say) reads as not listed.
        live = live.annotate(listed=ExpressionWrapper(lines, output_field=BooleanField()))
    columns = PO_LINE_COLUMNS if lines is None else (*PO_LINE_COLUMNS, "listed")
    lines_by_po = _group(live.order_by("id").values(*columns), "purchase_order_id")
    boxes = Box.objects.filter(po_item__purchase_order_id__in=ids).order_by(
        "po_item_id", "sequence", "id"
    )
    boxes_by_line = _group(boxes.values(*BOX_COLUMNS), "po_item_id")
    breakdowns = PurchaseOrderBreakdown.objects.filter(
        po_item__purchase_order_id__in=ids
    ).order_by("po_item_id", "id")
    breakdowns_by_line = _group(breakdowns.values(*PO_BREAKDOWN_COLUMNS), "po_item_id")
    payloads = []
    for header in headers:
        po_lines = lines_by_po.get(header["id"], [])
        listed = po_lines if lines is None else [line for line in po_lines if line["listed"]]
        details = [
            _po_line_payload(
                line, boxes_by_line.get(line["id"], []), breakdowns_by_line.get(line["id"], [])
            )
            for line in listed
        ]
        payloads.append(_po_header_payload(header, po_lines, details))
    return payloads


def _po_header_payload(
    header: Row, po_lines: list[Row], details: list[dict[str, Any]]
) -> dict[str, Any]:
    """Return one `purchaseOrders[]` element; its totals add up `po_lines`, not `details`."""
    # Each line's cost is summed as the float that `details[].totalCost` shows, so an
    # unfiltered header's totalCost is the rounded sum of its details.
    total_cost = sum(float(_po_line_total_cost(line)) for line in po_lines)
    return {
        "id": header["id"],
        "number": header["number"],
        "vendorId": header["vendor_id"],
        "vendorName": header["vendor__name"],
        "origin": header["vendor__port_origin"],
        "shipDate": _date(header["ship_date"]),
        "status": header["status"],
        "carrierId": header["carrier_id"],
        "carrierName": header["carrier__name"] if header["carrier_id"] is not None else "",
        "totalBoxes": sum(line["boxes"] for line in po_lines),
        "totalCost": round(total_cost, 3),
        "comments": header["comments"],
        "createdOn": _datetime(header["created_at"]),
        "updatedOn": _datetime(header["updated_at"]),
        "details": details,
    }


def purchase_order_payload(po: PurchaseOrder) -> dict[str, Any]:
    """Return one element of `purchase.order.list`'s `purchaseOrders[]`, read from the database.

    Only `po.pk` is used, so unsaved changes to `po` are not shown.
    """
    return purchase_order_payloads(PurchaseOrder.objects.filter(pk=po.pk))[0]


# --- prebook.details.list ------------------------------------------------------------------

PREBOOK_COLUMNS = (
    "id",
    "number",
    "status",
    "customer_id",
    "customer__code",
    "customer__name",
    "vendor_customer_id",
    "vendor_customer__code",
    "vendor_customer__description",
    "truck_date",
    "customer_po",
    "carrier_id",
    "carrier__name",
    "vendor_carrier_id",
    "vendor_carrier__code",
    "vendor_carrier__description",
    "ship_via",
    "is_ecommerce",
    "comments",
    "created_at",
    "updated_at",
)
PREBOOK_LINE_COLUMNS = (
    "id",
    "prebook_id",
    "vendor_id",
    "vendor__name",
    "vendor_ship_date",
    *PRODUCT_COLUMNS,
    *BOX_TYPE_COLUMNS,
    *UNIT_COLUMNS,
    "cost",
    "price",
    "mark_code",
    "notes",
    "hold_reason",
)
PREBOOK_BREAKDOWN_COLUMNS = (
    "item_id",
    *PRODUCT_COLUMNS,
    "bunches",
    "stems_per_bunch",
    "cost",
    "price",
)
_prebook_status = _display(Prebook.Status.choices)


def prebook_queryset() -> QuerySet[Prebook]:
    """Return the prebooks that `prebook_payload` accepts.

    The payload reads its own rows by the prebook's id, so nothing needs to be loaded here.
    """
    return Prebook.objects.all()


def vendor_sees_line(line: Row, vendor: Vendor) -> bool:
    """Return whether a vendor token is shown this PREBOOK_LINE_COLUMNS row: its own line,
    with a ship date and a cost."""
    return (
        line["vendor_id"] == vendor.pk
        and line["vendor_ship_date"] is not None
        and line["cost"] is not None
    )


def _prebook_breakdown_payload(row: Row, *, with_price: bool) -> dict[str, Any]:
    data = {
        **_product_fields(row),
        "bunches": row["bunches"],
        "stemsBunch": row["stems_per_bunch"],
        "cost": _number(row["cost"]),
    }
    if with_price:
        data["price"] = _number(row["price"])
    return data


def _prebook_line_payload(
    line: Row, breakdowns: list[dict[str, Any]], *, with_price: bool
) -> dict[str, Any]:
    """Return one element of a prebook's `details[]`, with sales prices only when `with_price`."""
    units = _units_per_box(line)
    total_units = line["boxes"] * units
    data: dict[str, Any] = {
        "prebookItemId": line["id"],
        "vendorId": line["vendor_id"],
        "vendorName": line["vendor__name"] if line["vendor_id"] is not None else "",
        "vendorShipDate": _date(line["vendor_ship_date"]),
        **_product_fields(line),
        "totalBoxes": line["boxes"],
        "boxType": _box_type_code(line),
        "bunches": line["bunches"],
        "stemsBunch": line["stems_per_bunch"],
        "units": units,
        "unitType": line["unit_type"],
        "totalUnits": units * line["boxes"],
        "cost": _number(line["cost"]),
        "totalCost": _number((line["cost"] or ZERO) * total_units),
        "markCode": line["mark_code"],
        "notes": line["notes"],
        "holdReason": line["hold_reason"],
    }
    if with_price:
        data["unitPrice"] = _number(line["price"])
        data["totalPrice"] = _number((line["price"] or ZERO) * total_units)
    data["breakdowns"] = [
        _prebook_breakdown_payload(breakdown, with_price=with_price) for breakdown in breakdowns
    ]
    return data


def prebook_payloads(
    prebooks: QuerySet[Prebook],
    *,
    vendor: Vendor | None = None,
    keep: Callable[[Row], bool] | None = None,
) -> list[dict[str, Any]]:
    """Return the `prebooks[]` elements for `prebooks`, in the queryset's order.

    With `vendor`, only that farm's lines that have a vendor ship date and a cost are
    shown, without sales prices. `keep`, called on each PREBOOK_LINE_COLUMNS row, replaces
    that line selection (the list method passes its own line filters).
    """
    headers = list(prebooks.values(*PREBOOK_COLUMNS))
    if not headers:
        return []
    if keep is None and vendor is not None:

        def keep(line: Row) -> bool:
            return vendor_sees_line(line, vendor)

    ids = [header["id"] for header in headers]
    lines = PrebookItem.objects.filter(prebook_id__in=ids).order_by("id")
    lines_by_prebook = _group(lines.values(*PREBOOK_LINE_COLUMNS), "prebook_id")
    breakdowns = PrebookBreakdown.objects.filter(item__prebook_id__in=ids).order_by(
        "item_id", "id"
    )
    breakdowns_by_line = _group(breakdowns.values(*PREBOOK_BREAKDOWN_COLUMNS), "item_id")
    with_price = vendor is None
    payloads = []
    for header in headers:
        kept = lines_by_prebook.get(header["id"], [])
        if keep is not None:
            kept = [line for line in kept if keep(line)]
        details = [
            _prebook_line_payload(
                line, breakdowns_by_line.get(line["id"], []), with_price=with_price
            )
            for line in kept
        ]
        payloads.append(_prebook_header_payload(header, details, with_price=with_price))
    return payloads


def _prebook_header_payload(
    header: Row, details: list[dict[str, Any]], *, with_price: bool
) -> dict[str, Any]:
    has_customer = header["customer_id"] is not None
    has_carrier = header["carrier_id"] is not None
    data: dict[str, Any] = {
        "id": header["id"],
        "number": header["number"],
        "type": "P",
        "status": _prebook_status(header["status"]),
        "customerId": header["customer_id"],
        "customerCode": (
            header["customer__code"] if has_customer else _farm_code(header, "vendor_customer")
        ),
        "customerName": (
            header["customer__name"] if has_customer else _farm_name(header, "vendor_customer")
        ),
        "truckDate": _date(header["truck_date"]),
        "customerPONumber": header["customer_po"],
        "carrierId": header["carrier_id"],
        "carrierName": (
            header["carrier__name"] if has_carrier else _farm_name(header, "vendor_carrier")
        ),
        "shipVia": header["ship_via"],
        "isEcommerce": int(header["is_ecommerce"]),
        "comments": header["comments"],
        "createdOn": _datetime(header["created_at"]),
        "updatedOn": _datetime(header["updated_at"]),
        "details": details,
    }
    if with_price:
        data["totalPrice"] = round(sum((line["totalPrice"] or 0) for line in details), 3)
    return data


def prebook_payload(prebook: Prebook, *, vendor: Vendor | None = None) -> dict[str, Any]:
    """Return one element of `prebook.details.list`'s `prebooks[]`, read from the database.

    With `vendor`, only that farm's lines that have a vendor ship date and a cost are
    shown, without sales prices. Only `prebook.pk` is used, so unsaved changes to
    `prebook` are not shown.
    """
    return prebook_payloads(Prebook.objects.filter(pk=prebook.pk), vendor=vendor)[0]


def _farm_code(header: Row, relation: str) -> str:
    if header[f"{relation}_id"] is None:
        return ""
    return header[f"{relation}__code"]


def _farm_name(header: Row, relation: str) -> str:
    if header[f"{relation}_id"] is None:
        return ""
    return header[f"{relation}__description"] or header[f"{relation}__code"]
