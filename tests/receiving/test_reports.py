"""Receiving reports, their CSV export, the AWB view and the box admin."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.models import Box
from receiving.reports import awb_summary, receiving_report
from receiving.selectors import boxes_for_awb, boxes_for_ship_date
from receiving.services import box_receive
from tests.receiving.shipments import AWB, OTHER_AWB, shipment_create, staff_user, warehouse_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return warehouse_user()


@pytest.fixture
def staff_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def awb_shipments(user):
    """Two vendors on one AWB (5 HB + 2 QB and 4 FB) plus 3 EB boxes on another AWB."""
    first = shipment_create(boxes=5, code_prefix="AA", vendor_name="Alpha Farms")
    shipment_create(
        boxes=2,
        code_prefix="AQ",
        purchase_order=first.purchase_order,
        product_description="Carnation White Select",
        box_type="QB",
    )
    shipment_create(boxes=4, code_prefix="BB", vendor_name="Beta Roses", box_type="FB")
    shipment_create(boxes=3, code_prefix="CC", vendor_name="Gamma", awb=OTHER_AWB, box_type="EB")
    for code in ("AA000001", "AA000002", "AQ000001", "BB000004"):
        box_receive(code=code, user=user, actor_label="warehouse", location="Cooler 1")
    return first


def test_report_counts_per_awb(awb_shipments):
    report = receiving_report(boxes=boxes_for_awb(awb=AWB), title="AWB")

    assert (report.expected, report.received, report.missing) == (11, 4, 7)
    rows = [
        (r.vendor, r.product, r.box_type, r.expected, r.received, r.missing) for r in report.rows
    ]
    assert rows == [
        ("Alpha Farms", "Carnation White Select", "QB", 2, 1, 1),
        ("Alpha Farms", "Rose Freedom Red 50cm", "HB", 5, 2, 3),
        ("Beta Roses", "Rose Freedom Red 50cm", "FB", 4, 1, 3),
    ]
    vendors = [(v.vendor, v.expected, v.received, v.missing) for v in report.vendors]
    assert vendors == [("Alpha Farms", 7, 3, 4), ("Beta Roses", 4, 1, 3)]
    assert sorted(box.code for box in report.missing_boxes) == [
        "AA000003",
        "AA000004",
        "AA000005",
        "AQ000002",
        "BB000001",
        "BB000002",
        "BB000003",
    ]


def test_report_counts_per_ship_date(awb_shipments):
    report = receiving_report(
        boxes=boxes_for_ship_date(ship_date=awb_shipments.purchase_order.ship_date), title="x"
    )

    assert (report.expected, report.received, report.missing) == (14, 4, 10)


def test_report_query_count_is_fixed(awb_shipments, django_assert_num_queries):
    with django_assert_num_queries(2):
        receiving_report(boxes=boxes_for_awb(awb=AWB), title="AWB")


def test_report_page(staff_client, awb_shipments):
    response = staff_client.get(reverse("receiving:report_awb", args=["369-1234-5675"]))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="total-expected">11<' in html
    assert 'id="total-received">4<' in html
    assert 'id="total-missing">7<' in html
    assert "AA000003" in html
    assert "AA000001</td>" not in html


def test_report_lookup_redirects(staff_client):
    by_awb = staff_client.get(reverse("receiving:report"), {"awb": "369-1234-5675"})
    by_date = staff_client.get(reverse("receiving:report"), {"ship_date": "2026-12-01"})
    neither = staff_client.get(reverse("receiving:report"), {"awb": ""})

    assert by_awb["Location"] == reverse("receiving:report_awb", args=[AWB])
    assert by_date["Location"] == reverse("receiving:report_ship_date", args=["2026-12-01"])
    assert "Enter an AWB or a ship date." in neither.content.decode()


def _csv_rows(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_export_one_row_per_box(staff_client, awb_shipments):
    response = staff_client.get(reverse("receiving:report_awb_csv", args=[AWB]))

    rows = _csv_rows(response)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="receiving-AWB-{AWB}.csv"'
    assert len(rows) == 11
    received = next(row for row in rows if row["box code"] == "AA000001")
    assert received["AWB"] == "369-1234-5675"
    assert received["house AWB"] == "MIA-778"
    assert received["PO"] == awb_shipments.purchase_order.number
    assert received["vendor"] == "Alpha Farms"
    assert received["product"] == "Rose Freedom Red 50cm"
    assert received["box type"] == "HB"
    assert received["ship date"] == "2026-12-01"
    assert received["status"] == "received"
    received_at = Box.objects.get(code="AA000001").received_at
    assert received["received at"] == timezone.localtime(received_at).isoformat(timespec="seconds")
    assert received["received by"] == "warehouse"
    assert received["location"] == "Cooler 1"
    missing = next(row for row in rows if row["box code"] == "AA000003")
    assert missing["status"] == "missing"
    assert missing["received at"] == ""
    assert missing["received by"] == ""


def test_csv_export_per_ship_date(staff_client, awb_shipments):
    response = staff_client.get(reverse("receiving:report_ship_date_csv", args=["2026-12-01"]))

    assert len(_csv_rows(response)) == 14


def test_csv_neutralises_formulas(staff_client):
    shipment_create(boxes=1, code_prefix="FX", vendor_name='=HYPERLINK("http://x")')

    rows = _csv_rows(staff_client.get(reverse("receiving:report_awb_csv", args=[AWB])))

    assert rows[0]["vendor"] == '\'=HYPERLINK("http://x")'


def test_awb_summary_fbe_vendors_and_pos(awb_shipments):
    summary = awb_summary(awb=AWB)

    assert summary.boxes == 11
    assert summary.received == 4
    assert summary.is_valid
    assert summary.display == "369-1234-5675"
    types = {(row.code, row.fbe, row.boxes) for row in summary.box_types}
    assert types == {("FB", Decimal("1"), 4), ("HB", Decimal("0.5"), 5), ("QB", Decimal("0.25"), 2)}
    assert summary.total_fbe == Decimal("7.0")
    assert [vendor["name"] for vendor in summary.vendors] == ["Alpha Farms", "Beta Roses"]
    assert sorted(po["boxes"] for po in summary.purchase_orders) == [4, 7]


def test_awb_summary_eighth_boxes():
    shipment_create(boxes=3, code_prefix="EB", awb=OTHER_AWB, box_type="EB")

    assert awb_summary(awb=OTHER_AWB).total_fbe == Decimal("0.375")


def test_awb_page_flags_invalid_check_digit(staff_client):
    shipment_create(boxes=1, code_prefix="IV", awb="36912345676")

    html = staff_client.get(reverse("receiving:awb", args=["36912345676"])).content.decode()
    listing = staff_client.get(
        reverse("receiving:awb_list"), {"from": "2026-11-01", "to": "2026-12-31"}
    )

    assert 'id="awb-invalid"' in html
    assert "INVALID" in listing.content.decode()


def test_awb_page_names_all_zero_rule(staff_client):
    shipment_create(boxes=1, code_prefix="ZA", awb="00000000000")

    html = staff_client.get(reverse("receiving:awb", args=["00000000000"])).content.decode()

    assert 'id="awb-invalid"' in html
    assert "airline prefix 000 is not assigned to any airline" in html
    assert "modulo 7" not in html


def test_report_lookup_names_all_zero_rule(staff_client):
    response = staff_client.get(reverse("receiving:report"), {"awb": "000-0000-0000"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Invalid AWB 000-0000-0000: airline prefix 000 is not assigned" in html
    assert "check digit" not in html


def test_awb_page_valid(staff_client, awb_shipments):
    html = staff_client.get(reverse("receiving:awb", args=[AWB])).content.decode()

    assert 'id="awb-invalid"' not in html
    assert 'id="awb-fbe">7<' in html
    assert "Beta Roses" in html


def test_awb_page_unknown_awb_is_404(staff_client):
    assert staff_client.get(reverse("receiving:awb", args=[AWB])).status_code == 404


def test_pages_escape_farm_text(staff_client):
    shipment_create(boxes=1, code_prefix="XS", vendor_name="<img src=x onerror=alert(1)>")

    for url in (
        reverse("receiving:report_awb", args=[AWB]),
        reverse("receiving:awb", args=[AWB]),
        reverse("admin:orders_box_changelist"),
    ):
        html = staff_client.get(url).content.decode()
        assert "<img src=x" not in html, url
        assert "&lt;img src=x" in html, url


def test_report_pages_need_box_view_permission(client):
    client.force_login(staff_user("no-boxes"))

    for url in (
        reverse("receiving:report"),
        reverse("receiving:report_awb", args=[AWB]),
        reverse("receiving:report_awb_csv", args=[AWB]),
        reverse("receiving:report_ship_date", args=["2026-12-01"]),
        reverse("receiving:awb_list"),
        reverse("receiving:awb", args=[AWB]),
    ):
        assert client.get(url).status_code == 403, url


# Box admin -----------------------------------------------------------------------------


def _changelist_queries(client, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:orders_box_changelist"), params)
    assert response.status_code == 200
    return len(queries)


def test_box_changelist_query_count_is_fixed(staff_client, user):
    shipment_create(boxes=2, code_prefix="Q1")
    few = _changelist_queries(staff_client)
    shipment_create(boxes=30, code_prefix="Q2", vendor_name="Other")
    box_receive(code="Q2000001", user=user, actor_label="warehouse")

    assert _changelist_queries(staff_client) == few


def test_box_changelist_columns_and_filters(staff_client, awb_shipments):
    html = staff_client.get(
        reverse("admin:orders_box_changelist"), {"awb": "369-1234-5675", "received": "yes"}
    ).content.decode()

    assert "369-1234-5675" in html
    assert "AA000001" in html
    assert "AA000003" not in html
    assert "CC000001" not in html
    assert "badge-green" in html
    assert reverse("receiving:scan") in html


def test_box_changelist_search_by_code(staff_client, awb_shipments):
    html = staff_client.get(
        reverse("admin:orders_box_changelist"), {"q": "BB000002\r"}
    ).content.decode()

    assert "BB000002" in html
    assert "BB000001" not in html


def test_box_changelist_flags_invalid_awb(staff_client):
    shipment_create(boxes=1, code_prefix="IA", awb="36912345676")

    html = staff_client.get(reverse("admin:orders_box_changelist")).content.decode()

    assert "badge-red" in html
    assert "369-1234-5676" in html


def test_box_changelist_badge_names_rule(staff_client):
    shipment_create(boxes=1, code_prefix="IZ", awb="00000000000")

    html = staff_client.get(reverse("admin:orders_box_changelist")).content.decode()

    assert 'title="Invalid AWB: airline prefix 000 is not assigned to any airline' in html
    assert "check digit does not match" not in html


def test_scan_log_and_batch_admin_pages(staff_client, user, admin_client):
    shipment_create(boxes=1, code_prefix="SM")
    box_receive(code="SM000001", user=user, actor_label="warehouse")
    box_receive(code="NOPE", user=user, actor_label="warehouse")

    scans = admin_client.get(reverse("admin:receiving_boxscan_changelist"))
    batches = admin_client.get(reverse("admin:labels_labelbatch_changelist"))
    box = admin_client.get(reverse("admin:orders_box_change", args=[Box.objects.get().pk]))

    assert scans.status_code == 200
    assert "NOPE" in scans.content.decode()
    assert batches.status_code == 200
    assert box.status_code == 200


def test_awb_list_first_date_clamps_from(staff_client):
    response = staff_client.get(reverse("receiving:awb_list"), {"to": "0001-01-05"})

    assert response.status_code == 200
    assert response.context["date_from"] == datetime.date(1, 1, 1)
    assert response.context["date_to"] == datetime.date(1, 1, 5)


def test_awb_list_default_from_is_two_weeks(staff_client):
    response = staff_client.get(reverse("receiving:awb_list"), {"to": "2026-12-31"})

    assert response.context["date_from"] == datetime.date(2026, 12, 17)


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_ship_date_report_calendar_edges(staff_client, day):
    shipment_create(boxes=2, code_prefix="ED", ship_date=datetime.date.fromisoformat(day))

    page = staff_client.get(reverse("receiving:report_ship_date", args=[day]))
    export = staff_client.get(reverse("receiving:report_ship_date_csv", args=[day]))

    assert page.status_code == 200
    assert page.context["report"].expected == 2
    assert export.status_code == 200
    assert len(list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))) == 3
