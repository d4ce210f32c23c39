"""purchase.order.list and prebook.details.list return byte-identical JSON to the old builder.

The old builder below is a frozen copy of the model-instance payload code that the list
methods used before they were rebuilt on `.values()` rows. Each case lists a varied day
through the API and compares the JSON text, so keys, their order, values and number types
must all match.
"""

import datetime
import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from api import serializers as s
from api.methods.lists import _filter_by, _po_line_filters, _prebook_filters
from catalog.models import Vendor
from mapping.models import HoldReason, VendorBoxType, VendorCarrier, VendorCustomer, VendorProduct
from orders.models import (
    Box,
    Prebook,
    PrebookBreakdown,
    PrebookItem,
    PurchaseOrder,
    PurchaseOrderBreakdown,
    PurchaseOrderItem,
    UnitType,
)
from tests.factories import (
    BoxFactory,
    CarrierFactory,
    CustomerFactory,
    PrebookFactory,
    PrebookItemFactory,
    ProductFactory,
    PurchaseOrderFactory,
    PurchaseOrderItemFactory,
)

pytestmark = pytest.mark.django_db

# --- frozen old builder ----------------------------------------------------------------------

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


# --- frozen old list selection ---------------------------------------------------------------


def old_purchase_order_list(vendor: Vendor | None, data: dict[str, Any]) -> dict[str, Any]:
    start = data.get("dateFrom") or data.get("date")
    end = data.get("dateTo") or data.get("date")
    line_filters = _po_line_filters(data)
    rows = purchase_order_queryset(lines=line_filters or None)
    if vendor is not None:
        rows = rows.filter(vendor=vendor)
    if start or end:
        rows = rows.filter(ship_date__range=(start or end, end or start))
    if data.get("number"):
        numbers = [n.strip() for n in data["number"].split(",") if n.strip()]
        rows = rows.filter(number__in=numbers)
    if data.get("vendor"):
        text = data["vendor"]
        rows = rows.filter(Q(vendor__name__icontains=text) | Q(vendor__code__iexact=text))
    rows = _filter_by(
        rows,
        data,
        [
            ("vendorId", "vendor_id"),
            ("origin", "vendor__port_origin__iexact"),
            ("status", "status"),
            ("updatedAsOf", "updated_at__gte"),
        ],
    )
    if line_filters:
        matching = PurchaseOrderItem.objects.exclude(
            status=PurchaseOrderItem.Status.DELETED
        ).filter(line_filters)
        rows = rows.filter(pk__in=matching.values("purchase_order_id"))
    rows = rows.order_by("ship_date", "number")
    payloads = [purchase_order_payload(po) for po in rows]
    if line_filters:
        # Line filters trim details[] only: the header totals cover the whole PO, so they
        # are taken from the same PO built without the filters.
        for payload in payloads:
            whole = purchase_order_payload(purchase_order_queryset().get(pk=payload["id"]))
            payload["totalBoxes"] = whole["totalBoxes"]
            payload["totalCost"] = whole["totalCost"]
    return {"purchaseOrders": payloads}


def old_prebook_details_list(vendor: Vendor | None, data: dict[str, Any]) -> dict[str, Any]:
    ship_from = data.get("vendorShipDateFrom") or data.get("shipDateFrom")
    ship_to = data.get("vendorShipDateTo") or data.get("shipDateTo")
    if ship_from and not ship_to:
        ship_to = ship_from + datetime.timedelta(days=183)
    if ship_to and not ship_from:
        ship_from = ship_to - datetime.timedelta(days=183)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    lines = PrebookItem.objects.all()
    if vendor is not None:
        lines = lines.filter(
            vendor=vendor,
            cost__isnull=False,
            vendor_ship_date__isnull=False,
            vendor_ship_date__gte=yesterday,
        )
    if ship_from:
        lines = lines.filter(vendor_ship_date__range=(ship_from, ship_to))
    rows = prebook_queryset().filter(pk__in=lines.values("prebook_id"))
    rows = _filter_by(rows, data, [("date", "truck_date"), ("updatedAsOf", "updated_at__gte")])
    rows = _prebook_filters(rows, data).order_by("truck_date", "number")

    def keeps(item: PrebookItem) -> bool:
        if ship_from and not (
            item.vendor_ship_date and ship_from <= item.vendor_ship_date <= ship_to
        ):
            return False
        if vendor is None:
            return True
        return vendor_sees_line(item, vendor) and item.vendor_ship_date >= yesterday

    prebooks = []
    for prebook in rows:
        kept = [item for item in prebook.items.all() if keeps(item)]
        prebooks.append(prebook_payload(prebook, vendor=vendor, lines=kept))
    return {"prebooks": prebooks}


