"""The unique index on UPPER(box code), its migration, and conflicts it reports through the API."""

import datetime
import importlib
import logging

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from orders.models import Box, PurchaseOrder, PurchaseOrderItem
from orders.services import boxes as box_services
from tests.api.conftest import ApiClient
from tests.factories import (
    BoxFactory,
    PurchaseOrderFactory,
    PurchaseOrderItemFactory,
    VendorFactory,
)
from tests.orders.migration_state import BEFORE_BOX_CODE_INDEX, BOX_CODE_INDEX, orders_migrate
from tokens.methods import AXERRIO_METHODS
from tokens.services import api_token_issue

pytestmark = pytest.mark.django_db

SHIP = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
VALID_AWB = "369-1234-5675"
RESULTS = "purchaseOrderItemDetailsAWBAddAPIResultList"


@pytest.fixture
def farm():
    return VendorFactory(code="ROSAS")


@pytest.fixture
def farm_api(farm) -> ApiClient:
    issued = api_token_issue(
        token_type="vendor",
        description="farm",
        methods=AXERRIO_METHODS + ["purchase.order.item.awb.add"],
        vendor=farm,
    )
    return ApiClient(issued.plaintext)


def _open_line(farm, boxes: int = 1) -> PurchaseOrderItem:
    purchase_order = PurchaseOrderFactory(vendor=farm, status=PurchaseOrder.Status.APPROVED)
    return PurchaseOrderItemFactory(purchase_order=purchase_order, boxes=boxes)


def _line(item: PurchaseOrderItem, codes: list[str]) -> dict:
    return {"poItemId": item.pk, "awb": VALID_AWB, "shipDate": SHIP, "boxCodes": codes}


def _box(farm, code: str) -> Box:
    return BoxFactory(code=code, po_item=_open_line(farm))


def _store_legacy_code(box: Box, code: str) -> None:
    """Store ``code`` as it is, skipping the services' upper-casing."""
    Box.objects.filter(pk=box.pk).update(code=code)


def test_orm_insert_lower_case_duplicate_fails(farm):
    _box(farm, "AB12")

    with pytest.raises(IntegrityError), transaction.atomic():
        _box(farm, "ab12")

    assert list(Box.objects.values_list("code", flat=True)) == ["AB12"]


def test_orm_update_to_lower_case_duplicate_fails(farm):
    _box(farm, "AB12")
    other = _box(farm, "CD34")

    with pytest.raises(IntegrityError), transaction.atomic():
        _store_legacy_code(other, "Ab12")

    assert set(Box.objects.values_list("code", flat=True)) == {"AB12", "CD34"}


def test_awb_add_code_stored_in_other_case(farm, farm_api):
    _store_legacy_code(_box(farm, "placeholder"), "rs40259067")
    item = _open_line(farm)

    response = farm_api.post("purchase.order.item.awb.add", _line(item, ["RS40259067"]))

    assert response.status_code == 409
    assert response.json()["status"] == 0
    assert response.json()["message"] == (
        f"poItemId {item.pk}: boxCodes[0] 'RS40259067': already used by another box."
    )
    assert Box.objects.count() == 1
    item.refresh_from_db()
    assert item.status == PurchaseOrderItem.Status.OPEN


def test_awb_add_race_on_code_is_conflict(farm, farm_api, monkeypatch):
    """Another request stores the code between the service's check and its insert."""
    item = _open_line(farm, boxes=2)
    racing_line = _open_line(farm)
    check_codes = box_services._check_codes

    def check_then_lose_race(*args, **kwargs):
        check_codes(*args, **kwargs)
        BoxFactory(code="gf3", po_item=racing_line)

    monkeypatch.setattr(box_services, "_check_codes", check_then_lose_race)

    response = farm_api.post("purchase.order.item.awb.add", _line(item, ["gf3"]))

    assert response.status_code == 409
    assert response.json()["status"] == 0
    assert "boxCodes[0] 'GF3': already used by another box" in response.json()["message"]
    # The request's transaction is rolled back whole: no box, no split line, line still open.
    assert Box.objects.count() == 0
    assert PurchaseOrderItem.objects.filter(split_from=item).count() == 0
    item.refresh_from_db()
    assert item.status == PurchaseOrderItem.Status.OPEN
    assert item.boxes == 2


def test_awb_add_lines_race_fails_one_line(farm, farm_api, monkeypatch):
    first, second = _open_line(farm), _open_line(farm)
    racing_line = _open_line(farm)
    check_codes = box_services._check_codes

    def check_then_lose_race(item, codes, **kwargs):
        check_codes(item, codes, **kwargs)
        if codes == ["GF3"]:
            BoxFactory(code="Gf3", po_item=racing_line)

    monkeypatch.setattr(box_services, "_check_codes", check_then_lose_race)
    body = {"poItems": [_line(first, ["ok1"]), _line(second, ["gf3"])]}

    response = farm_api.post("purchase.order.items.awb.add", body)

    assert response.status_code == 200
    good, bad = response.json()[RESULTS]
    assert good["status"] == 1
    assert bad["status"] == 0
    assert bad["message"] == "poItems[1].boxCodes[0] 'GF3': already used by another box."
    assert set(Box.objects.values_list("code", flat=True)) == {"OK1"}
    second.refresh_from_db()
    assert second.status == PurchaseOrderItem.Status.OPEN


