"""Portal client calls and the bodies of the farm's own order, against a mocked portal."""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Any

import pytest
import requests
import responses
from sandbox_helpers import SECRET, TOKEN

from sandbox.axerrio import FARM_PRODUCTS, PortalClient, PortalError, SandboxFarm
from sandbox.axerrio.orders import pick_box_type, pick_carrier

PORTAL = "http://127.0.0.1:8000"
API = PORTAL + "/api/"

CARRIERS = {"status": 1, "message": "OK", "carriers": [
    {"id": 1, "code": "ARM", "name": "Armellini", "active": 1},
    {"id": 2, "code": "FWD", "name": "Miami Forwarders", "active": 1, "type": "Inbound"},
]}
BOX_TYPES = {"status": "1", "message": "OK", "boxtypes": [
    {"id": 1056, "code": "FB", "fbe": 1},
    {"id": 1057, "code": "HB", "fbe": "0.50"},
]}


def make_client(**options: Any) -> PortalClient:
    options.setdefault("backoff", 0)
    return PortalClient(PORTAL, TOKEN, sleep=lambda seconds: None, **options)


def request_json(call: Any) -> dict[str, Any]:
    return json.loads(call.request.body)


def prebook_answer(request: Any) -> tuple[int, dict[str, str], str]:
    sent = json.loads(request.body)["prebookItems"]
    items = []
    for index, line in enumerate(sent):
        unknown = line["productCode"] == "SUNGL60"
        items.append({
            "prebookItemId": 501 + index,
            "productCode": line["productCode"],
            "status": 1,
            "message": "held for product mapping" if unknown else "OK",
        })
    answer = {"status": 1, "message": "Prebook was successfully created.", "prebookId": 41,
              "prebookNumber": 1041, "purchaseOrderNumbers": "", "prebookItems": items}
    return 200, {}, json.dumps(answer)


def purchase_order_answer(request: Any) -> tuple[int, dict[str, str], str]:
    sent = json.loads(request.body)["purchaseOrderItems"]
    answer = {"status": 1, "message": "OK", "purchaseOrderId": 700, "purchaseOrderNumber": "P700",
              "poItems": [{"poItemId": 9000 + index, "prebookItemId": item["prebookItemId"],
                           "status": 1, "message": "OK"} for index, item in enumerate(sent)]}
    return 200, {}, json.dumps(answer)


def add_order_responses() -> None:
    responses.get(API + "carrier.list", json=CARRIERS)
    responses.get(API + "boxtype.list", json=BOX_TYPES)
    responses.add_callback(responses.POST, API + "prebook.create", callback=prebook_answer)
    responses.add_callback(responses.POST, API + "purchase.order.create",
                           callback=purchase_order_answer)


def make_order_farm() -> SandboxFarm:
    return SandboxFarm(PORTAL, TOKEN, SECRET, customer_code="ANG", customer_name="Ang Flowers",
                       client=make_client(), seed=11)


