"""Per-item validation of purchase.order.items.awb.add and box.code.change.

An item that breaks a field rule fails alone, with status 0 and a message naming the
field and the rule, and the other items are processed. Problems with the request
itself (no items, a list of the wrong type, malformed JSON) reject the whole request.
"""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEntry
from orders.models import Box, PurchaseOrder, PurchaseOrderItem
from sync.models import Exchange, ExchangeState
from tests.factories import BoxFactory, PurchaseOrderFactory, PurchaseOrderItemFactory

pytestmark = pytest.mark.django_db

SHIP = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
VALID_AWB = "369-1234-5675"
RESULTS = "purchaseOrderItemDetailsAWBAddAPIResultList"
AWB_ADD = "purchase.order.items.awb.add"
LONG_CODE = "X" * 21


def _open_line(farm, boxes: int = 2) -> PurchaseOrderItem:
    purchase_order = PurchaseOrderFactory(vendor=farm, status=PurchaseOrder.Status.APPROVED)
    return PurchaseOrderItemFactory(purchase_order=purchase_order, boxes=boxes)


def _line(po_item_id, codes: list | None = None, **fields) -> dict:
    line = {"poItemId": po_item_id, "awb": VALID_AWB, "shipDate": SHIP, **fields}
    if codes is not None:
        line["boxCodes"] = codes
    return line


def _shipment_ledger_row() -> Exchange:
    rows = Exchange.objects.filter(method=AWB_ADD)
    assert rows.count() == 1
    return rows.get()


def test_long_code_fails_only_its_item(vendor_api, farm):
    bad_line = _open_line(farm, boxes=3)
    good_line = _open_line(farm, boxes=1)
    body = {"poItems": [_line(bad_line.pk, ["RS1", LONG_CODE]), _line(good_line.pk, ["RS2"])]}

    response = vendor_api.post(AWB_ADD, body)

    assert response.status_code == 200
    data = response.json()
    assert data["status"] == 1
    assert data["message"] == "1 of 2 PO item(s) added to the AWB."
    bad, good = data[RESULTS]
    assert bad == {
        "poItemId": bad_line.pk,
        "status": 0,
        "message": (
            f"poItems[0].boxCodes[1]: must be 1 to 20 characters long. Received '{LONG_CODE}'."
        ),
        "boxCodes": [],
        "lotNumber": "",
        "newPOItemId": None,
    }
    assert good["poItemId"] == good_line.pk
    assert good["status"] == 1
    assert good["boxCodes"] == ["RS2"]
    assert list(Box.objects.values_list("code", flat=True)) == ["RS2"]


def test_failed_item_writes_nothing(vendor_api, farm):
    bad_line = _open_line(farm, boxes=3)
    good_line = _open_line(farm, boxes=1)
    lines_before = PurchaseOrderItem.objects.count()
    body = {"poItems": [_line(bad_line.pk, ["RS1", LONG_CODE]), _line(good_line.pk, ["RS2"])]}

    vendor_api.post(AWB_ADD, body)

    bad_line.refresh_from_db()
    assert bad_line.status == PurchaseOrderItem.Status.OPEN
    assert bad_line.boxes == 3
    assert not Box.objects.filter(po_item=bad_line).exists()
    # Two codes for three boxes would split the line, but the item failed first.
    assert PurchaseOrderItem.objects.count() == lines_before
    audited = AuditEntry.objects.filter(action="purchase_order.line_shipped")
    assert [entry.object_id for entry in audited] == [str(good_line.purchase_order_id)]


def test_partial_failure_recorded_in_ledger(vendor_api, farm):
    bad_line = _open_line(farm, boxes=1)
    good_line = _open_line(farm, boxes=1)
    body = {"poItems": [_line(bad_line.pk, [LONG_CODE]), _line(good_line.pk, ["RS2"])]}

    vendor_api.post(AWB_ADD, body)

    row = _shipment_ledger_row()
    assert row.state == ExchangeState.PROCESSED
    assert row.response_status == 200
    assert row.purchase_order_id == good_line.purchase_order_id
    assert row.payload["poItems"][0]["boxCodes"] == [LONG_CODE]
    assert "poItems[0].boxCodes[0]: must be 1 to 20 characters long" in row.response_body


