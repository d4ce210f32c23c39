"""Label downloads through the views and the admin actions, with their permissions."""

import datetime
import json

import pypdfium2 as pdfium
import pytest
import zxingcpp
from django.contrib.auth.models import Permission
from django.urls import reverse

from labels.models import LabelBatch
from labels.views import parse_box_ids
from orders.models import Box
from tests.receiving.shipments import (
    AWB,
    SHIP_DATE,
    shipment_create,
    staff_user,
    warehouse_user,
)

pytestmark = pytest.mark.django_db


def decode_pdf_barcodes(data: bytes) -> list[str]:
    """Decode the Code 128 symbol of each page of a one-label-per-page PDF, in page order."""
    document = pdfium.PdfDocument(data)
    codes = []
    try:
        for page in document:
            image = page.render(scale=4, grayscale=True).to_pil()
            results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.Code128)
            codes.extend(result.text for result in results)
    finally:
        document.close()
    return codes


@pytest.fixture
def warehouse_client(client):
    client.force_login(warehouse_user())
    return client


def test_po_pdf_barcodes_decode_to_box_codes(warehouse_client):
    item = shipment_create(boxes=3, code_prefix="PO")

    response = warehouse_client.get(reverse("labels:po", args=[item.purchase_order.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="labels-PO-{item.purchase_order.number}-4x2.pdf"'
    )
    assert decode_pdf_barcodes(response.content) == ["PO000001", "PO000002", "PO000003"]
    assert set(Box.objects.values_list("labels_printed", flat=True)) == {1}


def test_po_zpl_download(warehouse_client):
    item = shipment_create(boxes=2, code_prefix="ZP")
    url = reverse("labels:po", args=[item.purchase_order.pk])

    response = warehouse_client.get(url, {"format": "zpl", "size": "4x6", "dpi": "300"})

    text = response.content.decode()
    assert response.status_code == 200
    assert text.count("^XA") == 2
    assert "^PW1200" in text
    assert "^FDZP000001^FS" in text
    assert response["Content-Disposition"].endswith('-4x6-300dpi.zpl"')


def test_awb_download_accepts_separators(warehouse_client):
    shipment_create(boxes=2, code_prefix="AW")
    shipment_create(boxes=1, code_prefix="OT", awb="04512345675")

    response = warehouse_client.get(
        reverse("labels:awb", args=["369-1234-5675"]), {"format": "zpl"}
    )

    text = response.content.decode()
    assert response.status_code == 200
    assert text.count("^XA") == 2
    assert "AW000001" in text
    assert "OT000001" not in text


def test_ship_date_download(warehouse_client):
    shipment_create(boxes=2, code_prefix="SD")

    response = warehouse_client.get(
        reverse("labels:ship_date", args=["2026-12-01"]), {"format": "zpl"}
    )

    assert response.status_code == 200
    assert response.content.decode().count("^XA") == 2


def test_ship_date_download_rejects_impossible_date(warehouse_client):
    response = warehouse_client.get(reverse("labels:ship_date", args=["2026-02-30"]))

    assert response.status_code == 400
    assert b"Invalid ship date" in response.content


def test_download_rejects_invalid_option(warehouse_client):
    item = shipment_create(boxes=1, code_prefix="IO")

    response = warehouse_client.get(
        reverse("labels:po", args=[item.purchase_order.pk]), {"stock": "9x9"}
    )

    assert response.status_code == 400
    assert b"Invalid stock" in response.content


def test_download_of_awb_without_boxes_is_404(warehouse_client):
    response = warehouse_client.get(reverse("labels:awb", args=[AWB]))

    assert response.status_code == 404
    assert b"has no boxes to label yet" in response.content


def test_unknown_po_is_404(warehouse_client):
    assert warehouse_client.get(reverse("labels:po", args=[999999])).status_code == 404


def test_selected_boxes_download(warehouse_client):
    shipment_create(boxes=3, code_prefix="SL")
    ids = list(Box.objects.order_by("sequence").values_list("pk", flat=True))

    response = warehouse_client.get(
        reverse("labels:boxes"), {"ids": f"{ids[0]},{ids[2]}", "format": "zpl"}
    )

    text = response.content.decode()
    assert response.status_code == 200
    assert "SL000001" in text
    assert "SL000002" not in text
    assert "SL000003" in text


@pytest.mark.parametrize("ids", ["", "1,x", "-4"])
def test_selected_boxes_rejects_bad_ids(warehouse_client, ids):
    response = warehouse_client.get(reverse("labels:boxes"), {"ids": ids})

    assert response.status_code == 400


@pytest.mark.parametrize(
    "ids",
    [
        "99999999999999999999999",
        "9223372036854775808",
        "1,9223372036854775808",
        "9" * 5000,
    ],
)
def test_selected_boxes_rejects_id_above_bigint(warehouse_client, ids):
    response = warehouse_client.get(reverse("labels:boxes"), {"ids": ids})

    text = response.content.decode()
    assert response.status_code == 400
    assert "Invalid box id" in text
    assert "at most 9223372036854775807" in text


def test_selected_boxes_accepts_largest_id(warehouse_client):
    response = warehouse_client.get(reverse("labels:boxes"), {"ids": "0009223372036854775807"})

    assert response.status_code == 404
    assert b"has no boxes to label yet" in response.content


def test_parse_box_ids_strips_leading_zeros():
    assert parse_box_ids(["007", "0000000000000000000000042"]) == [7, 42]


@pytest.mark.parametrize(
    "url",
    [
        "/labels/po/99999999999999999999999/",
        "/labels/batches/99999999999999999999999/",
        "/labels/batches/99999999999999999999999/status/",
        "/labels/batches/99999999999999999999999/download/",
    ],
)
def test_path_id_above_bigint_is_404(warehouse_client, url):
    assert warehouse_client.get(url).status_code == 404


@pytest.mark.parametrize("dpi", ["9" * 5000, "99999999999999999999999", "²⁰³"])
def test_download_rejects_huge_dpi(warehouse_client, dpi):
    item = shipment_create(boxes=1, code_prefix="DP")
    url = reverse("labels:po", args=[item.purchase_order.pk])

    response = warehouse_client.post(
        reverse("labels:boxes"), {"ids": str(Box.objects.get().pk), "format": "zpl", "dpi": dpi}
    )
    by_po = warehouse_client.get(url, {"format": "zpl", "dpi": dpi[:100]})

    assert response.status_code == 400
    assert "Invalid dpi" in response.content.decode()
    assert by_po.status_code == 400
    assert "Invalid dpi" in by_po.content.decode()


def test_download_accepts_dpi_with_leading_zero(warehouse_client):
    item = shipment_create(boxes=1, code_prefix="DZ")
    url = reverse("labels:po", args=[item.purchase_order.pk])

    response = warehouse_client.get(url, {"format": "zpl", "dpi": "0300"})

    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('-300dpi.zpl"')


def test_staff_without_box_permission_gets_403(client):
    item = shipment_create(boxes=1, code_prefix="NP")
    client.force_login(staff_user("sales-only"))

    urls = [
        reverse("labels:po", args=[item.purchase_order.pk]),
        reverse("labels:awb", args=[AWB]),
        reverse("labels:ship_date", args=["2026-12-01"]),
        reverse("labels:boxes") + "?ids=1",
    ]
    for url in urls:
        assert client.get(url).status_code == 403, url


def test_non_staff_with_permission_gets_403(client):
    user = staff_user("not-staff", is_staff=False)
    user.user_permissions.add(Permission.objects.get(codename="view_box"))
    client.force_login(user)

    assert client.get(reverse("labels:awb", args=[AWB])).status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("labels:awb", args=[AWB]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_large_download_becomes_batch(
    warehouse_client, settings, django_capture_on_commit_callbacks
):
    settings.LABELS_INLINE_MAX_BOXES = 2
    item = shipment_create(boxes=3, code_prefix="LG")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = warehouse_client.get(reverse("labels:po", args=[item.purchase_order.pk]))

    batch = LabelBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("labels:batch", args=[batch.pk])
    assert batch.total == 3
    assert batch.state == LabelBatch.State.PENDING
    assert batch.description == f"PO {item.purchase_order.number}"
    assert batch.requested_by.username == "warehouse"
    assert len(callbacks) == 1
    page = warehouse_client.get(response["Location"])
    assert page.status_code == 200
    assert reverse("labels:batch_status", args=[batch.pk]).encode() in page.content
    status = warehouse_client.get(reverse("labels:batch_status", args=[batch.pk])).json()
    assert status["state"] == "pending"
    assert status["percent"] == 0
    assert status["downloadUrl"] == ""
    assert (
        warehouse_client.get(reverse("labels:batch_download", args=[batch.pk])).status_code == 404
    )


def test_box_admin_action_downloads(warehouse_client):
    shipment_create(boxes=3, code_prefix="AD")
    ids = list(Box.objects.order_by("sequence").values_list("pk", flat=True))[:2]

    response = warehouse_client.post(
        reverse("admin:orders_box_changelist"),
        {"action": "download_labels_zpl", "_selected_action": ids},
    )

    text = response.content.decode()
    assert response.status_code == 200
    assert text.count("^XA") == 2
    assert "AD000003" not in text


def test_po_admin_action_downloads(warehouse_client):
    item = shipment_create(boxes=2, code_prefix="PA")

    response = warehouse_client.post(
        reverse("admin:orders_purchaseorder_changelist"),
        {"action": "download_purchase_order_labels", "_selected_action": [item.purchase_order.pk]},
    )

    assert response.status_code == 200
    assert decode_pdf_barcodes(response.content) == ["PA000001", "PA000002"]


BAD_CODES = ["^XZ~JA", "A\x1bB", "C\nD", "ÜNI1", "🌹2"]


@pytest.mark.parametrize("view", ["po", "awb", "ship_date"])
@pytest.mark.parametrize("output_format", ["pdf", "zpl"])
def test_download_skips_unencodable_codes(warehouse_client, view, output_format):
    item = shipment_create(boxes=6, code_prefix="SK")
    for sequence, code in enumerate(BAD_CODES, start=2):
        Box.objects.filter(po_item=item, sequence=sequence).update(code=code)
    args = {
        "po": [item.purchase_order.pk],
        "awb": [AWB],
        "ship_date": [SHIP_DATE.isoformat()],
    }[view]

    response = warehouse_client.get(reverse(f"labels:{view}", args=args), {"format": output_format})

    assert response.status_code == 200
    # "^XZ~JA" is printable ASCII: the barcode escapes it, so it still prints.
    skipped = ["A\x1bB", "C\nD", "ÜNI1", "🌹2"]
    assert json.loads(response["X-Skipped-Boxes"]) == skipped
    assert response["X-Skipped-Box-Count"] == "4"
    assert response["X-Skipped-Boxes"].isascii()
    if output_format == "pdf":
        assert decode_pdf_barcodes(response.content) == ["SK000001", "^XZ~JA"]
    else:
        assert response.content.decode().count("^XA") == 2
    printed = dict(Box.objects.values_list("code", "labels_printed"))
    assert printed["SK000001"] == 1
    assert printed["^XZ~JA"] == 1
    assert printed["ÜNI1"] == 0


def test_download_without_skips_has_no_header(warehouse_client):
    item = shipment_create(boxes=1, code_prefix="NH")

    response = warehouse_client.get(reverse("labels:po", args=[item.purchase_order.pk]))

    assert response.status_code == 200
    assert "X-Skipped-Boxes" not in response


def test_download_of_only_unencodable_codes_is_422(warehouse_client):
    item = shipment_create(boxes=1, code_prefix="UN")
    Box.objects.filter(po_item=item).update(code="ÜNI1")

    response = warehouse_client.get(reverse("labels:po", args=[item.purchase_order.pk]))

    assert response.status_code == 422
    assert "ÜNI1" in response.content.decode()


def test_admin_action_reports_skipped_codes(warehouse_client):
    item = shipment_create(boxes=2, code_prefix="AM")
    Box.objects.filter(po_item=item, sequence=2).update(code="C\nD")
    ids = list(Box.objects.values_list("pk", flat=True))

    response = warehouse_client.post(
        reverse("admin:orders_box_changelist"),
        {"action": "download_labels_zpl", "_selected_action": ids},
    )
    page = warehouse_client.get(reverse("admin:orders_box_changelist"))

    assert response.status_code == 200
    assert response.content.decode().count("^XA") == 1
    assert json.loads(response["X-Skipped-Boxes"]) == ["C\nD"]
    messages = [str(message) for message in page.context["messages"]]
    assert len(messages) == 1
    assert "1 box label(s) were left out" in messages[0]
    assert "'C\\nD'" in messages[0]


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_ship_date_download_calendar_edges(warehouse_client, day):
    shipment_create(boxes=2, code_prefix="CE", ship_date=datetime.date.fromisoformat(day))

    response = warehouse_client.get(reverse("labels:ship_date", args=[day]), {"format": "zpl"})

    assert response.status_code == 200
    assert response.content.decode().count("^XA") == 2


def test_batch_date_hierarchy_last_day_redirects(admin_client):
    query = {"created_at__year": "9999", "created_at__month": "12", "created_at__day": "31"}

    response = admin_client.get(reverse("admin:labels_labelbatch_changelist"), query)

    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")
