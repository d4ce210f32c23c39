"""Receiving scans: every outcome through the service and through the scan page."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import Box
from receiving.models import BoxScan
from receiving.services import box_receive, scanned_code_clean
from tests.receiving.shipments import AWB, OTHER_AWB, shipment_create, staff_user, warehouse_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return warehouse_user()


def test_receive_marks_box(user):
    shipment_create(boxes=1, code_prefix="RC")

    result = box_receive(code="RC000001", user=user, actor_label="warehouse", location="Cooler 2")

    box = Box.objects.get(code="RC000001")
    assert result.outcome == "received"
    assert result.box == box
    assert box.received_by == user
    assert box.received_location == "Cooler 2"
    assert timezone.now() - box.received_at < datetime.timedelta(seconds=10)
    assert "Received box RC000001 at Cooler 2" in result.message
    scan = BoxScan.objects.get()
    assert (scan.outcome, scan.box, scan.actor_label) == ("received", box, "warehouse")


@pytest.mark.parametrize(
    "scanned",
    ["RC000001\r", "  RC000001\r\n", "\x02RC000001\x03", "RC000001\t", "]C0RC000001"],
)
def test_receive_strips_scanner_additions(user, scanned):
    shipment_create(boxes=1, code_prefix="RC")

    result = box_receive(code=scanned, user=user, actor_label="warehouse")

    assert result.outcome == "received"
    assert result.code == "RC000001"


def test_receive_rejects_near_misses(user):
    shipment_create(boxes=1, code_prefix="RC")

    for near_miss in ("RC00000", "RC0000011", "RC 000001", "RC0000O1"):
        result = box_receive(code=near_miss, user=user, actor_label="warehouse")
        assert result.outcome == "unknown", near_miss
    assert Box.objects.get().received_at is None


@pytest.mark.parametrize("scanned", ["rc000001", " rc000001 ", "Rc000001\r\n", "]C0rc000001"])
def test_receive_ignores_case(user, scanned):
    shipment_create(boxes=1, code_prefix="RC")

    result = box_receive(code=scanned, user=user, actor_label="warehouse")

    assert result.outcome == "received"
    assert result.code == "RC000001"
    assert Box.objects.get().received_at is not None


def test_receive_legacy_lower_case_code(user):
    """A lower-case code written before codes were upper-cased scans in either case."""
    item = shipment_create(boxes=2, code_prefix="RC")
    Box.objects.filter(po_item=item, sequence=2).update(code="rc-legacy")

    upper = box_receive(code="RC-LEGACY", user=user, actor_label="warehouse")
    again = box_receive(code="rc-legacy", user=user, actor_label="warehouse")

    assert upper.outcome == "received"
    assert upper.box.sequence == 2
    assert again.outcome == "already_received"
    assert again.box.sequence == 2


def test_receive_unknown_code(user):
    result = box_receive(code="NOPE123\r", user=user, actor_label="warehouse")

    assert result.outcome == "unknown"
    assert result.box is None
    assert "Unknown code NOPE123" in result.message
    assert BoxScan.objects.get().outcome == "unknown"


def test_receive_empty_scan(user):
    result = box_receive(code=" \r\n", user=user, actor_label="warehouse")

    assert result.outcome == "unknown"
    assert "empty" in result.message
    assert not BoxScan.objects.exists()


def test_receive_twice_reports_first_receipt(user):
    shipment_create(boxes=1, code_prefix="RC")
    box_receive(code="RC000001", user=user, actor_label="warehouse", location="Dock 1")

    result = box_receive(code="RC000001", user=None, actor_label="token abc", location="Dock 9")

    box = Box.objects.get()
    assert result.outcome == "already_received"
    assert "by warehouse at Dock 1" in result.message
    assert timezone.localtime(box.received_at).strftime("%Y-%m-%d %H:%M") in result.message
    assert box.received_location == "Dock 1"
    assert box.received_by == user


def test_receive_twice_names_api_token(user):
    shipment_create(boxes=1, code_prefix="RC")
    box_receive(code="RC000001", actor_label="token kx_1234")

    result = box_receive(code="RC000001", user=user, actor_label="warehouse")

    assert result.outcome == "already_received"
    assert "by token kx_1234" in result.message


def test_receive_other_awb_is_not_received(user):
    shipment_create(boxes=1, code_prefix="RC", awb=OTHER_AWB)

    result = box_receive(
        code="RC000001", user=user, actor_label="warehouse", expected_awb="369-1234-5675"
    )

    assert result.outcome == "other_awb"
    assert "045-1234-5675" in result.message
    assert "not on AWB 369-1234-5675" in result.message
    assert Box.objects.get().received_at is None


def test_receive_expected_awb_matches(user):
    shipment_create(boxes=1, code_prefix="RC")

    result = box_receive(code="RC000001", user=user, actor_label="w", expected_awb=AWB)

    assert result.outcome == "received"


def test_receive_truncates_location(user):
    shipment_create(boxes=1, code_prefix="RC")

    box_receive(code="RC000001", user=user, actor_label="w", location="Cooler  " + "X" * 40)

    assert Box.objects.get().received_location == "Cooler " + "X" * 13


def test_scanned_code_clean_keeps_inner_spaces():
    assert scanned_code_clean("\x1dAB 12\x1d\r") == "AB 12"


# The scan page -------------------------------------------------------------------------


@pytest.fixture
def scan_client(client, user):
    client.force_login(user)
    return client


def test_scan_page_has_autofocused_code_input(scan_client):
    response = scan_client.get(reverse("receiving:scan"))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="code"' in html
    assert "autofocus" in html
    assert "Ready: scan a box label." in html


def _post(client, code, *, json=False, **fields):
    data = {
        "code": code,
        "location": fields.get("location", ""),
        "expected_awb": fields.get("awb", ""),
    }
    headers = {"Accept": "application/json"} if json else {}
    return client.post(reverse("receiving:scan"), data, headers=headers)


def test_scan_page_received_without_javascript(scan_client):
    shipment_create(boxes=1, code_prefix="PG")

    response = _post(scan_client, "PG000001\r", location="Cooler 1")

    html = response.content.decode()
    assert response.status_code == 200
    assert "outcome-received" in html
    assert "RECEIVED" in html
    assert Box.objects.get().received_location == "Cooler 1"


@pytest.mark.parametrize(
    ("setup", "code", "awb", "outcome", "title"),
    [
        ("none", "XX1", "", "unknown", "UNKNOWN CODE"),
        ("received", "PG000001", "", "already_received", "ALREADY RECEIVED"),
        ("other_awb", "PG000001", AWB, "other_awb", "OTHER AWB"),
    ],
)
def test_scan_page_problem_outcomes(scan_client, user, setup, code, awb, outcome, title):
    if setup != "none":
        shipment_create(boxes=1, code_prefix="PG", awb=OTHER_AWB if setup == "other_awb" else AWB)
    if setup == "received":
        box_receive(code=code, user=user, actor_label="warehouse")

    response = _post(scan_client, code, awb=awb)

    html = response.content.decode()
    assert f"outcome-{outcome}" in html
    assert title in html


def test_scan_page_json_for_fetch(scan_client):
    shipment_create(boxes=2, code_prefix="JS")

    response = _post(scan_client, "JS000001", json=True, awb="36912345675")

    body = response.json()
    assert response.status_code == 200
    assert body["outcome"] == "received"
    assert body["code"] == "JS000001"
    assert body["awbProgress"] == {"awb": "369-1234-5675", "total": 2, "received": 1}


@pytest.mark.parametrize(
    ("code", "outcome"),
    [("NOPE", "unknown"), ("JS000001", "already_received")],
)
def test_scan_page_json_problem_outcomes(scan_client, user, code, outcome):
    shipment_create(boxes=1, code_prefix="JS")
    box_receive(code="JS000001", user=user, actor_label="warehouse")

    body = _post(scan_client, code, json=True).json()

    assert body["outcome"] == outcome


def test_scan_page_remembers_location_and_awb(scan_client):
    shipment_create(boxes=2, code_prefix="RM")
    _post(scan_client, "RM000001", location="Dock 3", awb="369-1234-5675")

    page = scan_client.get(reverse("receiving:scan")).content.decode()
    _post(
        scan_client,
        "RM000002",
        location=scan_client.session["receiving_location"],
        awb=scan_client.session["receiving_awb"],
    )

    assert 'value="Dock 3"' in page
    assert 'value="36912345675"' in page
    assert "1 of 2 boxes received" in page
    assert Box.objects.get(code="RM000002").received_location == "Dock 3"


def test_scan_page_rejects_mistyped_awb(scan_client):
    shipment_create(boxes=1, code_prefix="MT")

    response = _post(scan_client, "MT000001", json=True, awb="369-1234-5676")

    assert response.status_code == 400
    assert "check digit" in response.json()["errors"]["expected_awb"][0]["message"]
    assert Box.objects.get().received_at is None


@pytest.mark.parametrize(
    ("awb", "reason"),
    [
        ("00000000000", "airline prefix 000 is not assigned to any airline"),
        ("000-1234-5675", "airline prefix 000 is not assigned to any airline"),
        ("369-0000-0000", "serial number 0000000 is not a valid serial"),
        ("369-1234-567", "must have 11 digits after removing separators, found 10"),
        ("369-1234-567X", "must contain only digits and separators"),
    ],
)
def test_scan_page_awb_error_names_rule(scan_client, awb, reason):
    shipment_create(boxes=1, code_prefix="ZR")

    response = _post(scan_client, "ZR000001", json=True, awb=awb)

    message = response.json()["errors"]["expected_awb"][0]["message"]
    assert response.status_code == 400
    assert message.startswith("Invalid AWB ")
    assert reason in message
    assert "check digit" not in message
    assert Box.objects.get().received_at is None


def test_scan_page_accepts_stored_all_zero_awb(scan_client):
    shipment_create(boxes=1, code_prefix="ZS", awb="00000000000")

    response = _post(scan_client, "ZS000001", json=True, awb="000-0000-0000")

    assert response.status_code == 200
    assert response.json()["outcome"] == "received"
    assert scan_client.session["receiving_awb"] == "00000000000"


def test_scan_page_escapes_farm_text(scan_client, user):
    shipment_create(
        boxes=1, code_prefix="XS", vendor_name="<script>alert(1)</script>", awb=OTHER_AWB
    )

    html = _post(scan_client, "XS000001", awb=AWB).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_scan_requires_change_permission(client):
    client.force_login(staff_user("viewer"))

    assert client.get(reverse("receiving:scan")).status_code == 403
    assert client.post(reverse("receiving:scan"), {"code": "X"}).status_code == 403
