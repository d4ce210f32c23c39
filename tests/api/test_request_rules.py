"""Request rules of the write and list methods: conflicts, id/code pairs, limits, filters."""

import pytest

from orders.models import Box, Prebook, PrebookItem, PurchaseOrder, PurchaseOrderItem
from orders.services.purchase_orders import purchase_order_approve
from tests.api.test_contract import SHIP, VALID_AWB, farm_prebook

pytestmark = pytest.mark.django_db


def _farm_line_on_po(vendor_api, boxes=2):
    """Return a farm's prebook with one line and the PO that orders all its boxes."""
    prebook = farm_prebook(vendor_api, boxes=boxes).json()
    item_id = prebook["prebookItems"][0]["prebookItemId"]
    body = {"shipDate": SHIP, "purchaseOrderItems": [{"prebookItemId": item_id}]}
    po_data = vendor_api.post("purchase.order.create", body).json()
    assert po_data["status"] == 1, po_data
    po = PurchaseOrder.objects.get(pk=po_data["purchaseOrderId"])
    return prebook["prebookId"], item_id, po


# --- prebook.item.delete with a vendor token ------------------------------------------------


@pytest.mark.parametrize(
    "po_status",
    [PurchaseOrder.Status.PENDING_APPROVAL, PurchaseOrder.Status.SHIPPED],
)
def test_vendor_item_delete_on_po_conflict(vendor_api, catalogue, po_status):
    prebook_id, item_id, po = _farm_line_on_po(vendor_api)
    PurchaseOrder.objects.filter(pk=po.pk).update(status=po_status)
    response = vendor_api.post(
        "prebook.item.delete", {"prebookId": prebook_id, "prebookItemId": item_id}
    )
    data = response.json()
    assert response.status_code == 409
    assert data["status"] == 0
    assert data["message"] == (
        f"prebookItemId: line {item_id} has 2 box(es) on PO {po.number}; "
        "delete those PO lines first."
    )
    assert PrebookItem.objects.get(pk=item_id).boxes == 2


def test_vendor_item_delete_after_po_cancelled(vendor_api, catalogue):
    prebook_id, item_id, po = _farm_line_on_po(vendor_api)
    PurchaseOrder.objects.filter(pk=po.pk).update(status=PurchaseOrder.Status.CANCELLED)
    response = vendor_api.post(
        "prebook.item.delete", {"prebookId": prebook_id, "prebookItemId": item_id}
    )
    assert response.json() == {"status": 1, "message": "success"}
    assert PrebookItem.objects.get(pk=item_id).boxes == 0


def test_vendor_item_delete_after_po_line_deleted(vendor_api, catalogue):
    prebook_id, item_id, po = _farm_line_on_po(vendor_api)
    po.items.update(status=PurchaseOrderItem.Status.DELETED)
    response = vendor_api.post(
        "prebook.item.delete", {"prebookId": prebook_id, "prebookItemId": item_id}
    )
    assert response.status_code == 200
    assert PrebookItem.objects.get(pk=item_id).boxes == 0


def test_vendor_item_delete_breakdown_link_conflict(vendor_api, catalogue):
    prebook = farm_prebook(vendor_api, boxes=3).json()
    item_id = prebook["prebookItems"][0]["prebookItemId"]
    body = {
        "shipDate": SHIP,
        "purchaseOrderItems": [
            {
                "boxTypeCode": "HB",
                "boxes": 1,
                "breakdowns": [
                    {"prebookItemId": item_id, "bunches": 4, "stemsBunch": 25, "cost": "0.30"}
                ],
            }
        ],
    }
    po_data = vendor_api.post("purchase.order.mixed.create", body).json()
    assert po_data["status"] == 1, po_data
    response = vendor_api.post(
        "prebook.item.delete", {"prebookId": prebook["prebookId"], "prebookItemId": item_id}
    )
    assert response.status_code == 409
    assert po_data["purchaseOrderNumber"] in response.json()["message"]
    assert PrebookItem.objects.get(pk=item_id).boxes == 3


# --- prebook.create without lines -----------------------------------------------------------