# --- a varied day ----------------------------------------------------------------------------

TODAY = datetime.date.today()
SHIP = TODAY + datetime.timedelta(days=2)
TRUCK = TODAY + datetime.timedelta(days=4)
LATER_SHIP = TODAY + datetime.timedelta(days=9)


@pytest.fixture
def day(farm, other_farm, catalogue):
    """Prebooks and POs of two farms with held, mixed-box, shipped, deleted and split lines."""
    farm.port_origin = "BOG"
    farm.save(update_fields=["port_origin"])
    other_farm.port_origin = "UIO"
    other_farm.save(update_fields=["port_origin"])
    rose, box_type = catalogue["product"], catalogue["box_type"]
    customer, carrier = catalogue["customer"], catalogue["carrier"]
    tulip = ProductFactory(legacy_code="TU40YEL", description="Tulip Yellow 40cm")
    mapped_code = VendorProduct.objects.get(vendor=farm, code="FR50")
    unmapped_code = VendorProduct.objects.create(vendor=farm, code="XMIX", description="")
    named_code = VendorProduct.objects.create(vendor=farm, code="NEWV", description="NEW VARIETY")
    farm_box = VendorBoxType.objects.create(vendor=farm, code="QBX")
    other_customer = CustomerFactory(code="BLO", name="Bloom Market")

    # Prebook 1: a portal prebook with lines for both farms, a held line and a mixed box.
    first = PrebookFactory(
        customer=customer, carrier=carrier, customer_po="ANG-77", truck_date=TRUCK,
        comments="Deliver early",
    )
    plain = PrebookItemFactory(
        prebook=first, vendor=farm, product=rose, box_type=box_type, vendor_ship_date=SHIP,
        mark_code="ANG", notes="Long stems",
    )
    held = PrebookItemFactory(
        prebook=first, vendor=farm, product=None, vendor_product=unmapped_code, box_type=None,
        vendor_box_type=farm_box, vendor_ship_date=SHIP,
        hold_reason=HoldReason.PRODUCT_NOT_MAPPED, price=None,
    )
    mixed = PrebookItemFactory(
        prebook=first, vendor=farm, product=None, box_type=box_type, vendor_ship_date=SHIP,
        unit_type=UnitType.BUNCH, bunches=12, stems_per_bunch=None, cost=Decimal("4.125"),
        price=Decimal("6.333"),
    )
    PrebookBreakdown.objects.create(
        item=mixed, product=rose, bunches=8, stems_per_bunch=25, cost=Decimal("0.310"),
        price=Decimal("0.500"),
    )
    PrebookBreakdown.objects.create(
        item=mixed, product=tulip, vendor_product=named_code, bunches=4, stems_per_bunch=10,
        cost=None, price=None,
    )
    PrebookItemFactory(prebook=first, vendor=farm, product=tulip, box_type=box_type,
                       vendor_ship_date=SHIP, cost=None)
    PrebookItemFactory(prebook=first, vendor=farm, product=rose, box_type=box_type,
                       vendor_ship_date=None)
    PrebookItemFactory(prebook=first, vendor=farm, product=rose, box_type=box_type,
                       vendor_ship_date=LATER_SHIP)
    other_line = PrebookItemFactory(
        prebook=first, vendor=other_farm, product=tulip, box_type=box_type,
        vendor_ship_date=SHIP,
    )
    PrebookItemFactory(prebook=first, vendor=None, product=rose, box_type=box_type,
                       vendor_ship_date=SHIP)

    # Prebook 2: received from a farm with unmapped customer and carrier codes.
    second = PrebookFactory(
        customer=None, carrier=None, truck_date=TRUCK, is_ecommerce=True,
        vendor_customer=VendorCustomer.objects.create(vendor=farm, code="ZZCUST"),
        vendor_carrier=VendorCarrier.objects.create(
            vendor=farm, code="ZZCAR", description="Zeta Cargo"
        ),
        ship_via=Prebook.ShipVia.GROWER,
        status=Prebook.Status.CANCELLED,
    )
    from_farm = PrebookItemFactory(
        prebook=second, vendor=farm, product=rose, vendor_product=mapped_code, box_type=box_type,
        vendor_ship_date=SHIP, hold_reason=HoldReason.CUSTOMER_NOT_MAPPED,
    )
    # Prebook 3: another customer on another truck date, so the date filter matters.
    third = PrebookFactory(customer=other_customer, carrier=CarrierFactory(code="XX",
                           name="Express Cargo"), truck_date=TRUCK + datetime.timedelta(days=1))
    third_line = PrebookItemFactory(prebook=third, vendor=farm, product=tulip, box_type=box_type,
                                    vendor_ship_date=SHIP)

    # PO 1: shipped boxes, a mixed box, a deleted line and a split line.
    po = PurchaseOrderFactory(
        number="900001", vendor=farm, ship_date=SHIP, carrier=catalogue["inbound"],
        status=PurchaseOrder.Status.SHIPPED, comments="Two trucks",
    )
    shipped = PurchaseOrderItemFactory(
        purchase_order=po, prebook_item=plain, product=rose, vendor_product=mapped_code,
        box_type=box_type, boxes=3, cost=Decimal("0.333"), mark_code="ANG", notes="ok",
        status=PurchaseOrderItem.Status.SHIPPED,
    )
    for sequence in (2, 1, 3):
        BoxFactory(po_item=shipped, sequence=sequence, house_awb=f"H{sequence}",
                   received_at=timezone.now() if sequence == 1 else None)
    mixed_item = PurchaseOrderItemFactory(
        purchase_order=po, prebook_item=mixed, product=None, box_type=None,
        vendor_box_type=farm_box, unit_type=UnitType.BUNCH, bunches=12, stems_per_bunch=None,
        cost=Decimal("4.125"), hold_reason=HoldReason.BOX_TYPE_NOT_MAPPED,
    )
    PurchaseOrderBreakdown.objects.create(
        po_item=mixed_item, prebook_item=mixed, product=rose, bunches=8, stems_per_bunch=25,
        cost=Decimal("0.310"),
    )
    PurchaseOrderBreakdown.objects.create(
        po_item=mixed_item, prebook_item=None, product=None, vendor_product=unmapped_code,
        bunches=4, stems_per_bunch=None, cost=None,
    )
    PurchaseOrderItemFactory(
        purchase_order=po, prebook_item=plain, product=tulip, box_type=box_type,
        status=PurchaseOrderItem.Status.DELETED,
    )
    PurchaseOrderItemFactory(
        purchase_order=po, prebook_item=plain, product=rose, box_type=box_type, boxes=1,
        split_from=shipped, cost=None,
    )
    PurchaseOrderItemFactory(
        purchase_order=po, prebook_item=held, product=None, vendor_product=named_code,
        box_type=box_type, hold_reason=HoldReason.PRODUCT_NOT_MAPPED,
    )
    PurchaseOrderItemFactory(purchase_order=po, prebook_item=None, product=None, box_type=None)
    # PO 2: cancelled, for the received prebook and the other customer's prebook.
    cancelled = PurchaseOrderFactory(
        number="900002", vendor=farm, ship_date=SHIP, carrier=None,
        status=PurchaseOrder.Status.CANCELLED,
    )
    PurchaseOrderItemFactory(purchase_order=cancelled, prebook_item=from_farm, product=rose,
                             vendor_product=mapped_code, box_type=box_type)
    PurchaseOrderItemFactory(purchase_order=cancelled, prebook_item=third_line, product=tulip,
                             box_type=box_type, boxes=7)
    # PO 3 is the other farm's. PO 4 ships later, and PO 5 has only deleted lines.
    other_po = PurchaseOrderFactory(number="900003", vendor=other_farm, ship_date=SHIP)
    PurchaseOrderItemFactory(purchase_order=other_po, prebook_item=other_line, product=tulip,
                             box_type=box_type)
    later = PurchaseOrderFactory(number="900004", vendor=farm, ship_date=LATER_SHIP,
                                 status=PurchaseOrder.Status.APPROVED)
    PurchaseOrderItemFactory(purchase_order=later, product=rose, box_type=box_type)
    empty = PurchaseOrderFactory(number="900005", vendor=farm, ship_date=SHIP)
    PurchaseOrderItemFactory(purchase_order=empty, product=rose, box_type=box_type,
                             status=PurchaseOrderItem.Status.DELETED)
    return {
        "first": first,
        "second": second,
        "third": third,
        "shipped": shipped,
        "mixed_item": mixed_item,
        "other_customer": other_customer,
    }


