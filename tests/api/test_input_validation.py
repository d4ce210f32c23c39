"""Input rules of the Komet-compatible API: dates, lot and AWB numbers, box types, amounts.

Each bad input gets status 0, a 4xx code and a message that names the field with its
path from the request root (`poItems[0].shipDate`) and the rule, and nothing is written.
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from api.envelope import flatten_errors, validation_message
from orders.models import Box, Prebook, PurchaseOrder, PurchaseOrderBreakdown, PurchaseOrderItem
from orders.services.boxes import ShipmentError, po_item_ship
from orders.services.dates import SHIP_DAYS_AHEAD, SHIP_DAYS_BACK
from tests.factories import (
    PrebookFactory,
    PrebookItemFactory,
    PurchaseOrderFactory,
    PurchaseOrderItemFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
SHIP = (TODAY + datetime.timedelta(days=5)).isoformat()
EARLIEST_SHIP = (TODAY - datetime.timedelta(days=SHIP_DAYS_BACK)).isoformat()
LATEST_SHIP = (TODAY + datetime.timedelta(days=SHIP_DAYS_AHEAD)).isoformat()
SHIP_WINDOW_RULE = (
    f"must be between {EARLIEST_SHIP} and {LATEST_SHIP} "
    f"({SHIP_DAYS_BACK} days back to {SHIP_DAYS_AHEAD} days ahead)."
)
LOT_RULE = "must be a positive whole number of 1 to 20 digits, such as '234232'."
MONEY_RULE = "must be 0 or at least 0.001, because amounts are kept to 3 decimals."
VALID_AWB = "369-1234-5675"
RESULTS = "purchaseOrderItemDetailsAWBAddAPIResultList"
AWB_ADD = "purchase.order.items.awb.add"


def _open_line(farm, boxes: int = 1) -> PurchaseOrderItem:
    purchase_order = PurchaseOrderFactory(vendor=farm, status=PurchaseOrder.Status.APPROVED)
    return PurchaseOrderItemFactory(purchase_order=purchase_order, boxes=boxes)


def _ship(po_item_id, **fields) -> dict:
    return {"poItemId": po_item_id, "awb": VALID_AWB, "shipDate": SHIP, **fields}


def _single_result(response) -> dict:
    results = response.json()[RESULTS]
    assert len(results) == 1
    return results[0]


# --- awb.add: ship date -------------------------------------------------------------------


@pytest.mark.parametrize("ship_date", ["1999-01-01", "9999-12-31"])
def test_ship_date_outside_window(vendor_api, farm, ship_date):
    bad_line = _open_line(farm)
    good_line = _open_line(farm)
    body = {"poItems": [_ship(bad_line.pk, shipDate=ship_date), _ship(good_line.pk)]}

    response = vendor_api.post(AWB_ADD, body)

    assert response.status_code == 200
    bad, good = response.json()[RESULTS]
    assert bad["status"] == 0
    assert bad["poItemId"] == bad_line.pk
    assert bad["message"] == f"poItems[0].shipDate: {SHIP_WINDOW_RULE} Received '{ship_date}'."
    assert good["status"] == 1
    assert not Box.objects.filter(po_item=bad_line).exists()
    bad_line.refresh_from_db()
    assert bad_line.status == PurchaseOrderItem.Status.OPEN


def test_only_bad_ship_date_is_400(vendor_api, farm):
    line = _open_line(farm)

    response = vendor_api.post(AWB_ADD, {"poItems": [_ship(line.pk, shipDate="1999-01-01")]})

    assert response.status_code == 400
    assert response.json()["status"] == 0
    assert _single_result(response)["message"].startswith("poItems[0].shipDate: must be between")
    assert Box.objects.count() == 0


@pytest.mark.parametrize("ship_date", [EARLIEST_SHIP, LATEST_SHIP])
def test_ship_date_window_edges_accepted(vendor_api, farm, ship_date):
    line = _open_line(farm)

    response = vendor_api.post(AWB_ADD, {"poItems": [_ship(line.pk, shipDate=ship_date)]})

    assert response.status_code == 200
    assert _single_result(response)["status"] == 1
    assert Box.objects.get(po_item=line).ship_date.isoformat() == ship_date


def test_single_awb_add_bad_ship_date(vendor_api, farm):
    line = _open_line(farm)

    response = vendor_api.post("purchase.order.item.awb.add", _ship(line.pk, shipDate="1999-01-01"))

    assert response.status_code == 400
    assert response.json() == {
        "status": 0,
        "message": f"Invalid request. shipDate: {SHIP_WINDOW_RULE} Received '1999-01-01'.",
    }
    assert Box.objects.count() == 0


def test_ship_service_rejects_bad_date(farm):
    line = _open_line(farm)

    with pytest.raises(ShipmentError) as raised:
        po_item_ship(
            farm=farm,
            po_item_id=line.pk,
            awb=VALID_AWB,
            ship_date=datetime.date(1999, 1, 1),
            actor_label="test",
            field_prefix="poItems[3].",
        )

    assert raised.value.message == f"poItems[3].shipDate 1999-01-01: {SHIP_WINDOW_RULE}"
    assert Box.objects.count() == 0


# --- awb.add: lot number and AWB ----------------------------------------------------------


@pytest.mark.parametrize("lot_number", ["-5", "abc", "0", "000", -5, 0, "12a", "²³"])
def test_awb_add_bad_lot_number(vendor_api, farm, lot_number):
    bad_line = _open_line(farm)
    good_line = _open_line(farm)
    body = {"poItems": [_ship(bad_line.pk, lotNumber=lot_number), _ship(good_line.pk)]}

    response = vendor_api.post(AWB_ADD, body)

    assert response.status_code == 200
    bad, good = response.json()[RESULTS]
    assert bad["status"] == 0
    assert bad["message"] == f"poItems[0].lotNumber: {LOT_RULE} Received {lot_number!r}."
    assert good["status"] == 1
    assert not Box.objects.filter(po_item=bad_line).exists()


@pytest.mark.parametrize(("lot_number", "stored"), [("234232", "234232"), (100001, "100001")])
def test_farm_lot_number_kept(vendor_api, farm, lot_number, stored):
    line = _open_line(farm)

    response = vendor_api.post(AWB_ADD, {"poItems": [_ship(line.pk, lotNumber=lot_number)]})

    assert response.status_code == 200
    assert _single_result(response)["lotNumber"] == stored
    assert Box.objects.get(po_item=line).lot_number == stored


def test_portal_lot_range_names_field(vendor_api, farm):
    line = _open_line(farm)

    response = vendor_api.post(AWB_ADD, {"poItems": [_ship(line.pk, lotNumber="5000")]})

    assert response.status_code == 400
    assert _single_result(response)["message"] == (
        "poItems[0].lotNumber '5000': numbers 1000-99999 are the portal's own lot numbers; "
        "send a number outside that range, or none to get one."
    )


@pytest.mark.parametrize(
    ("awb", "rule"),
    [
        (
            "00000000000",
            "airline prefix 000 is not assigned to any airline; send the AWB's own prefix",
        ),
        (
            "000-1234-5675",
            "airline prefix 000 is not assigned to any airline; send the AWB's own prefix",
        ),
        (
            "369-0000-0000",
            "serial number 0000000 is not a valid serial; send the AWB's own number",
        ),
    ],
)
def test_all_zero_awb_parts_rejected(vendor_api, farm, awb, rule):
    line = _open_line(farm)

    response = vendor_api.post(AWB_ADD, {"poItems": [_ship(line.pk, awb=awb)]})

    assert response.status_code == 400
    assert response.json()["status"] == 0
    assert _single_result(response)["message"] == f"poItems[0].awb {awb!r}: {rule}."
    assert Box.objects.count() == 0


def test_other_vendor_line_names_field(company_api, farm, other_farm):
    line = _open_line(farm)

    response = company_api.post(AWB_ADD, {"vendorId": other_farm.pk, "poItems": [_ship(line.pk)]})

    assert response.status_code == 400
    assert _single_result(response)["message"] == (
        f"poItems[0].poItemId: no PO line with id {line.pk}."
    )
    assert Box.objects.count() == 0


def test_line_state_names_field(vendor_api, farm):
    pending = PurchaseOrderItemFactory(purchase_order=PurchaseOrderFactory(vendor=farm))

    response = vendor_api.post(AWB_ADD, {"poItems": [_ship(pending.pk)]})

    assert response.status_code == 400
    assert _single_result(response)["message"] == (
        f"poItems[0].poItemId: PO {pending.purchase_order.number} is still Pending Approval; "
        "it cannot ship before it is approved."
    )


# --- purchase.order.create and mixed.create: box type ---------------------------------------


def _po_create(api, *lines, method="purchase.order.create"):
    return api.post(method, {"shipDate": SHIP, "purchaseOrderItems": list(lines)})


def _assert_nothing_written():
    assert PurchaseOrder.objects.count() == 0
    assert PurchaseOrderItem.objects.count() == 0
    assert PurchaseOrderBreakdown.objects.count() == 0


def test_po_line_without_box_type_rejected(vendor_api, catalogue):
    line = {"productCode": "ESM-X1", "boxes": 1, "bunches": 1, "stemsBunch": 1, "cost": 1}

    response = _po_create(vendor_api, line)

    assert response.status_code == 400
    assert response.json() == {
        "status": 0,
        "message": (
            "purchaseOrderItems[0].boxTypeCode: a box type is required (boxTypeId, boxTypeCode "
            "or boxTypeDescription), and no prebookItemId gives one."
        ),
    }
    _assert_nothing_written()


def test_linked_line_without_box_type(vendor_api, farm, catalogue):
    prebook_line = PrebookItemFactory(vendor=farm, product=catalogue["product"], box_type=None)

    response = _po_create(vendor_api, {"prebookItemId": prebook_line.pk})

    assert response.status_code == 400
    assert response.json()["message"] == (
        "purchaseOrderItems[0].boxTypeCode: a box type is required (boxTypeId, boxTypeCode "
        f"or boxTypeDescription), and prebook line {prebook_line.pk} has none either."
    )
    _assert_nothing_written()


def test_po_line_takes_linked_box_type(vendor_api, farm, catalogue):
    prebook_line = PrebookItemFactory(
        vendor=farm, product=catalogue["product"], box_type=catalogue["box_type"]
    )

    response = _po_create(vendor_api, {"prebookItemId": prebook_line.pk})

    assert response.status_code == 200
    item = PurchaseOrderItem.objects.get()
    assert item.box_type == catalogue["box_type"]


def _mixed_box(**fields) -> dict:
    box = {
        "productCode": "FR50",
        "boxTypeCode": "HB",
        "unitType": "Stem",
        "boxes": 1,
        "breakdowns": [{"productCode": "FR50", "bunches": 2, "stemsBunch": 25, "cost": "0.30"}],
    }
    return {**box, **fields}


def test_mixed_box_without_box_type_rejected(vendor_api, catalogue):
    box = _mixed_box()
    del box["boxTypeCode"]

    response = _po_create(vendor_api, box, method="purchase.order.mixed.create")

    assert response.status_code == 400
    assert response.json()["status"] == 0
    assert response.json()["message"] == (
        "purchaseOrderItems[0].boxTypeCode: a box type is required (boxTypeId, boxTypeCode "
        "or boxTypeDescription), and no prebookItemId gives one."
    )
    _assert_nothing_written()


def test_mixed_box_takes_linked_box_type(vendor_api, farm, catalogue):
    prebook_line = PrebookItemFactory(
        vendor=farm, product=catalogue["product"], box_type=catalogue["box_type"], boxes=3
    )
    box = _mixed_box(
        breakdowns=[{"prebookItemId": prebook_line.pk, "bunches": 2}],
    )
    del box["boxTypeCode"]

    response = _po_create(vendor_api, box, method="purchase.order.mixed.create")

    assert response.status_code == 200, response.json()
    item = PurchaseOrderItem.objects.get()
    assert item.box_type == catalogue["box_type"]
    breakdown = item.breakdowns.get()
    assert breakdown.cost == prebook_line.cost
    assert breakdown.stems_per_bunch == prebook_line.stems_per_bunch


# --- mixed.create: breakdown stems per bunch and cost ---------------------------------------


def test_mixed_breakdown_zero_stems_rejected(vendor_api, catalogue):
    box = _mixed_box(
        breakdowns=[{"productCode": "FR50", "bunches": 2, "stemsBunch": 0, "cost": "0.30"}]
    )

    response = _po_create(vendor_api, box, method="purchase.order.mixed.create")

    assert response.status_code == 400
    assert response.json()["message"] == (
        "purchaseOrderItems[0].breakdowns[0].stemsBunch: must be at least 1 when unitType is "
        "Stem. Received 0."
    )
    _assert_nothing_written()


def test_mixed_breakdown_missing_stems_rejected(vendor_api, catalogue):
    box = _mixed_box(breakdowns=[{"productCode": "FR50", "bunches": 2, "cost": "0.30"}])

    response = _po_create(vendor_api, box, method="purchase.order.mixed.create")

    assert response.status_code == 400
    assert response.json()["message"] == (
        "purchaseOrderItems[0].breakdowns[0].stemsBunch: required (at least 1) when unitType "
        "is Stem, and no prebookItemId gives one."
    )
    _assert_nothing_written()


def test_mixed_bunch_box_needs_no_stems(vendor_api, catalogue):
    box = _mixed_box(
        unitType="Bunch", breakdowns=[{"productCode": "FR50", "bunches": 2, "cost": "1.50"}]
    )

    response = _po_create(vendor_api, box, method="purchase.order.mixed.create")

    assert response.status_code == 200
    assert PurchaseOrderItem.objects.get().cost == Decimal("1.500")


def test_mixed_breakdown_missing_cost_rejected(vendor_api, catalogue):
    box = _mixed_box(
        breakdowns=[
            {"productCode": "FR50", "bunches": 2, "stemsBunch": 25, "cost": "0.30"},
            {"productCode": "FR50", "bunches": 2, "stemsBunch": 25},
        ]
    )

    response = _po_create(vendor_api, box, method="purchase.order.mixed.create")

    assert response.status_code == 400
    assert response.json()["message"] == (
        "purchaseOrderItems[0].breakdowns[1].cost: required, and no prebookItemId gives one."
    )
    _assert_nothing_written()


def test_linked_breakdown_without_cost(vendor_api, farm, catalogue):
    prebook_line = PrebookItemFactory(
        vendor=farm, product=catalogue["product"], box_type=catalogue["box_type"], cost=None
    )
    box = _mixed_box(breakdowns=[{"prebookItemId": prebook_line.pk, "bunches": 2}])

    response = _po_create(vendor_api, box, method="purchase.order.mixed.create")

    assert response.status_code == 400
    assert response.json()["message"] == (
        f"purchaseOrderItems[0].breakdowns[0].cost: required, and prebook line "
        f"{prebook_line.pk} has none either."
    )
    _assert_nothing_written()


# --- messages -------------------------------------------------------------------------------


def test_over_order_message_without_po(vendor_api, farm, catalogue):
    prebook_line = PrebookItemFactory(
        vendor=farm, product=catalogue["product"], box_type=catalogue["box_type"], boxes=5
    )

    response = _po_create(vendor_api, {"prebookItemId": prebook_line.pk, "boxes": 7})

    assert response.status_code == 409
    assert response.json()["message"] == (
        f"purchaseOrderItems[0].prebookItemId: prebook line {prebook_line.pk} has 5 box(es); "
        "at most 5 can be ordered, not 7."
    )
    _assert_nothing_written()


def test_date_before_year_1000_in_iso_form(vendor_api, catalogue):
    body = {
        "customerCode": "ANG",
        "shipDate": "0001-01-01",
        "prebookItems": [
            {"productCode": "FR50", "boxTypeCode": "HB", "boxes": 1, "bunches": 1, "stemsBunch": 1}
        ],
    }

    response = vendor_api.post("prebook.create", body)

    assert response.status_code == 400
    earliest = (TODAY - datetime.timedelta(days=1)).isoformat()
    latest = (TODAY + datetime.timedelta(days=366)).isoformat()
    assert response.json()["message"] == (
        f"shipDate: must be between {earliest} and {latest}; received 0001-01-01."
    )
    assert Prebook.objects.count() == 0


def test_flatten_errors_brackets_list_indexes():
    detail = {"prebookItems": {"0": {"boxes": ["must be at least 1."]}, 1: ["invalid."]}}
    data = {"prebookItems": [{"boxes": 0}, "x"]}

    lines = flatten_errors(detail, data)

    assert lines == [
        "prebookItems[0].boxes: must be at least 1. Received 0.",
        "prebookItems[1]: invalid. Received 'x'.",
    ]


def test_serializer_errors_use_brackets(vendor_api, catalogue):
    body = {
        "customerCode": "ANG",
        "shipDate": SHIP,
        "prebookItems": [{"productId": "x", "boxes": 0, "bunches": 1, "stemsBunch": 1}],
    }

    response = vendor_api.post("prebook.create", body)

    assert response.status_code == 400
    message = response.json()["message"]
    assert "prebookItems[0].productId: A valid integer is required. Received 'x'." in message
    assert "prebookItems[0].boxes: Ensure this value is greater than or equal to 1." in message
    assert "prebookItems.0" not in message


def test_validation_message_prefix():
    assert validation_message({"shipDate": ["required."]}, {}) == (
        "Invalid request. shipDate: required."
    )


# --- list filters ---------------------------------------------------------------------------


def test_prebook_list_unknown_status_rejected(company_api):
    response = company_api.get("prebook.list", dateFrom=SHIP, dateTo=SHIP, prebookStatus="x")

    assert response.status_code == 400
    assert response.json() == {
        "status": 0,
        "message": "Invalid request. prebookStatus: must be one of 'Open', 'Cancelled'. "
        "Received 'x'.",
    }


@pytest.mark.parametrize(("sent", "expected"), [("OPEN", ["open"]), ("cancelled", ["cancelled"])])
def test_prebook_list_status_ignores_case(company_api, db, sent, expected):
    day = TODAY + datetime.timedelta(days=3)
    PrebookFactory(truck_date=day, status=Prebook.Status.OPEN)
    PrebookFactory(truck_date=day, status=Prebook.Status.CANCELLED)

    response = company_api.get(
        "prebook.list", dateFrom=day.isoformat(), dateTo=day.isoformat(), prebookStatus=sent
    )

    assert response.status_code == 200
    statuses = [row["status"].lower() for row in response.json()["prebooks"]]
    assert statuses == expected


def test_po_list_unknown_status_lists_values(company_api):
    response = company_api.get("purchase.order.list", date=SHIP, status="Nope")

    assert response.status_code == 400
    assert response.json()["message"] == (
        "Invalid request. status: must be one of 'Pending Approval', 'Approved', "
        "'Confirmed by Farm', 'Shipped', 'Cancelled'. Received 'Nope'."
    )


def test_po_list_status_ignores_case(company_api, farm):
    approved = PurchaseOrderFactory(vendor=farm, status=PurchaseOrder.Status.APPROVED)
    PurchaseOrderFactory(vendor=farm)
    day = approved.ship_date.isoformat()

    response = company_api.get("purchase.order.list", date=day, status="approved")

    assert response.status_code == 200
    numbers = [row["number"] for row in response.json()["purchaseOrders"]]
    assert numbers == [approved.number]


# --- amounts --------------------------------------------------------------------------------


@pytest.mark.parametrize("cost", ["0.0001", 0.0004, "0.0009"])
def test_cost_rounding_to_zero_rejected(vendor_api, catalogue, cost):
    line = {"productCode": "FR50", "boxTypeCode": "HB", "boxes": 1, "bunches": 1, "cost": cost}

    response = _po_create(vendor_api, {**line, "stemsBunch": 25})

    assert response.status_code == 400
    assert response.json()["message"] == (
        f"Invalid request. purchaseOrderItems[0].cost: {MONEY_RULE} Received {cost!r}."
    )
    _assert_nothing_written()


@pytest.mark.parametrize(
    ("cost", "stored"), [("0", "0.000"), ("0.001", "0.001"), ("0.0015", "0.002")]
)
def test_cost_zero_or_small_kept(vendor_api, catalogue, cost, stored):
    line = {"productCode": "FR50", "boxTypeCode": "HB", "boxes": 1, "bunches": 1, "cost": cost}

    response = _po_create(vendor_api, {**line, "stemsBunch": 25})

    assert response.status_code == 200
    assert PurchaseOrderItem.objects.get().cost == Decimal(stored)


def test_price_rounding_to_zero_rejected(company_api, catalogue):
    body = {
        "customerCode": "ANG",
        "shipDate": SHIP,
        "prebookItems": [
            {
                "productCode": "RS50RED",
                "boxTypeCode": "HB",
                "boxes": 1,
                "bunches": 1,
                "stemsBunch": 25,
                "price": "0.0001",
            }
        ],
    }

    response = company_api.post("prebook.create", body)

    assert response.status_code == 400
    assert response.json()["message"] == (
        f"Invalid request. prebookItems[0].price: {MONEY_RULE} Received '0.0001'."
    )
    assert Prebook.objects.count() == 0
