"""Box codes through the API: which codes are accepted, and that case never matters."""

import datetime
import importlib
import logging

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from orders.models import Box, PurchaseOrder, PurchaseOrderItem
from orders.services.boxes import box_code_error, box_code_normalize
from receiving.services import box_receive
from tests.factories import BoxFactory, PurchaseOrderFactory, PurchaseOrderItemFactory
from tests.orders.migration_state import BEFORE_BOX_CODE_INDEX, orders_migrate
from tests.receiving.shipments import warehouse_user

pytestmark = pytest.mark.django_db

SHIP = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
VALID_AWB = "369-1234-5675"
RESULTS = "purchaseOrderItemDetailsAWBAddAPIResultList"

BAD_CODES = ["^XZ~JA", "A\u001bB", "C\nD", "ÜNI1", "🌹2", "A B"]


def _open_line(farm, boxes: int = 2) -> PurchaseOrderItem:
    purchase_order = PurchaseOrderFactory(vendor=farm, status=PurchaseOrder.Status.APPROVED)
    return PurchaseOrderItemFactory(purchase_order=purchase_order, boxes=boxes)


def _line(item: PurchaseOrderItem, codes: list[str]) -> dict:
    return {"poItemId": item.pk, "awb": VALID_AWB, "shipDate": SHIP, "boxCodes": codes}


def _shipped_box(farm, code: str) -> Box:
    item = _open_line(farm, boxes=1)
    return BoxFactory(code=code, po_item=item)


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("RS40259067", None),
        ("CO-123/45_A.b", None),
        ("!#$%&()*+,:;<=>?@[]{}|", "1 to 20 characters"),
        ("", "1 to 20 characters"),
        ("x" * 21, "1 to 20 characters"),
        ("A B", "' '"),
        ("^XZ", "'^'"),
        ("~JA", "'~'"),
        ("A\u001bB", "'\\x1b'"),
        ("C\nD", "'\\n'"),
        ("ÜNI1", "'Ü'"),
        ("🌹2", "'🌹'"),
    ],
)
def test_box_code_error(code, problem):
    if problem is None:
        assert box_code_error(code) is None
    else:
        assert problem in box_code_error(code)


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [(" rs40259068 ", "RS40259068"), ("Gf3", "GF3"), ("ß1", "ß1"), ("ab-c_d", "AB-C_D")],
)
def test_box_code_normalize(raw, normalized):
    assert box_code_normalize(raw) == normalized


def test_awb_add_rejects_unprintable_codes(vendor_api, farm):
    bad_line = _open_line(farm, boxes=len(BAD_CODES))
    good_line = _open_line(farm, boxes=1)
    body = {"poItems": [_line(bad_line, BAD_CODES), _line(good_line, ["ok-1"])]}

    response = vendor_api.post("purchase.order.items.awb.add", body)

    assert response.status_code == 200
    bad, good = response.json()[RESULTS]
    assert bad["status"] == 0
    assert good["status"] == 1
    assert good["boxCodes"] == ["OK-1"]
    for index, code in enumerate(BAD_CODES):
        assert f"poItems[0].boxCodes[{index}] {code!r}" in bad["message"]
    assert "only printable ASCII without spaces, ^ or ~" in bad["message"]
    assert list(Box.objects.values_list("code", flat=True)) == ["OK-1"]
    bad_line.refresh_from_db()
    assert bad_line.status == PurchaseOrderItem.Status.OPEN


def test_awb_add_all_lines_invalid_is_400(vendor_api, farm):
    item = _open_line(farm, boxes=1)

    response = vendor_api.post(
        "purchase.order.items.awb.add", {"poItems": [_line(item, ["A\u001bB"])]}
    )

    assert response.status_code == 400
    assert response.json()["status"] == 0
    assert "poItems[0].boxCodes[0] 'A\\x1bB'" in response.json()[RESULTS][0]["message"]
    assert Box.objects.count() == 0


def test_single_awb_add_rejects_bad_code(vendor_api, farm):
    item = _open_line(farm, boxes=1)

    response = vendor_api.post("purchase.order.item.awb.add", _line(item, ["^XZ"]))

    assert response.status_code == 400
    assert "boxCodes[0] '^XZ'" in response.json()["message"]
    assert Box.objects.count() == 0


def test_code_change_rejects_bad_new_code(vendor_api, farm):
    _shipped_box(farm, "KS001001")
    _shipped_box(farm, "KS001002")
    change = {
        "boxes": [
            {"currentBoxCode": "KS001001", "newBoxCode": "X\u001bY"},
            {"currentBoxCode": "KS001002", "newBoxCode": "PT-2"},
        ]
    }

    data = vendor_api.post("box.code.change", change).json()

    assert [box["status"] for box in data["boxes"]] == [0, 1]
    assert data["boxes"][0]["message"].startswith("boxes[0].newBoxCode 'X\\x1bY': invalid")
    assert set(Box.objects.values_list("code", flat=True)) == {"KS001001", "PT-2"}


def test_awb_add_upper_cases_codes(vendor_api, farm):
    item = _open_line(farm, boxes=2)

    data = vendor_api.post(
        "purchase.order.items.awb.add", {"poItems": [_line(item, ["rs1", "Rs2"])]}
    )

    assert data.json()[RESULTS][0]["boxCodes"] == ["RS1", "RS2"]
    assert set(Box.objects.values_list("code", flat=True)) == {"RS1", "RS2"}


