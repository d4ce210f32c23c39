"""Contract tests: the sample requests of Komet's documentation, and the vendor-token rules."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.models import (
    Box,
    Prebook,
    PrebookItem,
    PurchaseOrder,
    PurchaseOrderItem,
    Source,
)
from orders.services.numbers import PURCHASE_ORDER, document_number_restart
from orders.services.purchase_orders import purchase_order_approve
from sync.models import Exchange, ExchangeKind
from tests.api.conftest import ApiClient
from tests.factories import (
    PrebookFactory,
    PrebookItemFactory,
    PurchaseOrderFactory,
    UserFactory,
)
from tokens.methods import AXERRIO_METHODS
from tokens.models import ApiToken
from tokens.services import api_token_issue

pytestmark = pytest.mark.django_db

SHIP = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
VALID_AWB = "369-1234-5675"


def farm_prebook(api, *, product_code="FR50", boxes=5):
    body = {
        "customerCode": "ANG",
        "customerDescription": "Ang Flowers",
        "carrierCode": "AR",
        "carrierDescription": "Armellini",
        "shipDate": SHIP,
        "prebookItems": [
            {
                "productCode": product_code,
                "productDescription": f"{product_code} DESC",
                "boxTypeCode": "HB",
                "unitType": "Stem",
                "boxes": boxes,
                "bunches": 10,
                "stemsBunch": 25,
                "cost": 0.70,
                "price": 2.50,
            }
        ],
    }
    return api.post("prebook.create", body)


def test_prebook_create_by_ids(company_api, catalogue, farm):
    body = {
        "customerId": catalogue["customer"].pk,
        "customerPO": "PO4534",
        "shipToId": 999,
        "carrierId": catalogue["carrier"].pk,
        "shipDate": SHIP,
        "comments": "Rush",
        "prebookItems": [
            {
                "vendorId": farm.pk,
                "productId": catalogue["product"].pk,
                "boxTypeId": catalogue["box_type"].pk,
                "unitType": "Stem",
                "boxes": 5,
                "bunches": 10,
                "stemsBunch": 2,
                "cost": 0.70,
                "price": 2.50,
                "markCode": "MK",
                "notes": "n",
                "breakdowns": [
                    {
                        "productId": catalogue["product"].pk,
                        "bunches": 2,
                        "stemsBunch": 3,
                        "cost": 0.75,
                        "price": 1.50,
                    }
                ],
            }
        ],
    }

    response = company_api.post("prebook.create", body)

    data = response.json()
    assert response.status_code == 200, data
    assert data["status"] == 1
    prebook = Prebook.objects.get(pk=data["prebookId"])
    assert data["prebookNumber"] == prebook.number
    assert data["purchaseOrderNumbers"] == ""
    item = prebook.items.get()
    assert item.price == Decimal("2.500")
    assert item.breakdowns.get().price == Decimal("1.500")
    assert item.vendor_ship_date == prebook.truck_date - datetime.timedelta(days=2)
    assert data["prebookItems"][0]["prebookItemId"] == item.pk

    ledger = Exchange.objects.get(method="prebook.create")
    assert ledger.kind == ExchangeKind.PREBOOK_RECEIVED
    assert ledger.prebook_id == prebook.pk


def test_prebook_create_by_codes_autogenerate(company_api, catalogue, farm):
    body = {
        "customerCode": "ANG",
        "customerDescription": "Ang Flowers",
        "customerPO": "2926",
        "carrierCode": "AR",
        "carrierDescription": "Armellini",
        "shipDate": SHIP,
        "autoGeneratePOsfromPrebooks": "1",
        "prebookItems": [
            {
                "vendorCode": "ROSAS",
                "vendorDescription": "Rosas del Valle",
                "productCode": "RS50RED",
                "productDescription": "Rose Freedom Red 50cm",
                "boxTypeCode": "HB",
                "boxTypeDescription": "HB",
                "unitType": "Stem",
                "boxes": 5,
                "bunches": 10,
                "stemsBunch": 2,
                "cost": 0.70,
                "price": 2.50,
            }
        ],
    }
    data = company_api.post("prebook.create", body).json()
    assert data["status"] == 1, data
    po = PurchaseOrder.objects.get(number=data["purchaseOrderNumbers"])
    assert po.status == PurchaseOrder.Status.APPROVED
    assert po.items.get().prebook_item_id == data["prebookItems"][0]["prebookItemId"]


def test_company_unknown_code_names_field(company_api, catalogue):
    body = {"customerCode": "NOPE", "carrierCode": "AR", "shipDate": SHIP}
    response = company_api.post("prebook.create", body)
    assert response.status_code == 404
    assert "customerCode" in response.json()["message"]
    assert Prebook.objects.count() == 0


def test_farm_prebook_ignores_price_and_vendor(vendor_api, catalogue, farm, other_farm):
    response = farm_prebook(vendor_api)
    data = response.json()
    assert data["status"] == 1, data
    item = PrebookItem.objects.get(pk=data["prebookItems"][0]["prebookItemId"])
    assert item.price is None
    assert item.vendor == farm
    assert item.product == catalogue["product"]
    assert item.hold_reason == ""
    assert item.prebook.source == Source.API


def test_farm_unknown_product_kept_and_held(vendor_api, catalogue):
    data = farm_prebook(vendor_api, product_code="NEWROSE").json()
    assert data["status"] == 1
    line = data["prebookItems"][0]
    assert "product not mapped" in line["message"]
    item = PrebookItem.objects.get(pk=line["prebookItemId"])
    assert item.hold_reason == "product_not_mapped"
    assert item.vendor_product.code == "NEWROSE"
    assert item.prebook.held_line_count == 1


def test_bad_date_names_field_and_value(vendor_api, catalogue):
    response = vendor_api.post(
        "prebook.create", {"customerCode": "ANG", "carrierCode": "AR", "shipDate": "10/04/2014"}
    )
    assert response.status_code == 400
    message = response.json()["message"]
    assert "shipDate" in message
    assert "YYYY-MM-DD" in message
    assert "10/04/2014" in message


def test_prebook_item_delete_vendor_zeroes(vendor_api, other_vendor_api, catalogue):
    data = farm_prebook(vendor_api).json()
    body = {
        "prebookId": str(data["prebookId"]),
        "prebookItemId": str(data["prebookItems"][0]["prebookItemId"]),
    }
    assert other_vendor_api.post("prebook.item.delete", body).status_code == 404
    response = vendor_api.post("prebook.item.delete", body)
    assert response.json() == {"status": 1, "message": "success"}
    assert PrebookItem.objects.get(pk=body["prebookItemId"]).boxes == 0


def _po_body(prebook_item_id, **extra):
    return {"shipDate": SHIP, "purchaseOrderItems": [{"prebookItemId": prebook_item_id, **extra}]}


def test_purchase_order_create_from_farm_prebook(vendor_api, catalogue):
    item_id = farm_prebook(vendor_api).json()["prebookItems"][0]["prebookItemId"]
    response = vendor_api.post("purchase.order.create", _po_body(item_id))
    data = response.json()
    assert data["status"] == 1, data
    po = PurchaseOrder.objects.get(pk=data["purchaseOrderId"])
    assert po.status == PurchaseOrder.Status.PENDING_APPROVAL
    assert data["poItems"][0]["prebookItemId"] == item_id
    assert po.items.get().boxes == 5
    assert Exchange.objects.get(method="purchase.order.create").purchase_order_id == po.pk


def test_purchase_order_other_farm_line_not_found(vendor_api, other_vendor_api, catalogue):
    item_id = farm_prebook(vendor_api).json()["prebookItems"][0]["prebookItemId"]
    response = other_vendor_api.post("purchase.order.create", _po_body(item_id))
    assert response.status_code == 404
    assert f"no prebook line with id {item_id}" in response.json()["message"]
    assert PurchaseOrder.objects.count() == 0


def test_auto_approve_matching_portal_prebook(vendor_api, catalogue, farm, settings):
    settings.AUTO_APPROVE_MATCHING_POS = True
    line = PrebookItemFactory(
        vendor=farm, product=catalogue["product"], box_type=catalogue["box_type"]
    )
    assert line.prebook.source == Source.PORTAL
    data = vendor_api.post("purchase.order.create", _po_body(line.pk)).json()
    assert data["purchaseOrderStatus"] == PurchaseOrder.Status.APPROVED
    # Fewer boxes than the importer's line requests, so procurement must review the PO.
    other = PrebookItemFactory(
        vendor=farm, product=catalogue["product"], box_type=catalogue["box_type"]
    )
    mismatched = vendor_api.post("purchase.order.create", _po_body(other.pk, boxes=3)).json()
    assert mismatched["purchaseOrderStatus"] == PurchaseOrder.Status.PENDING_APPROVAL


def test_mixed_create(vendor_api, catalogue):
    body = {
        "shipDate": SHIP,
        "purchaseOrderItems": [
            {
                "productCode": "FR50",
                "boxTypeCode": "HB",
                "unitType": "Stem",
                "boxes": 2,
                "breakdowns": [
                    {"productCode": "FR50", "bunches": 4, "stemsBunch": 25, "cost": "0.30"},
                    {"productCode": "MYSTERY", "bunches": 6, "stemsBunch": 25, "cost": "0.40"},
                ],
            }
        ],
    }
    data = vendor_api.post("purchase.order.mixed.create", body).json()
    assert data["status"] == 1, data
    item = PurchaseOrderItem.objects.get(pk=data["poItems"][0]["poItemId"])
    assert item.bunches == 10
    assert item.breakdowns.count() == 2
    assert item.cost == Decimal("0.360")


def _approved_po(vendor_api, boxes=3):
    item_id = farm_prebook(vendor_api, boxes=boxes).json()["prebookItems"][0]["prebookItemId"]
    data = vendor_api.post("purchase.order.create", _po_body(item_id)).json()
    po = PurchaseOrder.objects.get(pk=data["purchaseOrderId"])
    return po, data["poItems"][0]["poItemId"]


def test_awb_add_pending_refused(vendor_api, catalogue):
    _po, po_item_id = _approved_po(vendor_api)
    body = {"poItems": [{"poItemId": po_item_id, "awb": VALID_AWB, "shipDate": SHIP}]}
    response = vendor_api.post("purchase.order.items.awb.add", body)
    assert response.status_code == 400
    result = response.json()["purchaseOrderItemDetailsAWBAddAPIResultList"][0]
    assert "Pending Approval" in result["message"]
    assert Box.objects.count() == 0


def test_awb_add_full_and_partial(vendor_api, catalogue):
    po, first = _approved_po(vendor_api, boxes=3)
    purchase_order_approve(po=po, actor_label="test")
    _po2, _ = _approved_po(vendor_api)
    body = {
        "poItems": [
            {
                "poItemId": first,
                "awb": VALID_AWB,
                "houseAWB": "HAWB-1",
                "shipDate": SHIP,
                "boxCodes": ["73992893", "73992894"],
                "lotNumber": "234232",
            },
            {"poItemId": 99999999, "awb": VALID_AWB, "shipDate": SHIP},
        ]
    }

    data = vendor_api.post("purchase.order.items.awb.add", body).json()

    ok, missing = data["purchaseOrderItemDetailsAWBAddAPIResultList"]
    assert ok["status"] == 1
    assert ok["boxCodes"] == ["73992893", "73992894"]
    new_line = PurchaseOrderItem.objects.get(pk=ok["newPOItemId"])
    assert new_line.boxes == 1
    assert new_line.split_from_id == first
    assert missing["status"] == 0

    box = Box.objects.get(code="73992893")
    assert box.awb == "36912345675"
    assert box.lot_number == "234232"

    # The remaining box ships without codes: the portal generates one and the PO ships.
    body = {"poItems": [{"poItemId": new_line.pk, "awb": VALID_AWB, "shipDate": SHIP}]}
    data = vendor_api.post("purchase.order.items.awb.add", body).json()
    result = data["purchaseOrderItemDetailsAWBAddAPIResultList"][0]
    assert result["boxCodes"] == [f"PB{new_line.pk:08d}001"]
    assert 1000 <= int(result["lotNumber"]) <= 99999
    po.refresh_from_db()
    assert po.status == PurchaseOrder.Status.SHIPPED


def test_awb_add_rejects_bad_awb_clash_and_lot(vendor_api, catalogue):
    po, item = _approved_po(vendor_api, boxes=2)
    purchase_order_approve(po=po, actor_label="test")
    cases = [
        ({"awb": "369-1234-5670"}, "check digit"),
        ({"lotNumber": "5000"}, "lotNumber"),
    ]
    for extra, expected in cases:
        body = {"poItems": [{"poItemId": item, "awb": VALID_AWB, "shipDate": SHIP, **extra}]}
        result = vendor_api.post("purchase.order.items.awb.add", body).json()
        assert expected in result["purchaseOrderItemDetailsAWBAddAPIResultList"][0]["message"]
    po2, item2 = _approved_po(vendor_api, boxes=2)
    purchase_order_approve(po=po2, actor_label="test")
    first = {
        "poItems": [
            {"poItemId": item, "awb": VALID_AWB, "shipDate": SHIP, "boxCodes": ["A1", "A2"]}
        ]
    }
    assert vendor_api.post("purchase.order.items.awb.add", first).status_code == 200
    clash = {
        "poItems": [
            {"poItemId": item2, "awb": VALID_AWB, "shipDate": SHIP, "boxCodes": ["A2", "B1"]}
        ]
    }
    result = vendor_api.post("purchase.order.items.awb.add", clash).json()
    message = result["purchaseOrderItemDetailsAWBAddAPIResultList"][0]["message"]
    assert "'A2': already used" in message
    assert not Box.objects.filter(code="B1").exists()


def test_box_code_change_partial(vendor_api, other_vendor_api, catalogue):
    po, item = _approved_po(vendor_api, boxes=2)
    purchase_order_approve(po=po, actor_label="test")
    body = {
        "poItems": [
            {
                "poItemId": item,
                "awb": VALID_AWB,
                "shipDate": SHIP,
                "boxCodes": ["KS001001", "KS001002"],
            }
        ]
    }
    vendor_api.post("purchase.order.items.awb.add", body)
    change = {
        "boxes": [
            {"currentBoxCode": "KS001001", "newBoxCode": "PT991001"},
            {"currentBoxCode": "KS001002", "newBoxCode": "PT991002"},
            {"currentBoxCode": "KS001003", "newBoxCode": "PT991003"},
        ]
    }
    assert other_vendor_api.post("box.code.change", change).status_code == 400
    data = vendor_api.post("box.code.change", change).json()
    assert data["status"] == 1
    assert [b["status"] for b in data["boxes"]] == [1, 1, 0]
    assert data["boxes"][2]["message"] == "Box code does not exist"
    assert set(Box.objects.values_list("code", flat=True)) == {"PT991001", "PT991002"}


def test_prebook_details_list_vendor_view(vendor_api, company_api, catalogue, farm, other_farm):
    prebook = PrebookFactory(truck_date=timezone.localdate() + datetime.timedelta(days=3))
    mine = PrebookItemFactory(prebook=prebook, vendor=farm)
    PrebookItemFactory(prebook=prebook, vendor=other_farm)
    PrebookItemFactory(prebook=prebook, vendor=farm, cost=None)
    PrebookItemFactory(
        prebook=prebook,
        vendor=farm,
        vendor_ship_date=timezone.localdate() - datetime.timedelta(days=2),
    )
    data = vendor_api.get("prebook.details.list", date=prebook.truck_date.isoformat()).json()
    assert data["status"] == 1
    (row,) = data["prebooks"]
    assert [d["prebookItemId"] for d in row["details"]] == [mine.pk]
    assert "unitPrice" not in row["details"][0]
    assert "totalPrice" not in row
    full = company_api.get("prebook.details.list", date=prebook.truck_date.isoformat()).json()
    assert len(full["prebooks"][0]["details"]) == 4
    assert full["prebooks"][0]["details"][0]["unitPrice"] == 0.55


def test_purchase_order_list_vendor_only_own(vendor_api, other_vendor_api, catalogue):
    po, _ = _approved_po(vendor_api)
    data = vendor_api.get("purchase.order.list", date=po.ship_date.isoformat()).json()
    assert [row["number"] for row in data["purchaseOrders"]] == [po.number]
    assert data["purchaseOrders"][0]["details"][0]["productCode"] == "FR50"
    other = other_vendor_api.get("purchase.order.list", date=po.ship_date.isoformat()).json()
    assert other["purchaseOrders"] == []


def test_date_window_capped(company_api, db):
    response = company_api.get("prebook.list", dateFrom="2026-01-01", dateTo="2026-12-01")
    assert response.status_code == 400
    assert "six months" in response.json()["message"]


def test_list_methods_filters(vendor_api, company_api, catalogue):
    boxtypes = vendor_api.get("boxtype.list", code="HB").json()["boxtypes"]
    assert boxtypes[0]["fbe"] == 0.5
    carriers = vendor_api.get("carrier.list", name="armell").json()["carriers"]
    assert [c["code"] for c in carriers] == ["AR"]
    products = company_api.get("product.list", description="freedom").json()["products"]
    assert products[0]["legacyCode"] == "RS50RED"
    vendors = company_api.get("vendor.list", code="ROSAS").json()["vendors"]
    assert vendors[0]["name"] == "Rosas del Valle"
    assert vendor_api.get("vendor.list").status_code == 403


def test_idempotency_key(vendor_api, catalogue):
    body = {"customerCode": "ANG", "carrierCode": "AR", "shipDate": SHIP}
    first = vendor_api.post("prebook.create", body, **{"Idempotency-Key": "k1"})
    again = vendor_api.post("prebook.create", body, **{"Idempotency-Key": "k1"})
    assert again.json() == first.json()
    assert again["Idempotent-Replay"] == "true"
    assert Prebook.objects.count() == 1
    other = vendor_api.post(
        "prebook.create", {**body, "comments": "x"}, **{"Idempotency-Key": "k1"}
    )
    assert other.status_code == 409


def test_body_limit_and_quota(vendor_api, farm):
    big = vendor_api.post("prebook.create", {"comments": "x" * 70000})
    assert big.status_code == 413
    assert big.json()["status"] == 0

    ApiToken.objects.filter(vendor=farm).update(daily_quota=2)
    codes = [vendor_api.get("boxtype.list").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_login(db, client):

    UserFactory(username="boss", groups=["Admin"])
    UserFactory(username="clerk", groups=["Sales"])
    ok = client.post("/api/login?username=boss&password=correct-horse-battery").json()
    assert ok["status"] == 1
    assert len(ok["apiKey"]) == 32
    bad = client.post("/api/login?username=clerk&password=correct-horse-battery")
    wrong = client.post("/api/login?username=boss&password=nope")
    assert bad.status_code == wrong.status_code == 401
    assert bad.json()["message"] == wrong.json()["message"]
    rows = Exchange.objects.filter(method="login")
    assert rows.count() == 3
    for row in rows:
        assert "correct-horse-battery" not in str(row.payload) + row.response_body
        assert ok["apiKey"] not in row.response_body


def test_updated_as_of_is_gmt(company_api, catalogue, farm):
    prebook = PrebookFactory(customer=catalogue["customer"], carrier=catalogue["carrier"])
    PrebookItemFactory(prebook=prebook, vendor=farm)
    changed = prebook.updated_at.astimezone(datetime.UTC)
    day = prebook.truck_date.isoformat()
    before = (changed - datetime.timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S")
    after = (changed + datetime.timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S")
    listed = company_api.get("prebook.details.list", date=day, updatedAsOf=before).json()
    assert len(listed["prebooks"]) == 1
    later = company_api.get("prebook.details.list", date=day, updatedAsOf=after).json()
    assert later["prebooks"] == []


def test_schema_and_reference_page(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    text = schema.content.decode()
    assert "prebook_create" in text
    assert "PrebookCreateInput" in text
    assert client.get("/api/docs/").status_code == 200


def test_wrong_verb_is_405_envelope(vendor_api):
    response = vendor_api.client.get("/api/prebook.create")
    assert response.status_code == 405
    assert response.json() == {"status": 0, "message": "prebook.create must be called with POST."}


def test_box_warehouse_receive(vendor_api, company_api, catalogue):
    po, item = _approved_po(vendor_api, boxes=1)
    purchase_order_approve(po=po, actor_label="test")
    body = {
        "poItems": [{"poItemId": item, "awb": VALID_AWB, "shipDate": SHIP, "boxCodes": ["RX1"]}]
    }
    vendor_api.post("purchase.order.items.awb.add", body)
    first = company_api.post("box.warehouse.receive", {"boxCode": "RX1", "position": "A1"})
    assert first.json()["status"] == 1, first.json()
    assert first.json()["outcome"] == "received"
    assert Box.objects.get(code="RX1").received_at is not None
    again = company_api.post("box.warehouse.receive", {"boxCode": "RX1"}).json()
    assert again["outcome"] == "already_received"
    unknown = company_api.post("box.warehouse.receive", {"boxCode": "NOPE"})
    assert unknown.status_code == 404
    assert unknown.json()["status"] == 0
    assert vendor_api.post("box.warehouse.receive", {"boxCode": "RX1"}).status_code == 403


def test_other_farm_ids_look_missing(vendor_api, other_vendor_api, catalogue):
    """Another farm's document, named by id in any method, looks like a missing one."""
    po, po_item = _approved_po(vendor_api, boxes=2)
    purchase_order_approve(po=po, actor_label="test")
    ship = {"poItemId": po_item, "awb": VALID_AWB, "shipDate": SHIP}

    deleted = other_vendor_api.post("purchase.order.item.delete", {"poItemId": po_item})
    assert deleted.status_code == 404
    assert deleted.json()["message"] == f"poItemId: no PO line with id {po_item}."

    shipped = other_vendor_api.post("purchase.order.items.awb.add", {"poItems": [ship]}).json()
    result = shipped["purchaseOrderItemDetailsAWBAddAPIResultList"][0]
    assert result["message"] == f"poItems[0].poItemId: no PO line with id {po_item}."

    appended = other_vendor_api.post(
        "purchase.order.create",
        {
            "shipDate": SHIP,
            "purchaseOrderNumber": po.number,
            "purchaseOrderItems": [{"productCode": "X", "boxes": 1, "bunches": 1}],
        },
    )
    assert appended.status_code == 404

    listed = other_vendor_api.get("purchase.order.list", number=po.number).json()
    assert listed["purchaseOrders"] == []
    assert PurchaseOrderItem.objects.get(pk=po_item).status == "open"
    assert Box.objects.count() == 0