def _po_cases(day, farm, catalogue) -> list[dict[str, str]]:
    ship = SHIP.isoformat()
    return [
        {"date": ship},
        {"dateFrom": ship, "dateTo": LATER_SHIP.isoformat()},
        {"dateFrom": ship},
        {"number": "900001, 900004,900003"},
        {"date": ship, "vendor": "rosas"},
        {"date": ship, "vendor": "OTRA"},
        {"date": ship, "vendorId": str(farm.pk)},
        {"date": ship, "origin": "bog"},
        {"date": ship, "status": "Cancelled"},
        {"date": ship, "updatedAsOf": "2000-01-01 00:00:00"},
        {"date": ship, "customerId": str(catalogue["customer"].pk)},
        {"date": ship, "customerId": str(day["other_customer"].pk)},
        {"date": ship, "customerPONumber": "ang-77"},
        {"date": ship, "product": "tulip"},
        {"date": ship, "prebook": str(day["first"].number)},
        {"date": ship, "purchaseOrderItemIds": f"{day['shipped'].pk},{day['mixed_item'].pk}"},
    ]


def _prebook_cases(day, catalogue) -> list[dict[str, str]]:
    truck = TRUCK.isoformat()
    return [
        {"date": truck},
        {"date": (TRUCK + datetime.timedelta(days=1)).isoformat()},
        {"vendorShipDateFrom": SHIP.isoformat(), "vendorShipDateTo": SHIP.isoformat()},
        {"vendorShipDateFrom": SHIP.isoformat()},
        {"shipDateTo": LATER_SHIP.isoformat()},
        {"date": truck, "prebook": str(day["first"].number)},
        {"date": truck, "customer": "ang"},
        {"date": truck, "customerId": str(catalogue["customer"].pk)},
        {"date": truck, "carrierName": "armel"},
        {"date": truck, "carrierId": str(catalogue["carrier"].pk)},
        {"date": truck, "customerPONumber": "ANG-77"},
        {"date": truck, "updatedAsOf": "2000-01-01 00:00:00"},
    ]