def test_prebook_create_header_only(company_api, catalogue):
    body = {"customerCode": "ANG", "carrierCode": "AR", "shipDate": SHIP, "prebookItems": []}
    data = company_api.post("prebook.create", body).json()
    assert data["status"] == 1, data
    assert data["prebookItems"] == []
    assert Prebook.objects.get(pk=data["prebookId"]).items.count() == 0


# --- id and code of one reference -----------------------------------------------------------


def _company_prebook_body(**line):
    return {
        "customerCode": "ANG",
        "carrierCode": "AR",
        "shipDate": SHIP,
        "prebookItems": [
            {
                "productCode": "RS50RED",
                "boxTypeCode": "HB",
                "boxes": 2,
                "bunches": 10,
                "stemsBunch": 25,
                **line,
            }
        ],
    }


def test_prebook_line_vendor_id_and_code(company_api, catalogue, farm):
    body = _company_prebook_body(vendorId=farm.pk, vendorCode=farm.code)
    response = company_api.post("prebook.create", body)
    data = response.json()
    assert response.status_code == 400
    assert data["status"] == 0
    assert data["message"] == "prebookItems[0].vendorId / vendorCode: send one of them, not both."
    assert not Prebook.objects.exists()


@pytest.mark.parametrize(
    ("header", "line", "expected"),
    [
        ({"customerId": "customer"}, {}, "customerId / customerCode"),
        ({"carrierId": "carrier"}, {}, "carrierId / carrierCode"),
        ({}, {"productId": "product"}, "prebookItems[0].productId / productCode"),
        ({}, {"boxTypeId": "box_type"}, "prebookItems[0].boxTypeId / boxTypeCode"),
    ],
)
def test_prebook_id_and_code_pairs(company_api, catalogue, farm, header, line, expected):
    body = _company_prebook_body(vendorId=farm.pk)
    body.update({key: catalogue[name].pk for key, name in header.items() if key.endswith("Id")})
    body["prebookItems"][0].update({key: catalogue[name].pk for key, name in line.items()})
    response = company_api.post("prebook.create", body)
    assert response.status_code == 400
    assert response.json()["message"] == f"{expected}: send one of them, not both."
    assert not Prebook.objects.exists()


def test_purchase_order_product_id_and_code(vendor_api, catalogue):
    body = {
        "shipDate": SHIP,
        "purchaseOrderItems": [
            {
                "productId": catalogue["product"].pk,
                "productCode": "FR50",
                "boxTypeCode": "HB",
                "boxes": 1,
                "bunches": 10,
                "stemsBunch": 25,
            }
        ],
    }
    response = vendor_api.post("purchase.order.create", body)
    assert response.status_code == 400
    assert response.json()["message"] == (
        "purchaseOrderItems[0].productId / productCode: send one of them, not both."
    )
    assert not PurchaseOrder.objects.exists()


def test_mixed_breakdown_product_id_and_code(vendor_api, catalogue):
    breakdown = {
        "productId": catalogue["product"].pk,
        "productCode": "FR50",
        "bunches": 4,
        "stemsBunch": 25,
        "cost": "0.30",
    }
    body = {
        "shipDate": SHIP,
        "purchaseOrderItems": [{"boxTypeCode": "HB", "boxes": 1, "breakdowns": [breakdown]}],
    }
    response = vendor_api.post("purchase.order.mixed.create", body)
    assert response.status_code == 400
    assert response.json()["message"] == (
        "purchaseOrderItems[0].breakdowns[0].productId / productCode: send one of them, not both."
    )
    assert not PurchaseOrder.objects.exists()


# --- purchase.order.mixed.create bunches limit ----------------------------------------------


def _mixed_body(breakdown_count, bunches):
    breakdown = {
        "productCode": "FR50",
        "bunches": bunches,
        "stemsBunch": 99999,
        "cost": "9999999.999",
    }
    return {
        "shipDate": SHIP,
        "purchaseOrderItems": [
            {"boxTypeCode": "HB", "boxes": 1, "breakdowns": [breakdown] * breakdown_count}
        ],
    }


def test_mixed_bunches_sum_over_limit(vendor_api, catalogue):
    response = vendor_api.post("purchase.order.mixed.create", _mixed_body(50, 99999))
    data = response.json()
    assert response.status_code == 400
    assert data["status"] == 0
    assert data["message"] == (
        "Invalid request. purchaseOrderItems[0].breakdowns: the breakdowns' bunches add up "
        "to 4999950, but a box holds at most 99999 bunches."
    )
    assert not PurchaseOrder.objects.exists()