def test_farm_vendor_fields_ignored(vendor_api, catalogue, farm, other_farm):
    body = {
        "customerCode": "ANG",
        "carrierCode": "AR",
        "shipDate": SHIP,
        "prebookItems": [
            {
                "vendorId": other_farm.pk,
                "vendorCode": "OTRA",
                "productCode": "FR50",
                "boxTypeCode": "HB",
                "boxes": "5",
                "bunches": "10",
                "stemsBunch": "25",
                "cost": "0.70",
                "price": "2.50",
            }
        ],
    }
    data = vendor_api.post("prebook.create", body).json()
    assert data["status"] == 1, data
    item = PrebookItem.objects.get(pk=data["prebookItems"][0]["prebookItemId"])
    assert item.vendor == farm
    assert item.boxes == 5
    assert item.cost == Decimal("0.700")
    assert item.price is None


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("boxTypeCode", "XB", "box type not mapped"),
        ("customerCode", "NEWCUST", "customer not mapped"),
        ("carrierCode", "NEWCARRIER", "carrier not mapped"),
    ],
)
def test_farm_unknown_codes_typed_hold(vendor_api, catalogue, field, value, reason):
    body = {
        "customerCode": "ANG",
        "carrierCode": "AR",
        "shipDate": SHIP,
        "prebookItems": [
            {
                "productCode": "FR50",
                "boxTypeCode": "HB",
                "boxes": 1,
                "bunches": 10,
                "stemsBunch": 25,
                "cost": 0.3,
            }
        ],
    }
    if field == "boxTypeCode":
        body["prebookItems"][0][field] = value
    else:
        body[field] = value
    data = vendor_api.post("prebook.create", body).json()
    assert data["status"] == 1, data
    assert data["prebookItems"][0]["message"] == f"Line kept but held: {reason}."


