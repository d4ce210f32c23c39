"""Farm-supplied text is shown escaped in the admin, in ZPL labels and on the API docs page.

Each record carries two payloads: a script tag and an attribute break-out. A page passes
when neither payload appears raw, and the change pages show the escaped form.
"""

import pytest
from django.urls import reverse

from labels.render.data import LabelData
from labels.render.zpl import render_zpl
from tests.factories import (
    BoxFactory,
    PrebookFactory,
    PrebookItemFactory,
    PurchaseOrderFactory,
    PurchaseOrderItemFactory,
    VendorFactory,
    VendorProductFactory,
)

SCRIPT = "<script>x</script>"
BREAKOUT = '"><img src=z onerror=alert(7)>'
RAW_MARKERS = ("<script>x", "<img src=z onerror")
ESCAPED_SCRIPT = "&lt;script&gt;x&lt;/script&gt;"


@pytest.fixture
def farm_records(db):
    vendor = VendorFactory(code="XSSFARM")
    vendor_product = VendorProductFactory(vendor=vendor, description=f"{SCRIPT} {BREAKOUT}")
    prebook = PrebookFactory(comments=f"{SCRIPT} {BREAKOUT}")
    prebook_item = PrebookItemFactory(
        prebook=prebook,
        vendor=vendor,
        vendor_product=vendor_product,
        mark_code=SCRIPT,
        notes=BREAKOUT,
    )
    purchase_order = PurchaseOrderFactory(vendor=vendor, comments=f"{SCRIPT} {BREAKOUT}")
    po_item = PurchaseOrderItemFactory(
        purchase_order=purchase_order,
        prebook_item=prebook_item,
        vendor_product=vendor_product,
        mark_code=SCRIPT,
        notes=BREAKOUT,
    )
    box = BoxFactory(po_item=po_item, code=SCRIPT, house_awb='"><img onerror=1>')
    return {
        "orders_prebook": prebook,
        "orders_prebookitem": prebook_item,
        "orders_purchaseorder": purchase_order,
        "orders_box": box,
        "mapping_vendorproduct": vendor_product,
    }


@pytest.fixture
def admin_session(client, superuser):
    client.force_login(superuser)
    return client


def _assert_no_raw_payload(html: str, url: str) -> None:
    for marker in RAW_MARKERS:
        assert marker not in html, f"{url} renders farm text unescaped: {marker!r}"


@pytest.mark.parametrize(
    "model",
    [
        "orders_prebook",
        "orders_prebookitem",
        "orders_purchaseorder",
        "orders_box",
        "mapping_vendorproduct",
    ],
)
def test_changelist_escapes_farm_text(admin_session, farm_records, model):
    url = reverse(f"admin:{model}_changelist")

    response = admin_session.get(url)

    assert response.status_code == 200, url
    _assert_no_raw_payload(response.content.decode(), url)


@pytest.mark.parametrize(
    "model",
    [
        "orders_prebook",
        "orders_prebookitem",
        "orders_purchaseorder",
        "orders_box",
        "mapping_vendorproduct",
    ],
)
def test_change_page_escapes_farm_text(admin_session, farm_records, model):
    url = reverse(f"admin:{model}_change", args=[farm_records[model].pk])

    response = admin_session.get(url)
    html = response.content.decode()

    assert response.status_code == 200, url
    _assert_no_raw_payload(html, url)
    assert ESCAPED_SCRIPT in html, f"{url} does not show the farm text at all"


@pytest.mark.parametrize(
    "model", ["orders_prebook", "orders_purchaseorder", "orders_box", "mapping_vendorproduct"]
)
def test_search_term_escaped(admin_session, farm_records, model):
    url = reverse(f"admin:{model}_changelist")

    response = admin_session.get(url, {"q": SCRIPT})

    assert response.status_code == 200
    _assert_no_raw_payload(response.content.decode(), url)


def test_api_docs_page_escapes_query(client):
    response = client.get("/api/docs/", {"x": BREAKOUT, "y": SCRIPT})

    assert response.status_code == 200
    _assert_no_raw_payload(response.content.decode(), "/api/docs/")


def test_zpl_label_text_cannot_inject_commands():
    label = LabelData(
        box_code="RS00000001",
        vendor_name="Flores ^XZ^XA^FDinjected",
        product="Rose ~JA cancel ^FS^XZ",
        box_type="HB",
        bunches=10,
        stems_per_bunch=25,
        po_number="P200001",
        customer="Cust ^XZ",
        mark_code="^XA^XZ",
        awb="36912345675",
        house_awb="",
        lot_number="120001",
        ship_date=None,
        box_index=1,
        box_count=1,
    )

    zpl = render_zpl([label], size="4x6", dpi=203)

    assert zpl.count("^XA") == 1
    assert zpl.count("^XZ") == 1
    assert "~JA" not in zpl
    assert "^FDFlores XZXA" in zpl