@responses.activate
def test_place_order_request_bodies() -> None:
    add_order_responses()
    farm = make_order_farm()
    result = farm.place_order(line_count=3, vendor_ship_date=date(2026, 12, 5))

    methods = [call.request.url.split("?")[0].removeprefix(API) for call in responses.calls]
    assert methods == ["carrier.list", "boxtype.list", "prebook.create", "purchase.order.create"]
    assert f"authenticationToken={TOKEN}" in responses.calls[0].request.url

    prebook_body = request_json(responses.calls[2])
    assert prebook_body["authenticationToken"] == TOKEN
    assert prebook_body["customerCode"] == "ANG"
    assert prebook_body["customerDescription"] == "Ang Flowers"
    assert prebook_body["carrierCode"] == "ARM"
    assert prebook_body["carrierDescription"] == "Armellini"
    assert prebook_body["shipDate"] == "2026-12-07"
    assert prebook_body["customerPO"]
    assert "vendorCode" not in prebook_body
    lines = prebook_body["prebookItems"]
    assert len(lines) == 3
    catalogue = {product.code: product for product in FARM_PRODUCTS}
    for line in lines:
        product = catalogue[line["productCode"]]
        assert not product.unknown_to_importer
        assert line["productDescription"] == product.description
        assert line["boxTypeCode"] == "HB"
        assert line["unitType"] == product.unit_type
        assert line["unitType"] in ("Stem", "Bunch")
        assert 1 <= line["boxes"] <= 4
        assert line["bunches"] == product.bunches_per_half_box
        assert line["stemsBunch"] == product.stems_per_bunch
        assert line["cost"] == product.cost
        assert line["vendorShipDate"] == "2026-12-05"
        assert "price" not in line
        assert "vendorId" not in line

    po_body = request_json(responses.calls[3])
    assert po_body["authenticationToken"] == TOKEN
    assert po_body["shipDate"] == "2026-12-05"
    assert po_body["carrierCode"] == "FWD"
    po_items = po_body["purchaseOrderItems"]
    assert [item["prebookItemId"] for item in po_items] == [501, 502, 503]
    for sent, linked in zip(lines, po_items, strict=True):
        for key in ("productCode", "boxTypeCode", "unitType", "boxes", "bunches",
                    "stemsBunch", "cost", "markCode"):
            assert linked[key] == sent[key], key

    assert result.prebook_id == 41
    assert result.prebook_number == 1041
    assert result.purchase_order_id == 700
    assert result.purchase_order_number == "P700"
    assert [line.prebook_item_id for line in result.lines] == [501, 502, 503]
    assert [line.po_item_id for line in result.lines] == [9000, 9001, 9002]
    as_json = result.to_dict()
    assert as_json["purchaseOrderNumber"] == "P700"
    assert as_json["lines"][0]["prebookItemId"] == 501


@responses.activate
def test_place_order_with_unknown_product() -> None:
    add_order_responses()
    farm = make_order_farm()
    result = farm.place_order(line_count=4, with_unknown=True)

    lines = request_json(responses.calls[2])["prebookItems"]
    assert len(lines) == 4
    assert lines[-1]["productCode"] == "SUNGL60"
    assert lines[-1]["productDescription"] == "ROSE NEW VARIETY 'SUNSET GLOW' 60CM"
    po_items = request_json(responses.calls[3])["purchaseOrderItems"]
    assert po_items[-1]["prebookItemId"] == 504
    assert result.lines[-1].prebook_item_message == "held for product mapping"


@pytest.mark.parametrize("line_count", [1, 5])
def test_place_order_rejects_line_count(line_count: int) -> None:
    farm = make_order_farm()
    with pytest.raises(ValueError, match="line count"):
        farm.place_order(line_count=line_count)


@responses.activate
def test_place_order_unknown_carrier_code() -> None:
    add_order_responses()
    farm = SandboxFarm(PORTAL, TOKEN, SECRET, customer_code="ANG", carrier_code="ZZ",
                       client=make_client())
    with pytest.raises(ValueError, match="'ZZ' not found"):
        farm.place_order()


@responses.activate
def test_get_sends_token_and_filters() -> None:
    responses.get(API + "purchase.order.list",
                  json={"status": 1, "message": "OK", "purchaseOrders": [{"id": 1}]})
    client = make_client()
    orders = client.list_purchase_orders(date="2026-12-05", status="Approved")
    assert orders == [{"id": 1}]
    params = responses.calls[0].request.params
    assert params == {"authenticationToken": TOKEN, "date": "2026-12-05", "status": "Approved"}


@responses.activate
def test_prebook_details_list_params() -> None:
    responses.get(API + "prebook.details.list",
                  json={"status": 1, "message": "OK", "prebooks": []})
    make_client().list_prebook_details(vendor_ship_date_from="2026-12-03",
                                       vendor_ship_date_to="2026-12-09",
                                       updated_as_of="2026-12-04 15:00:00")
    params = responses.calls[0].request.params
    assert params["vendorShipDateFrom"] == "2026-12-03"
    assert params["vendorShipDateTo"] == "2026-12-09"
    assert params["updatedAsOf"] == "2026-12-04 15:00:00"
    assert "date" not in params


@responses.activate
def test_retries_5xx_then_succeeds() -> None:
    responses.get(API + "carrier.list", status=502, json={"message": "bad gateway"})
    responses.get(API + "carrier.list", status=500, json={"message": "oops"})
    responses.get(API + "carrier.list", json=CARRIERS)
    carriers = make_client().list_carriers()
    assert len(responses.calls) == 3
    assert carriers[0]["code"] == "ARM"