def test_company_unknown_box_type_names_field(company_api, catalogue, farm):
    body = {
        "customerCode": "ANG",
        "carrierCode": "AR",
        "shipDate": SHIP,
        "prebookItems": [
            {
                "vendorCode": "ROSAS",
                "productCode": "RS50RED",
                "boxTypeCode": "ZZ",
                "boxes": 1,
                "bunches": 1,
                "stemsBunch": 1,
            }
        ],
    }
    response = company_api.post("prebook.create", body)
    assert response.status_code == 404
    assert response.json()["message"] == "prebookItems[0].boxTypeCode: no box type with code 'ZZ'."
    assert Prebook.objects.count() == 0


def test_use_existing_appends_lines(vendor_api, catalogue):
    first = farm_prebook(vendor_api).json()
    body = {
        "customerCode": "ANG",
        "carrierCode": "AR",
        "shipDate": SHIP,
        "useExisting": "1",
        "prebookItems": [
            {
                "productCode": "FR50",
                "boxTypeCode": "HB",
                "boxes": 2,
                "bunches": 10,
                "stemsBunch": 25,
                "cost": 0.3,
            }
        ],
    }
    second = vendor_api.post("prebook.create", body).json()
    assert second["prebookId"] == first["prebookId"]
    assert PrebookItem.objects.filter(prebook_id=first["prebookId"]).count() == 2


