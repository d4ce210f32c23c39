"""The day's picture: figures per vendor and customer, links, query count, bad input."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.models import CarrierCutoff
from dashboard.panels import procurement_panel
from dashboard.selectors import DayRange, day_picture
from dashboard.views import DayRangeError, parse_day_range
from orders.models import PurchaseOrder
from sync.models import Direction, Exchange, ExchangeKind, ExchangeState
from tests.factories import (
    BoxFactory,
    BoxTypeFactory,
    CarrierFactory,
    CustomerFactory,
    PrebookFactory,
    PrebookItemFactory,
    PurchaseOrderFactory,
    PurchaseOrderItemFactory,
    VendorFactory,
)

Status = PurchaseOrder.Status
DAY = datetime.date(2030, 3, 14)


def seed_day():
    """Two farms, two customers; statuses spread so every stage has a known figure."""
    half = BoxTypeFactory(code="HB", fbe=Decimal("0.5"))
    full = BoxTypeFactory(code="FB", fbe=Decimal("1"))
    rosas, clavel = (
        VendorFactory(code="ROSAS", name="Rosas"),
        VendorFactory(code="CLAVEL", name="Clavel"),
    )
    acme, bloom = CustomerFactory(name="Acme Flowers"), CustomerFactory(name="Bloom Co")
    acme_line = PrebookItemFactory(prebook=PrebookFactory(customer=acme, truck_date=DAY))
    bloom_line = PrebookItemFactory(prebook=PrebookFactory(customer=bloom, truck_date=DAY))

    def po(vendor, status, boxes, box_type, prebook_item=None, hold=""):
        order = PurchaseOrderFactory(vendor=vendor, status=status, ship_date=DAY)
        return PurchaseOrderItemFactory(
            purchase_order=order,
            boxes=boxes,
            box_type=box_type,
            prebook_item=prebook_item,
            hold_reason=hold,
        )

    po(rosas, Status.PENDING_APPROVAL, 4, half, acme_line, hold="product_not_mapped")
    po(rosas, Status.APPROVED, 6, half, acme_line)
    shipped = po(rosas, Status.SHIPPED, 2, full, bloom_line)
    po(clavel, Status.CONFIRMED, 10, full)
    po(clavel, Status.CANCELLED, 99, full)
    received_at = timezone.now()
    BoxFactory(po_item=shipped, received_at=received_at)
    BoxFactory(po_item=shipped)
    other_day = PurchaseOrderFactory(vendor=clavel, ship_date=DAY + datetime.timedelta(days=1))
    PurchaseOrderItemFactory(purchase_order=other_day, boxes=50)
    return rosas, clavel, acme, bloom


@pytest.mark.django_db
def test_figures_per_vendor():
    rosas, clavel, _, _ = seed_day()

    picture = day_picture(days=DayRange(start=DAY, end=DAY, by="ship"))

    rows = {row.label: row for row in picture.vendors}
    assert set(rows) == {"Rosas", "Clavel"}
    assert rows["Rosas"].get("ordered_boxes") == 12
    assert rows["Rosas"].get("ordered_fbe") == Decimal("7")  # 4×0.5 + 6×0.5 + 2×1
    assert rows["Rosas"].get("approved_boxes") == 8
    assert rows["Rosas"].get("confirmed_boxes") == 2
    assert rows["Rosas"].get("shipped_boxes") == 2
    assert rows["Rosas"].get("received_boxes") == 1
    assert rows["Rosas"].get("received_fbe") == Decimal("1")
    assert rows["Rosas"].get("held_boxes") == 4
    assert rows["Clavel"].get("ordered_boxes") == 10
    assert rows["Clavel"].get("confirmed_boxes") == 10
    assert rows["Clavel"].get("shipped_boxes") == 0
    assert picture.totals["ordered_boxes"] == 22


@pytest.mark.django_db
def test_figures_per_customer():
    seed_day()

    picture = day_picture(days=DayRange(start=DAY, end=DAY, by="ship"))

    rows = {row.label: row for row in picture.customers}
    assert rows["Acme Flowers"].get("ordered_boxes") == 10
    assert rows["Acme Flowers"].get("held_boxes") == 4
    assert rows["Bloom Co"].get("shipped_boxes") == 2
    assert rows["Bloom Co"].get("received_boxes") == 1
    assert rows["No customer (farm stock or unlinked lines)"].get("ordered_boxes") == 10


@pytest.mark.django_db
def test_by_truck_date_uses_prebooks():
    seed_day()

    picture = day_picture(days=DayRange(start=DAY, end=DAY, by="truck"))

    assert {row.label for row in picture.vendors} == {"Rosas"}
    assert picture.totals["ordered_boxes"] == 12


@pytest.mark.django_db
def test_range_includes_both_days():
    seed_day()

    picture = day_picture(days=DayRange(start=DAY, end=DAY + datetime.timedelta(days=1)))

    assert picture.totals["ordered_boxes"] == 72


@pytest.mark.django_db
def test_needs_attention_listed():
    _, clavel, _, _ = seed_day()
    po = PurchaseOrder.objects.filter(vendor=clavel, ship_date=DAY).first()
    Exchange.objects.create(
        direction=Direction.OUTBOUND,
        kind=ExchangeKind.PO_APPROVED,
        vendor=clavel,
        purchase_order=po,
        external_id="evt-1",
        state=ExchangeState.NEEDS_ATTENTION,
        last_error="HTTP 400 from the farm",
    )

    picture = day_picture(days=DayRange(start=DAY, end=DAY))

    assert picture.needs_attention == 1
    assert picture.needs_attention_rows[0].last_error == "HTTP 400 from the farm"


@pytest.mark.django_db
def test_page_renders_with_links(procurement_client):
    rosas, *_ = seed_day()

    response = procurement_client.get(reverse("dashboard:day"), {"date": DAY.isoformat()})

    content = response.content.decode()
    assert response.status_code == 200
    assert "Rosas" in content
    assert f"vendor__id__exact={rosas.pk}" in content
    assert 'class="bars"' in content
    assert "https://" not in content  # no CDN: the chart is CSS bars


@pytest.mark.django_db
def test_vendor_link_opens_filtered_list(procurement_client):
    rosas, *_ = seed_day()
    url = reverse("admin:orders_purchaseorder_changelist")
    query = {
        "ship_date__gte": DAY.isoformat(),
        "ship_date__lt": (DAY + datetime.timedelta(days=1)).isoformat(),
        "vendor__id__exact": rosas.pk,
    }

    response = procurement_client.get(url, query)

    assert response.status_code == 200
    assert response.context["cl"].result_count == 3


@pytest.mark.django_db
def test_customer_link_opens_filtered_list(sales_client):
    _, _, acme, _ = seed_day()

    response = sales_client.get(
        reverse("admin:orders_prebook_changelist"), {"customer__id__exact": acme.pk}
    )

    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


@pytest.mark.django_db
def test_page_queries_fixed(procurement_client):
    def count(day: datetime.date) -> int:
        url = reverse("dashboard:day")
        procurement_client.get(url, {"date": day.isoformat()})
        with CaptureQueriesContext(connection) as context:
            response = procurement_client.get(url, {"date": day.isoformat()})
        assert response.status_code == 200
        return len(context.captured_queries)

    small_day, big_day = DAY, DAY + datetime.timedelta(days=7)
    for day, vendors in ((small_day, 3), (big_day, 30)):
        for number in range(vendors):
            vendor = VendorFactory(code=f"F{day:%d}{number}")
            po = PurchaseOrderFactory(vendor=vendor, ship_date=day)
            line = PurchaseOrderItemFactory(purchase_order=po)
            BoxFactory(po_item=line, received_at=timezone.now())

    assert count(big_day) == count(small_day)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"date": "14/03/2030"}, "YYYY-MM-DD"),
        ({"by": "week"}, "by must be"),
        ({"start": "2030-03-10", "end": "2030-03-01"}, "before the start date"),
        ({"start": "2030-01-01", "end": "2030-03-01"}, "at most 31 days"),
    ],
)
def test_bad_input_is_400(procurement_client, query, message):
    response = procurement_client.get(reverse("dashboard:day"), query)

    assert response.status_code == 400
    assert message in response.content.decode()


def test_parse_single_date_and_default():
    today = datetime.date(2030, 1, 2)

    assert parse_day_range({}, today) == DayRange(start=today, end=today, by="ship")
    assert parse_day_range({"date": "2030-01-05", "by": "truck"}, today).by == "truck"
    with pytest.raises(DayRangeError):
        parse_day_range({"by": "x"}, today)


@pytest.mark.django_db
def test_anonymous_redirected_to_login(client):
    response = client.get(reverse("dashboard:day"))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_procurement_panel_counts_past_cutoff(procurement_client):
    today = timezone.localdate()
    carrier = CarrierFactory()
    CarrierCutoff.objects.create(
        carrier=carrier, weekday=today.weekday(), cutoff_time=datetime.time(0)
    )
    PurchaseOrderFactory(ship_date=today, carrier=carrier)
    PurchaseOrderFactory(ship_date=today + datetime.timedelta(days=3), carrier=carrier)

    response = procurement_client.get(reverse("admin:index"))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Pending and past the carrier cut-off" in content
    items = {item.label: item.count for item in procurement_panel(today).items}
    assert items["Pending approval"] == 2
    assert items["Pending and past the carrier cut-off"] == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"date": "9999-12-31"},
        {"date": "9999-12-31", "by": "truck"},
        {"date": "0001-01-01"},
        {"start": "9999-12-30", "end": "9999-12-31"},
        {"start": "0001-01-01", "end": "0001-01-02"},
    ],
)
@pytest.mark.parametrize("role_client", ["procurement_client", "sales_client"])
def test_calendar_edges_render(request, role_client, query):
    client = request.getfixturevalue(role_client)

    response = client.get(reverse("dashboard:day"), query)

    assert response.status_code == 200


@pytest.mark.django_db
def test_last_date_has_no_next_link(procurement_client):
    response = procurement_client.get(
        reverse("dashboard:day"), {"start": "9999-12-30", "end": "9999-12-31"}
    )

    nav, links = response.context["nav"], response.context["links"]
    assert nav["next"] is None
    assert nav["previous"] == "?start=9999-12-28&end=9999-12-29&by=ship"
    assert "next &rarr;" not in response.content.decode()
    assert "ship_date__gte=9999-12-30" in links["pos"]
    assert "ship_date__lt" not in links["pos"]


@pytest.mark.django_db
def test_first_date_has_no_previous_link(sales_client):
    response = sales_client.get(reverse("dashboard:day"), {"date": "0001-01-01", "by": "truck"})

    nav, links = response.context["nav"], response.context["links"]
    assert nav["previous"] is None
    assert nav["next"] == "?start=0001-01-02&end=0001-01-02&by=truck"
    assert "&larr; previous" not in response.content.decode()
    assert "truck_date__gte=0001-01-01&truck_date__lt=0001-01-02" in links["prebooks"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"ship_date__year": "9999"},
        {"ship_date__year": "9999", "ship_date__month": "12"},
        {"ship_date__year": "9999", "ship_date__month": "12", "ship_date__day": "31"},
    ],
)
def test_date_hierarchy_last_year_redirects(procurement_client, query):
    url = reverse("admin:orders_purchaseorder_changelist")

    response = procurement_client.get(url, query)

    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


@pytest.mark.django_db
def test_prebook_date_hierarchy_last_day_redirects(sales_client):
    url = reverse("admin:orders_prebook_changelist")
    query = {"truck_date__year": "9999", "truck_date__month": "12", "truck_date__day": "31"}

    response = sales_client.get(url, query)

    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")