def test_mixed_bunches_sum_at_limit(vendor_api, catalogue):
    # 3 x 33333 = 99999, the largest sum allowed.
    data = vendor_api.post("purchase.order.mixed.create", _mixed_body(3, 33333)).json()
    assert data["status"] == 1, data
    item = PurchaseOrderItem.objects.get(pk=data["poItems"][0]["poItemId"])
    assert item.bunches == 99999
    assert item.stems_per_bunch == 99999
    assert str(item.cost) == "9999999.999"


# --- list filters -------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["1,a b", "1,", "12345678901", "１", "1;2"])
def test_po_list_number_invalid(vendor_api, catalogue, number):
    response = vendor_api.get("purchase.order.list", number=number)
    data = response.json()
    assert response.status_code == 400
    assert data["status"] == 0
    assert data["message"] == (
        "number: must be PO numbers of 1 to 10 letters, digits, '.', '-', '/' or '_', "
        f"separated by commas. Received {number!r}."
    )


def test_po_list_number_valid(vendor_api, catalogue):
    _prebook_id, _item_id, po = _farm_line_on_po(vendor_api)
    data = vendor_api.get("purchase.order.list", number=f"1, {po.number}").json()
    assert data["status"] == 1, data
    assert [row["number"] for row in data["purchaseOrders"]] == [po.number]


def test_po_list_item_ids_invalid(vendor_api, catalogue):
    response = vendor_api.get("purchase.order.list", date=SHIP, purchaseOrderItemIds="5,x")
    assert response.status_code == 400
    assert response.json()["message"] == (
        "purchaseOrderItemIds: must be comma-separated numbers. Received '5,x'."
    )


# --- box.code.change to the same code -------------------------------------------------------


def _shipped_boxes(vendor_api, codes):
    _prebook_id, _item_id, po = _farm_line_on_po(vendor_api, boxes=len(codes))
    purchase_order_approve(po=po, actor_label="test")
    line = {
        "poItemId": po.items.get().pk,
        "awb": VALID_AWB,
        "shipDate": SHIP,
        "boxCodes": codes,
    }
    data = vendor_api.post("purchase.order.items.awb.add", {"poItems": [line]}).json()
    assert data["status"] == 1, data


def test_box_code_change_same_code_other_case(vendor_api, catalogue):
    _shipped_boxes(vendor_api, ["RS41294055"])
    change = {"boxes": [{"currentBoxCode": "RS41294055", "newBoxCode": "rs41294055"}]}
    response = vendor_api.post("box.code.change", change)
    data = response.json()
    assert response.status_code == 200
    assert data["status"] == 1
    assert data["message"] == "0 box code(s) changed, 0 not changed, 1 already had the new code."
    assert data["boxes"][0]["status"] == 1
    assert data["boxes"][0]["message"] == (
        "boxes[0].newBoxCode 'RS41294055': the box already has this code."
    )
    assert list(Box.objects.values_list("code", flat=True)) == ["RS41294055"]


def test_box_code_change_mixed_summary(vendor_api, catalogue):
    _shipped_boxes(vendor_api, ["RS1", "RS2"])
    change = {
        "boxes": [
            {"currentBoxCode": "RS1", "newBoxCode": "RS1"},
            {"currentBoxCode": "rs2", "newBoxCode": "PT2"},
            {"currentBoxCode": "RS9", "newBoxCode": "PT9"},
        ]
    }
    data = vendor_api.post("box.code.change", change).json()
    assert data["message"] == "1 box code(s) changed, 1 not changed, 1 already had the new code."
    assert [box["status"] for box in data["boxes"]] == [1, 1, 0]
    assert set(Box.objects.values_list("code", flat=True)) == {"RS1", "PT2"}


# --- missing token ------------------------------------------------------------------------


def test_missing_token_message(client):
    response = client.post("/api/prebook.create", data={}, content_type="application/json")
    assert response.status_code == 401
    assert response.json() == {"status": 0, "message": "authenticationToken is required."}