def test_auto_approval_push_matches_list(vendor_api, catalogue, farm, settings):
    settings.AUTO_APPROVE_MATCHING_POS = True
    line = PrebookItemFactory(
        vendor=farm, product=catalogue["product"], box_type=catalogue["box_type"]
    )
    data = vendor_api.post("purchase.order.create", _po_body(line.pk)).json()
    push = Exchange.objects.get(
        kind=ExchangeKind.PO_APPROVED, purchase_order_id=data["purchaseOrderId"]
    )
    listed = vendor_api.get("purchase.order.list", number=data["purchaseOrderNumber"]).json()
    assert push.payload["data"] == listed["purchaseOrders"][0]


def test_purchase_order_item_delete(vendor_api, catalogue):
    _po, item = _approved_po(vendor_api)
    response = vendor_api.post("purchase.order.item.delete", {"poItemId": str(item)})
    assert response.json() == {"status": 1, "message": "OK"}
    assert PurchaseOrderItem.objects.get(pk=item).status == "deleted"
    again = vendor_api.post("purchase.order.item.delete", {"poItemId": item})
    assert again.status_code == 404


def test_prebook_list_and_delete(company_api, catalogue, farm):
    prebook = PrebookFactory(customer=catalogue["customer"], carrier=catalogue["carrier"])
    PrebookItemFactory(prebook=prebook, vendor=farm)
    day = prebook.truck_date.isoformat()
    rows = company_api.get("prebook.list", dateFrom=day, dateTo=day, customer="ang flo").json()
    assert [row["number"] for row in rows["prebooks"]] == [prebook.number]
    response = company_api.post("prebook.delete", {"prebookId": prebook.pk})
    assert response.json()["status"] == 1
    assert not Prebook.objects.filter(pk=prebook.pk).exists()
    cancelled = Exchange.objects.get(kind=ExchangeKind.PREBOOK_CANCELLED)
    assert cancelled.vendor == farm