def test_awb_add_code_taken_in_other_case(vendor_api, farm):
    _shipped_box(farm, "RS40259067")
    item = _open_line(farm, boxes=1)

    response = vendor_api.post(
        "purchase.order.items.awb.add", {"poItems": [_line(item, ["rs40259067"])]}
    )

    assert response.status_code == 400
    message = response.json()[RESULTS][0]["message"]
    assert "'RS40259067': already used by another box" in message
    assert Box.objects.count() == 1


def test_awb_add_same_code_twice_in_other_case(vendor_api, farm):
    first, second = _open_line(farm, boxes=1), _open_line(farm, boxes=1)
    body = {"poItems": [_line(first, ["AB1"]), _line(second, ["ab1"])]}

    results = vendor_api.post("purchase.order.items.awb.add", body).json()[RESULTS]

    assert [result["status"] for result in results] == [1, 0]
    assert "poItems[1].boxCodes ['AB1']: already sent" in results[1]["message"]
    assert Box.objects.count() == 1


def test_code_change_ignores_case(vendor_api, farm):
    _shipped_box(farm, "KS001001")
    change = {"boxes": [{"currentBoxCode": "ks001001", "newBoxCode": "pt991001"}]}

    data = vendor_api.post("box.code.change", change).json()

    assert data["boxes"][0]["status"] == 1
    assert data["boxes"][0]["currentBoxCode"] == "ks001001"
    assert data["boxes"][0]["newBoxCode"] == "PT991001"
    assert list(Box.objects.values_list("code", flat=True)) == ["PT991001"]


def test_code_change_taken_in_other_case(vendor_api, farm):
    _shipped_box(farm, "KS001001")
    _shipped_box(farm, "PT991001")
    change = {"boxes": [{"currentBoxCode": "KS001001", "newBoxCode": "pt991001"}]}

    response = vendor_api.post("box.code.change", change)

    assert response.status_code == 400
    message = response.json()["boxes"][0]["message"]
    assert message == "boxes[0].newBoxCode 'PT991001': already used by another box"


def test_code_change_new_code_twice_in_other_case(vendor_api, farm):
    _shipped_box(farm, "KS1")
    _shipped_box(farm, "KS2")
    change = {
        "boxes": [
            {"currentBoxCode": "KS1", "newBoxCode": "NEW1"},
            {"currentBoxCode": "KS2", "newBoxCode": "new1"},
        ]
    }

    response = vendor_api.post("box.code.change", change)

    assert response.status_code == 200
    first, second = response.json()["boxes"]
    assert first["status"] == 1
    assert second["status"] == 0
    assert second["message"] == (
        "boxes[1].newBoxCode 'new1': sent twice in this request (first in boxes[0])."
    )
    assert set(Box.objects.values_list("code", flat=True)) == {"NEW1", "KS2"}


def test_code_change_renames_legacy_lower_case_code(vendor_api, farm):
    _shipped_box(farm, "AB11")
    legacy = _shipped_box(farm, "placeholder")
    Box.objects.filter(pk=legacy.pk).update(code="ab12")
    change = {"boxes": [{"currentBoxCode": "ab12", "newBoxCode": "AB13"}]}

    data = vendor_api.post("box.code.change", change).json()

    assert data["boxes"][0]["status"] == 1
    legacy.refresh_from_db()
    assert legacy.code == "AB13"
    assert Box.objects.filter(code="AB11").exists()


def test_warehouse_receive_ignores_case(company_api, farm):
    box = _shipped_box(farm, "GF3")

    response = company_api.post("box.warehouse.receive", {"boxCode": "gf3"})

    assert response.status_code == 200
    assert response.json()["outcome"] == "received"
    box.refresh_from_db()
    assert box.received_at is not None


def test_scan_with_spaces_and_lower_case(farm):
    _shipped_box(farm, "RS40259068")

    result = box_receive(code=" rs40259068 ", actor_label="warehouse")

    assert result.outcome == "received"
    assert result.code == "RS40259068"


def test_admin_search_ignores_case(client, farm):
    _shipped_box(farm, "RS40259067")
    _shipped_box(farm, "GF3")
    client.force_login(warehouse_user())

    page = client.get(reverse("admin:orders_box_changelist"), {"q": " rs4025 "})

    assert page.status_code == 200
    codes = [box.code for box in page.context["cl"].result_list]
    assert codes == ["RS40259067"]


def _migration():
    return importlib.import_module("orders.migrations.0003_box_codes_upper_case")


def test_migration_upper_cases_codes(farm):
    boxes = [_shipped_box(farm, f"placeholder{index}") for index in range(3)]
    for box, code in zip(boxes, ["rs1", "Gf3", "UP1"], strict=True):
        Box.objects.filter(pk=box.pk).update(code=code)

    _migration().box_codes_upper_case(apps, None)

    assert set(Box.objects.values_list("code", flat=True)) == {"RS1", "GF3", "UP1"}


def test_migration_leaves_collisions(farm, caplog):
    # Codes that differ only in case can exist only before the unique index on UPPER(code).
    orders_migrate(BEFORE_BOX_CODE_INDEX)
    boxes = [_shipped_box(farm, f"placeholder{index}") for index in range(4)]
    for box, code in zip(boxes, ["AB12", "ab12", "cd1", "Cd1"], strict=True):
        Box.objects.filter(pk=box.pk).update(code=code)

    with caplog.at_level(logging.WARNING, logger=_migration().__name__):
        _migration().box_codes_upper_case(apps, None)

    assert set(Box.objects.values_list("code", flat=True)) == {"AB12", "ab12", "cd1", "Cd1"}
    warnings = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert len(warnings) == 2
    assert any("AB12, ab12" in warning for warning in warnings)
    assert any("Cd1, cd1" in warning for warning in warnings)