def _validated(serializer_class, params: dict[str, str]) -> dict[str, Any]:
    serializer = serializer_class(data=params)
    assert serializer.is_valid(), serializer.errors
    return serializer.validated_data


def _same_json(answer: Any, expected: Any) -> None:
    """Assert the same JSON text: keys, key order, values and int-versus-float all count."""
    assert json.dumps(answer) == json.dumps(expected)


@pytest.mark.parametrize("token", ["vendor", "other_vendor", "company"])
def test_po_list_matches_old_builder(
    token, day, farm, other_farm, catalogue, vendor_api, other_vendor_api, company_api
):
    api = {"vendor": vendor_api, "other_vendor": other_vendor_api, "company": company_api}[token]
    vendor = {"vendor": farm, "other_vendor": other_farm, "company": None}[token]
    listed_lines = 0
    for params in _po_cases(day, farm, catalogue):
        response = api.get("purchase.order.list", **params)
        assert response.status_code == 200, (params, response.content)
        answer = response.json()["purchaseOrders"]
        data = _validated(s.PurchaseOrderListInput, params)
        expected = old_purchase_order_list(vendor, data)["purchaseOrders"]
        _same_json(answer, expected)
        listed_lines += sum(len(po["details"]) for po in answer)
    assert listed_lines > 0


@pytest.mark.parametrize("token", ["vendor", "other_vendor", "company"])
def test_prebook_list_matches_old_builder(
    token, day, farm, other_farm, catalogue, vendor_api, other_vendor_api, company_api
):
    api = {"vendor": vendor_api, "other_vendor": other_vendor_api, "company": company_api}[token]
    vendor = {"vendor": farm, "other_vendor": other_farm, "company": None}[token]
    listed_lines = 0
    for params in _prebook_cases(day, catalogue):
        response = api.get("prebook.details.list", **params)
        assert response.status_code == 200, (params, response.content)
        answer = response.json()["prebooks"]
        data = _validated(s.PrebookDetailsListInput, params)
        expected = old_prebook_details_list(vendor, data)["prebooks"]
        _same_json(answer, expected)
        listed_lines += sum(len(prebook["details"]) for prebook in answer)
    assert listed_lines > 0


def test_po_payload_matches_old_builder(day, farm):
    from api.komet import purchase_order_payload as new_payload
    from api.komet import purchase_order_queryset as new_queryset

    for po in PurchaseOrder.objects.order_by("number"):
        expected = purchase_order_payload(purchase_order_queryset().get(pk=po.pk))
        _same_json(new_payload(new_queryset().get(pk=po.pk)), expected)


def test_prebook_payload_matches_old_builder(day, farm, other_farm):
    from api.komet import prebook_payload as new_payload
    from api.komet import prebook_queryset as new_queryset

    for prebook in Prebook.objects.order_by("number"):
        for vendor in (None, farm, other_farm):
            expected = prebook_payload(prebook_queryset().get(pk=prebook.pk), vendor=vendor)
            answer = new_payload(new_queryset().get(pk=prebook.pk), vendor=vendor)
            _same_json(answer, expected)