def test_purchase_order_list_line_filters(vendor_api, catalogue):
    po, item = _approved_po(vendor_api)
    day = po.ship_date.isoformat()
    customer_id = catalogue["customer"].pk
    by_customer = vendor_api.get("purchase.order.list", date=day, customerId=customer_id).json()
    assert [row["number"] for row in by_customer["purchaseOrders"]] == [po.number]
    by_item = vendor_api.get(
        "purchase.order.list", date=day, purchaseOrderItemIds=f"{item},1"
    ).json()
    assert len(by_item["purchaseOrders"]) == 1
    none = vendor_api.get("purchase.order.list", date=day, product="tulip").json()
    assert none["purchaseOrders"] == []
    bad = vendor_api.get("purchase.order.list", date=day, prebook="abc")
    assert bad.status_code == 400


def test_shipment_ledger_row(vendor_api, catalogue):
    po, item = _approved_po(vendor_api, boxes=1)
    purchase_order_approve(po=po, actor_label="test")
    body = {"poItems": [{"poItemId": item, "awb": VALID_AWB, "shipDate": SHIP}]}
    vendor_api.post("purchase.order.items.awb.add", body)
    ledger = Exchange.objects.get(method="purchase.order.items.awb.add")
    assert ledger.kind == ExchangeKind.SHIPMENT_RECEIVED
    assert ledger.purchase_order_id == po.pk
    assert ledger.token_prefix
    assert "authenticationToken" not in ledger.payload