@pytest.mark.parametrize(
    ("bad_item", "sent_id", "message"),
    [
        (
            {"poItemId": "abc", "awb": VALID_AWB, "shipDate": SHIP},
            None,
            "poItems[0].poItemId: A valid integer is required. Received 'abc'.",
        ),
        (
            {"awb": VALID_AWB, "shipDate": SHIP},
            None,
            "poItems[0].poItemId: This field is required.",
        ),
        (
            "not an object",
            None,
            "poItems[0]: Invalid data. Expected a dictionary, but got str. "
            "Received 'not an object'.",
        ),
        (
            {"poItemId": 99, "awb": VALID_AWB, "shipDate": "05/10/2026"},
            99,
            "poItems[0].shipDate: must be a date in YYYY-MM-DD form. Received '05/10/2026'.",
        ),
        (
            {"poItemId": "98", "shipDate": SHIP},
            98,
            "poItems[0].awb: This field is required.",
        ),
        (
            {"poItemId": 97, "awb": VALID_AWB, "shipDate": SHIP, "boxCodes": "RS1"},
            97,
            "poItems[0].boxCodes: Expected a list of items but got type \"str\". Received 'RS1'.",
        ),
        (
            {"poItemId": 96, "awb": VALID_AWB, "shipDate": SHIP, "boxCodes": ["  "]},
            96,
            "poItems[0].boxCodes[0]: must be 1 to 20 characters long. Received '  '.",
        ),
        (
            {"poItemId": 95, "awb": VALID_AWB, "shipDate": SHIP, "lotNumber": "L" * 21},
            95,
            "poItems[0].lotNumber: must be a positive whole number of 1 to 20 digits, "
            f"such as '234232'. Received '{'L' * 21}'.",
        ),
    ],
)
def test_invalid_item_fields(vendor_api, farm, bad_item, sent_id, message):
    good_line = _open_line(farm, boxes=1)

    response = vendor_api.post(AWB_ADD, {"poItems": [bad_item, _line(good_line.pk, ["RS2"])]})

    assert response.status_code == 200
    bad, good = response.json()[RESULTS]
    assert bad["poItemId"] == sent_id
    assert bad["status"] == 0
    assert bad["message"] == message
    assert good["status"] == 1
    assert Box.objects.count() == 1


def test_unknown_and_taken_fail_alone(vendor_api, farm):
    BoxFactory(code="TAKEN1", po_item=_open_line(farm, boxes=1))
    taken_line = _open_line(farm, boxes=1)
    good_line = _open_line(farm, boxes=1)
    body = {
        "poItems": [
            _line(987654321, ["RS1"]),
            _line(taken_line.pk, ["taken1"]),
            _line(good_line.pk, ["RS2"]),
        ]
    }

    response = vendor_api.post(AWB_ADD, body)

    assert response.status_code == 200
    unknown, taken, good = response.json()[RESULTS]
    assert unknown["poItemId"] == 987654321
    assert unknown["status"] == 0
    assert unknown["message"] == "poItems[0].poItemId: no PO line with id 987654321."
    assert taken["status"] == 0
    assert taken["message"] == "poItems[1].boxCodes[0] 'TAKEN1': already used by another box."
    assert good["status"] == 1
    assert set(Box.objects.values_list("code", flat=True)) == {"TAKEN1", "RS2"}


def test_service_messages_keep_request_index(vendor_api, farm):
    # The rejected first item is left out of the service call, but messages keep poItems[1].
    line = _open_line(farm, boxes=1)
    body = {"poItems": [_line(1, [LONG_CODE]), _line(line.pk, ["A B"])]}

    response = vendor_api.post(AWB_ADD, body)

    second = response.json()[RESULTS][1]
    assert second["message"].startswith("poItems[1].boxCodes[0] 'A B': invalid character(s)")


def test_rejected_item_does_not_reserve_codes(vendor_api, farm):
    first, second = _open_line(farm, boxes=2), _open_line(farm, boxes=1)
    body = {"poItems": [_line(first.pk, ["RS1", LONG_CODE]), _line(second.pk, ["rs1"])]}

    results = vendor_api.post(AWB_ADD, body).json()[RESULTS]

    assert [result["status"] for result in results] == [0, 1]
    assert list(Box.objects.values_list("code", flat=True)) == ["RS1"]