def test_code_change_to_code_stored_in_other_case(farm, farm_api):
    _box(farm, "KS001001")
    _store_legacy_code(_box(farm, "placeholder"), "pt991001")
    change = {"boxes": [{"currentBoxCode": "KS001001", "newBoxCode": "PT991001"}]}

    response = farm_api.post("box.code.change", change)

    assert response.status_code == 400
    assert response.json()["status"] == 0
    message = response.json()["boxes"][0]["message"]
    assert message == "boxes[0].newBoxCode 'PT991001': already used by another box"
    assert set(Box.objects.values_list("code", flat=True)) == {"KS001001", "pt991001"}


def test_code_change_race_is_conflict(farm, farm_api, monkeypatch):
    box = _box(farm, "KS001001")
    racing_line = _open_line(farm)
    codes_taken = box_services.box_codes_taken
    calls = []

    def taken_then_lose_race(codes):
        result = codes_taken(codes)
        if not calls:
            BoxFactory(code="pt991001", po_item=racing_line)
        calls.append(codes)
        return result

    monkeypatch.setattr(box_services, "box_codes_taken", taken_then_lose_race)
    change = {"boxes": [{"currentBoxCode": "KS001001", "newBoxCode": "PT991001"}]}

    response = farm_api.post("box.code.change", change)

    assert response.status_code == 400
    assert response.json()["status"] == 0
    message = response.json()["boxes"][0]["message"]
    assert message == "boxes[0].newBoxCode 'PT991001': already used by another box"
    box.refresh_from_db()
    assert box.code == "KS001001"


def test_code_change_upper_cases_own_legacy_code(farm, farm_api):
    box = _box(farm, "placeholder")
    _store_legacy_code(box, "ab12")
    change = {"boxes": [{"currentBoxCode": "ab12", "newBoxCode": "AB12"}]}

    data = farm_api.post("box.code.change", change).json()

    assert data["boxes"][0]["status"] == 1
    box.refresh_from_db()
    assert box.code == "AB12"


def _index_migration():
    return importlib.import_module("orders.migrations.0005_box_code_unique_ignoring_case")


def test_migration_renames_case_duplicates(farm, caplog):
    orders_migrate(BEFORE_BOX_CODE_INDEX)
    boxes = [_box(farm, f"placeholder{index}") for index in range(6)]
    codes = ["ab12", "AB12", "aB12", "cd1", "Cd1", "ef9"]
    for box, code in zip(boxes, codes, strict=True):
        _store_legacy_code(box, code)

    with caplog.at_level(logging.WARNING, logger=_index_migration().__name__):
        orders_migrate(BOX_CODE_INDEX)

    stored = dict(Box.objects.values_list("pk", "code"))
    generated = {box.pk: f"PB{box.po_item_id:08d}{box.sequence:03d}" for box in boxes}
    # The box already in upper case keeps its code; the oldest keeps it when none is.
    assert stored[boxes[0].pk] == generated[boxes[0].pk]
    assert stored[boxes[1].pk] == "AB12"
    assert stored[boxes[2].pk] == generated[boxes[2].pk]
    assert stored[boxes[3].pk] == "CD1"
    assert stored[boxes[4].pk] == generated[boxes[4].pk]
    assert stored[boxes[5].pk] == "ef9"
    warnings = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert len(warnings) == 3
    assert warnings[0].startswith(
        f"Box {boxes[0].pk} on PO line {boxes[0].po_item_id}: code 'ab12' renamed to "
        f"'{generated[boxes[0].pk]}', because box {boxes[1].pk} keeps the same code ignoring "
        "case as 'AB12'."
    )
    assert f"Box {boxes[2].pk} " in warnings[1]
    assert f"Box {boxes[4].pk} " in warnings[2]
    assert "keeps the same code ignoring case as 'CD1'" in warnings[2]
    with pytest.raises(IntegrityError), transaction.atomic():
        _store_legacy_code(boxes[5], "cD1")


def test_migration_generated_code_taken(farm):
    orders_migrate(BEFORE_BOX_CODE_INDEX)
    keeper, duplicate = _box(farm, "AB12"), _box(farm, "placeholder")
    _store_legacy_code(duplicate, "ab12")
    _box(farm, f"PB{duplicate.po_item_id:08d}{duplicate.sequence:03d}".lower())

    orders_migrate(BOX_CODE_INDEX)

    duplicate.refresh_from_db()
    keeper.refresh_from_db()
    assert keeper.code == "AB12"
    assert duplicate.code == f"PBBOX{duplicate.pk}"


def test_migration_without_duplicates_changes_nothing(farm):
    orders_migrate(BEFORE_BOX_CODE_INDEX)
    boxes = [_box(farm, code) for code in ["RS1", "GF3"]]
    _store_legacy_code(boxes[1], "gf3")

    orders_migrate(BOX_CODE_INDEX)

    assert set(Box.objects.values_list("code", flat=True)) == {"RS1", "gf3"}