def test_po_number_skips_taken(vendor_api, catalogue, farm):

    document_number_restart(name=PURCHASE_ORDER, last_value=41)
    PurchaseOrderFactory(number="42", vendor=farm)
    item_id = farm_prebook(vendor_api).json()["prebookItems"][0]["prebookItemId"]
    data = vendor_api.post("purchase.order.create", _po_body(item_id)).json()
    assert data["purchaseOrderNumber"] == "43"


def test_idempotency_key_edge_cases(vendor_api, farm, catalogue):

    body = {"customerCode": "ANG", "carrierCode": "AR", "shipDate": SHIP}
    long_key = "k" * 150
    assert (
        vendor_api.post("prebook.create", body, **{"Idempotency-Key": long_key}).status_code == 200
    )
    too_long = vendor_api.post("prebook.create", body, **{"Idempotency-Key": "k" * 250})
    assert too_long.status_code == 400
    second_token = api_token_issue(
        token_type="vendor", description="second", methods=AXERRIO_METHODS, vendor=farm
    )

    other = ApiClient(second_token.plaintext).post(
        "prebook.create", body, **{"Idempotency-Key": long_key}
    )
    assert other.status_code == 200
    assert Prebook.objects.count() == 2
    assert Exchange.objects.filter(method="prebook.create").count() == 3