def test_every_item_failing_is_400(vendor_api, farm):
    line = _open_line(farm, boxes=1)
    body = {"poItems": [_line(line.pk, [LONG_CODE]), _line(987654321, ["RS1"])]}

    response = vendor_api.post(AWB_ADD, body)

    assert response.status_code == 400
    data = response.json()
    assert data["status"] == 0
    assert data["message"] == "0 of 2 PO item(s) added to the AWB."
    assert [result["status"] for result in data[RESULTS]] == [0, 0]
    assert data[RESULTS][0]["message"].startswith("poItems[0].boxCodes[0]: must be 1 to 20")
    assert Box.objects.count() == 0
    row = _shipment_ledger_row()
    assert row.state == ExchangeState.REJECTED
    assert row.response_status == 400


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Invalid request. poItems: This field is required."),
        ({"poItems": None}, "Invalid request. poItems: This field may not be null."),
        ({"poItems": []}, "Invalid request. poItems: Ensure this field has at least 1 elements."),
        (
            {"poItems": {"poItemId": 1}},
            'Invalid request. poItems: Expected a list of items but got type "dict".',
        ),
        (
            {"poItems": [{"poItemId": 1}], "vendorId": "x"},
            "Invalid request. vendorId: A valid integer is required. Received 'x'.",
        ),
    ],
)
def test_request_level_problems_reject_all(vendor_api, farm, body, message):
    response = vendor_api.post(AWB_ADD, body)

    assert response.status_code == 400
    data = response.json()
    assert data == {"status": 0, "message": message}
    assert Box.objects.count() == 0
    assert _shipment_ledger_row().state == ExchangeState.REJECTED


def test_malformed_json_rejects_all(vendor_api):
    response = Client().post(
        f"/api/{AWB_ADD}", data='{"poItems": [', content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["status"] == 0
    assert response.json()["message"].startswith("Request body is not valid JSON")


def test_single_item_long_code_is_400(vendor_api, farm):
    line = _open_line(farm, boxes=1)

    response = vendor_api.post("purchase.order.item.awb.add", _line(line.pk, [LONG_CODE]))

    assert response.status_code == 400
    assert response.json() == {
        "status": 0,
        "message": (
            "Invalid request. boxCodes[0]: must be 1 to 20 characters long. "
            f"Received '{LONG_CODE}'."
        ),
    }
    assert Box.objects.count() == 0
    row = Exchange.objects.get(method="purchase.order.item.awb.add")
    assert row.state == ExchangeState.REJECTED


def _shipped_box(farm, code: str) -> Box:
    return BoxFactory(code=code, po_item=_open_line(farm, boxes=1))


def test_code_change_long_code_fails_alone(vendor_api, farm):
    _shipped_box(farm, "KS1")
    _shipped_box(farm, "KS2")
    change = {
        "boxes": [
            {"currentBoxCode": "KS1", "newBoxCode": LONG_CODE},
            {"currentBoxCode": LONG_CODE, "newBoxCode": "PT3"},
            "KS1",
            {"currentBoxCode": "KS2", "newBoxCode": "pt2"},
        ]
    }

    response = vendor_api.post("box.code.change", change)

    assert response.status_code == 200
    data = response.json()
    assert data["message"] == "1 box code(s) changed, 3 not changed."
    long_new, long_current, not_object, good = data["boxes"]
    assert long_new == {
        "currentBoxCode": "KS1",
        "newBoxCode": LONG_CODE,
        "status": 0,
        "message": (
            f"boxes[0].newBoxCode: must be 1 to 20 characters long. Received '{LONG_CODE}'."
        ),
    }
    assert long_current["status"] == 0
    assert long_current["message"].startswith("boxes[1].currentBoxCode: must be 1 to 20")
    assert not_object["currentBoxCode"] is None
    assert not_object["status"] == 0
    assert not_object["message"].startswith("boxes[2]: Invalid data. Expected a dictionary")
    assert good["status"] == 1
    assert good["newBoxCode"] == "PT2"
    assert set(Box.objects.values_list("code", flat=True)) == {"KS1", "PT2"}


def test_code_change_all_invalid_is_400(vendor_api, farm):
    _shipped_box(farm, "KS1")

    response = vendor_api.post(
        "box.code.change", {"boxes": [{"currentBoxCode": "KS1", "newBoxCode": LONG_CODE}]}
    )

    assert response.status_code == 400
    assert response.json()["status"] == 0
    assert response.json()["boxes"][0]["status"] == 0
    assert list(Box.objects.values_list("code", flat=True)) == ["KS1"]


def test_code_change_index_after_rejected_box(vendor_api, farm):
    _shipped_box(farm, "KS1")
    _shipped_box(farm, "KS2")
    change = {
        "boxes": [
            {"currentBoxCode": "KS1", "newBoxCode": LONG_CODE},
            {"currentBoxCode": "KS2", "newBoxCode": "A B"},
        ]
    }

    boxes = vendor_api.post("box.code.change", change).json()["boxes"]

    assert boxes[1]["message"].startswith("boxes[1].newBoxCode 'A B': invalid character(s)")