@responses.activate
def test_retries_429_with_retry_after() -> None:
    responses.post(API + "box.code.change", status=429, headers={"Retry-After": "1"},
                   json={"message": "slow down"})
    responses.post(API + "box.code.change", json={"status": 1, "message": "OK", "boxes": []})
    delays: list[float] = []
    client = PortalClient(PORTAL, TOKEN, backoff=0, sleep=delays.append)
    client.change_box_codes([("RS00000001", "RS00000002")])
    assert len(responses.calls) == 2
    assert delays == [1.0]


@responses.activate
def test_gives_up_after_max_retries() -> None:
    responses.get(API + "boxtype.list", status=503, json={"message": "maintenance"})
    with pytest.raises(PortalError) as raised:
        make_client(max_retries=2).list_box_types()
    assert len(responses.calls) == 3
    assert raised.value.http_status == 503


@responses.activate
def test_4xx_not_retried(caplog: pytest.LogCaptureFixture) -> None:
    responses.post(API + "purchase.order.create", status=400,
                   json={"status": 0, "message": "prebook item 77 belongs to another vendor"})
    with caplog.at_level(logging.ERROR), pytest.raises(PortalError) as raised:
        make_client().create_purchase_order({"shipDate": "2026-12-05"})
    assert len(responses.calls) == 1
    assert raised.value.http_status == 400
    assert raised.value.message == "prebook item 77 belongs to another vendor"
    assert "belongs to another vendor" in caplog.text


@responses.activate
def test_status_zero_raises() -> None:
    responses.post(API + "prebook.create", json={"status": "0", "message": "invalid shipDate"})
    with pytest.raises(PortalError, match="invalid shipDate"):
        make_client().create_prebook({})


@responses.activate
def test_non_json_answer_raises() -> None:
    responses.get(API + "carrier.list", body="<html>gateway</html>", status=200)
    with pytest.raises(PortalError, match="not a JSON object"):
        make_client().list_carriers()


@responses.activate
def test_connection_error_retried_token_hidden(caplog: pytest.LogCaptureFixture) -> None:
    failure = requests.ConnectionError(
        f"Max retries exceeded with url: /api/carrier.list?authenticationToken={TOKEN}"
    )
    responses.get(API + "carrier.list", body=failure)
    responses.get(API + "carrier.list", json=CARRIERS)
    with caplog.at_level(logging.DEBUG):
        make_client().list_carriers()
    assert len(responses.calls) == 2
    assert "retry 1 of 3" in caplog.text
    assert TOKEN not in caplog.text


@responses.activate
def test_post_read_timeout_not_retried() -> None:
    responses.post(API + "prebook.create", body=requests.ReadTimeout("read timed out"))
    with pytest.raises(PortalError, match="timed out"):
        make_client().create_prebook({})
    assert len(responses.calls) == 1


def test_pick_carrier_rules() -> None:
    plain = [{"code": "ARM", "active": 1}, {"code": "OLD", "active": 0},
             {"code": "FWD", "active": 1}, {"code": "DIS", "active": "0"}]
    assert pick_carrier(plain, None, inbound=False)["code"] == "ARM"
    assert pick_carrier(plain, None, inbound=True)["code"] == "FWD"
    assert pick_carrier(plain, "old", inbound=True)["code"] == "OLD"
    typed = [{"code": "FWD", "type": "Inbound"}, {"code": "ARM", "type": "Outbound"}]
    assert pick_carrier(typed, None, inbound=False)["code"] == "ARM"
    assert pick_carrier(typed, None, inbound=True)["code"] == "FWD"
    with pytest.raises(ValueError, match="no carriers"):
        pick_carrier([], None, inbound=True)


def test_pick_box_type_rules() -> None:
    box_types = [{"code": "EB", "fbe": 0.125}, {"code": "QB", "fbe": 0.25},
                 {"code": "HB", "fbe": 0.5}]
    assert pick_box_type(box_types, None)["code"] == "HB"
    assert pick_box_type(box_types[:2], None)["code"] == "QB"
    assert pick_box_type(box_types[:1], None)["code"] == "EB"
    assert pick_box_type(box_types, "qb")["code"] == "QB"
    with pytest.raises(ValueError, match="'FB' not found"):
        pick_box_type(box_types, "FB")
    with pytest.raises(ValueError, match="no box types"):
        pick_box_type([], None)
