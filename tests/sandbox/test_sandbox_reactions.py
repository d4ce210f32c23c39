"""How the farm reacts to pushes and polls, against a fake portal over real HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests
from sandbox_helpers import (
    TOKEN,
    FakePortal,
    PortalCall,
    approved_purchase_order,
    envelope,
    make_farm,
    prebook,
    send_push,
)

from sandbox.axerrio import SandboxFarm, awb_is_valid


@pytest.fixture
def renaming_farm(fake_portal: FakePortal) -> Iterator[SandboxFarm]:
    with make_farm(fake_portal.url, rename_box=True) as running:
        yield running


@pytest.fixture
def manual_farm(fake_portal: FakePortal) -> Iterator[SandboxFarm]:
    with make_farm(fake_portal.url, auto_ship=False) as running:
        yield running


def test_prebook_created_creates_linked_po(farm: SandboxFarm, fake_portal: FakePortal) -> None:
    answer = send_push(farm, envelope("prebook.created", prebook(item_ids=(501, 502))))
    assert answer.status_code == 200
    assert farm.wait_idle(5)

    calls = fake_portal.calls_to("purchase.order.create")
    assert len(calls) == 1
    body = calls[0].body
    assert body["authenticationToken"] == TOKEN
    assert body["shipDate"] == "2026-12-05"
    assert body["carrierCode"] == "FWD"
    items = body["purchaseOrderItems"]
    assert [item["prebookItemId"] for item in items] == [501, 502]
    assert items[0] == {
        "prebookItemId": 501, "productCode": "FR50", "productDescription": "ROSE FREEDOM RED 50CM",
        "boxTypeCode": "HB", "unitType": "Stem", "boxes": 2, "bunches": 10, "stemsBunch": 25,
        "cost": 0.32, "markCode": "ANG",
    }
    assert items[1]["boxes"] == 3
    assert items[1]["cost"] == 0.36
    created = [a for a in farm.actions() if a["action"] == "purchase_order.create"]
    assert created[0]["items"] == [{"prebookItemId": 501, "poItemId": 9000},
                                   {"prebookItemId": 502, "poItemId": 9001}]


def test_prebook_changed_only_new_lines(farm: SandboxFarm, fake_portal: FakePortal) -> None:
    send_push(farm, envelope("prebook.created", prebook(item_ids=(501, 502))))
    send_push(farm, envelope("prebook.changed", prebook(item_ids=(501, 502, 503))))
    send_push(farm, envelope("prebook.changed", prebook(item_ids=(501, 502, 503))))
    assert farm.wait_idle(5)

    calls = fake_portal.calls_to("purchase.order.create")
    assert len(calls) == 2
    assert [item["prebookItemId"] for item in calls[1].body["purchaseOrderItems"]] == [503]


def test_prebook_lines_grouped_by_ship_date(farm: SandboxFarm, fake_portal: FakePortal) -> None:
    document = prebook(item_ids=(501, 502, 503))
    document["details"][1]["vendorShipDate"] = "2026-12-06"
    document["details"][2]["totalBoxes"] = 0
    send_push(farm, envelope("prebook.created", document))
    assert farm.wait_idle(5)

    calls = fake_portal.calls_to("purchase.order.create")
    by_date = {call.body["shipDate"]: call.body["purchaseOrderItems"] for call in calls}
    assert sorted(by_date) == ["2026-12-05", "2026-12-06"]
    assert [item["prebookItemId"] for item in by_date["2026-12-05"]] == [501]
    assert [item["prebookItemId"] for item in by_date["2026-12-06"]] == [502]


def test_cancelled_prebook_gets_no_po(farm: SandboxFarm, fake_portal: FakePortal) -> None:
    send_push(farm, envelope("prebook.cancelled", prebook(item_ids=(601,))))
    send_push(farm, envelope("prebook.created", prebook(item_ids=(601,))))
    assert farm.wait_idle(5)
    assert fake_portal.calls_to("purchase.order.create") == []


def test_approved_po_shipped_with_labels(farm: SandboxFarm, fake_portal: FakePortal) -> None:
    send_push(farm, envelope("purchase_order.approved", approved_purchase_order(boxes=3)))
    assert farm.wait_idle(5)

    calls = fake_portal.calls_to("purchase.order.items.awb.add")
    assert len(calls) == 1
    items = calls[0].body["poItems"]
    assert [item["poItemId"] for item in items] == [9000, 9001]
    assert [len(item["boxCodes"]) for item in items] == [3, 1]
    all_codes = [code for item in items for code in item["boxCodes"]]
    assert len(set(all_codes)) == 4
    assert all(re.fullmatch(r"RS\d{8}", code) for code in all_codes)
    for item in items:
        assert awb_is_valid(item["awb"])
        assert item["awb"].startswith("369-")
        assert item["houseAWB"]
        assert item["shipDate"] == "2026-12-05"
        assert not 1000 <= int(item["lotNumber"]) <= 99999
    assert items[0]["awb"] == items[1]["awb"]
    assert items[0]["lotNumber"] == items[1]["lotNumber"]
    assert fake_portal.calls_to("box.code.change") == []


def test_shipped_po_not_shipped_again(farm: SandboxFarm, fake_portal: FakePortal) -> None:
    send_push(farm, envelope("purchase_order.approved", approved_purchase_order()))
    send_push(farm, envelope("purchase_order.changed", approved_purchase_order()))
    assert farm.wait_idle(5)
    assert len(fake_portal.calls_to("purchase.order.items.awb.add")) == 1


def test_lines_with_boxes_skipped(farm: SandboxFarm, fake_portal: FakePortal) -> None:
    document = approved_purchase_order()
    document["details"][0]["boxes"] = [{"boxCode": "RS00000001", "lotNumber": 100001}]
    send_push(farm, envelope("purchase_order.approved", document))
    assert farm.wait_idle(5)
    items = fake_portal.calls_to("purchase.order.items.awb.add")[0].body["poItems"]
    assert [item["poItemId"] for item in items] == [9001]


def test_cancelled_po_not_shipped(farm: SandboxFarm, fake_portal: FakePortal) -> None:
    send_push(farm, envelope("purchase_order.cancelled", approved_purchase_order()))
    send_push(farm, envelope("purchase_order.approved", approved_purchase_order()))
    assert farm.wait_idle(5)
    assert fake_portal.calls_to("purchase.order.items.awb.add") == []


def test_rename_one_box(renaming_farm: SandboxFarm, fake_portal: FakePortal) -> None:
    send_push(renaming_farm, envelope("purchase_order.approved", approved_purchase_order()))
    assert renaming_farm.wait_idle(5)

    shipped = fake_portal.calls_to("purchase.order.items.awb.add")[0].body["poItems"]
    renames = fake_portal.calls_to("box.code.change")
    assert len(renames) == 1
    boxes = renames[0].body["boxes"]
    assert len(boxes) == 1
    assert boxes[0]["currentBoxCode"] == shipped[0]["boxCodes"][0]
    assert re.fullmatch(r"RS\d{8}", boxes[0]["newBoxCode"])
    assert boxes[0]["newBoxCode"] not in shipped[0]["boxCodes"]


def test_no_auto_ship_waits_for_ship(manual_farm: SandboxFarm, fake_portal: FakePortal) -> None:
    send_push(manual_farm, envelope("purchase_order.approved", approved_purchase_order()))
    assert manual_farm.wait_idle(5)
    assert fake_portal.calls_to("purchase.order.items.awb.add") == []

    fake_portal.answers["purchase.order.list"] = lambda call: (200, {
        "status": 1, "message": "OK", "purchaseOrders": [approved_purchase_order()]})
    answer = requests.post(f"{manual_farm.url}/ship", json={"number": "P700"}, timeout=5)
    assert answer.status_code == 200
    assert answer.json()["actions"][0]["purchaseOrderNumber"] == "P700"
    assert fake_portal.calls_to("purchase.order.list")[0].query["number"] == "P700"
    assert len(fake_portal.calls_to("purchase.order.items.awb.add")) == 1


def test_ship_failure_retried_by_next_event(farm: SandboxFarm, fake_portal: FakePortal) -> None:
    fake_portal.answers["purchase.order.items.awb.add"] = lambda call: (
        400, {"status": 0, "message": "AWB rejected"})
    send_push(farm, envelope("purchase_order.approved", approved_purchase_order()))
    assert farm.wait_idle(5)
    assert farm.actions() == []
    send_push(farm, envelope("purchase_order.changed", approved_purchase_order()))
    assert farm.wait_idle(5)
    assert len(fake_portal.calls_to("purchase.order.items.awb.add")) == 2


def test_poll_acts_once(farm: SandboxFarm, fake_portal: FakePortal) -> None:
    fake_portal.answers["prebook.details.list"] = lambda call: (200, {
        "status": 1, "message": "OK", "prebooks": [prebook(item_ids=(701, 702))]})

    def approved_on_first_day(call: PortalCall) -> tuple[int, dict[str, object]]:
        orders = [approved_purchase_order(po_id=800)] if not approved_on_first_day.sent else []
        approved_on_first_day.sent = True
        return 200, {"status": 1, "message": "OK", "purchaseOrders": orders}

    approved_on_first_day.sent = False  # type: ignore[attr-defined]
    fake_portal.answers["purchase.order.list"] = approved_on_first_day

    farm.poll_once()
    farm.poll_once()

    prebook_calls = fake_portal.calls_to("prebook.details.list")
    assert len(prebook_calls) == 2
    assert "updatedAsOf" not in prebook_calls[0].query
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", prebook_calls[1].query["updatedAsOf"])
    assert prebook_calls[0].query["vendorShipDateFrom"] < prebook_calls[0].query["vendorShipDateTo"]
    order_calls = fake_portal.calls_to("purchase.order.list")
    assert len(order_calls) == 14
    assert all(call.query["status"] == "Approved" for call in order_calls)

    created = fake_portal.calls_to("purchase.order.create")
    assert len(created) == 1
    assert [i["prebookItemId"] for i in created[0].body["purchaseOrderItems"]] == [701, 702]
    assert len(fake_portal.calls_to("purchase.order.items.awb.add")) == 1


def test_poll_then_push_no_duplicate(farm: SandboxFarm, fake_portal: FakePortal) -> None:
    fake_portal.answers["prebook.details.list"] = lambda call: (200, {
        "status": 1, "message": "OK", "prebooks": [prebook(item_ids=(701,))]})
    farm.poll_once()
    send_push(farm, envelope("prebook.created", prebook(item_ids=(701,))))
    assert farm.wait_idle(5)
    assert len(fake_portal.calls_to("purchase.order.create")) == 1


def test_own_prebook_push_no_second_po(farm: SandboxFarm, fake_portal: FakePortal) -> None:
    def prebook_answer(call: PortalCall) -> tuple[int, dict[str, object]]:
        items = [{"prebookItemId": 501 + i, "productCode": line["productCode"], "status": 1,
                  "message": "OK"} for i, line in enumerate(call.body["prebookItems"])]
        return 200, {"status": 1, "message": "OK", "prebookId": 41, "prebookNumber": 1041,
                     "purchaseOrderNumbers": "", "prebookItems": items}

    fake_portal.answers["prebook.create"] = prebook_answer
    answer = requests.post(f"{farm.url}/order", json={"lines": 2}, timeout=10)
    assert answer.status_code == 200
    assert answer.json()["purchaseOrderNumber"] == "P700"

    send_push(farm, envelope("prebook.created", prebook(item_ids=(501, 502))))
    assert farm.wait_idle(5)
    assert len(fake_portal.calls_to("purchase.order.create")) == 1


def test_order_endpoint_portal_error_502(farm: SandboxFarm, fake_portal: FakePortal) -> None:
    fake_portal.answers["prebook.create"] = lambda call: (
        400, {"status": 0, "message": "customer ZZZ not found"})
    answer = requests.post(f"{farm.url}/order", json={"customerCode": "ZZZ"}, timeout=10)
    assert answer.status_code == 502
    assert "customer ZZZ not found" in answer.json()["error"]


def test_conflict_retries_lines_and_never_reorders(
    farm: SandboxFarm, fake_portal: FakePortal
) -> None:
    def answer(call: PortalCall) -> tuple[int, dict]:
        ids = [item["prebookItemId"] for item in call.body["purchaseOrderItems"]]
        if 801 in ids:
            return 409, {"status": 0, "message": "prebook line 801 is already on PO P1"}
        return 200, {"status": 1, "message": "OK", "purchaseOrderId": 5,
                     "purchaseOrderNumber": "P2",
                     "poItems": [{"poItemId": 9100, "prebookItemId": 802, "status": 1}]}

    fake_portal.answers["purchase.order.create"] = answer
    send_push(farm, envelope("prebook.created", prebook(item_ids=(801, 802))))
    assert farm.wait_idle(5)
    send_push(farm, envelope("prebook.changed", prebook(item_ids=(801, 802))))
    assert farm.wait_idle(5)

    sent = [
        [item["prebookItemId"] for item in call.body["purchaseOrderItems"]]
        for call in fake_portal.calls_to("purchase.order.create")
    ]
    assert sent == [[801, 802], [801], [802]]
