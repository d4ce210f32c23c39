"""Prebook changes the admin rejects: cancels and cuts under open POs, dates out of range."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from orders.models import Prebook, PrebookItem, PurchaseOrder, PurchaseOrderBreakdown, UnitType
from orders.services.prebooks import (
    prebook_cancel,
    prebook_create,
    prebook_items_ordered_boxes,
    prebook_update,
)
from sync.models import Exchange, ExchangeKind
from tests.factories import (
    BoxTypeFactory,
    CarrierFactory,
    CustomerFactory,
    ProductFactory,
    PurchaseOrderFactory,
    PurchaseOrderItemFactory,
    VendorFactory,
    future_date,
)
from tests.orders.conftest import (
    existing_forms_data,
    management_data,
    prebook_add_form_data,
)

Status = PurchaseOrder.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def farm():
    return VendorFactory(code="ROSAS")


def create_prebook(farm, *, boxes: int = 5, lines: int = 1) -> Prebook:
    items = [
        PrebookItem(
            vendor=farm,
            product=ProductFactory(),
            box_type=BoxTypeFactory(),
            unit_type=UnitType.STEM,
            boxes=boxes,
            bunches=10,
            stems_per_bunch=25,
            cost=Decimal("0.300"),
            price=Decimal("0.550"),
            vendor_ship_date=future_date(1),
        )
        for _ in range(lines)
    ]
    header = Prebook(
        customer=CustomerFactory(), carrier=CarrierFactory(), truck_date=future_date(3)
    )
    return prebook_create(prebook=header, items=items).prebook


def order_line(prebook_item, *, boxes: int = 5, status=Status.PENDING_APPROVAL, number=None):
    """Create a PO of the line's farm with a line of `boxes` boxes linked to `prebook_item`."""
    extra = {"number": number} if number else {}
    po = PurchaseOrderFactory(vendor=prebook_item.vendor, status=status, **extra)
    return PurchaseOrderItemFactory(purchase_order=po, prebook_item=prebook_item, boxes=boxes)


def pushes(prebook: Prebook) -> list[str]:
    return list(
        Exchange.objects.filter(prebook=prebook).order_by("id").values_list("kind", flat=True)
    )


def texts(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def change_page_data(client, prebook: Prebook) -> tuple[str, dict]:
    url = reverse("admin:orders_prebook_change", args=[prebook.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = {**management_data(page), **existing_forms_data(page, "items")}
    data.update(
        {
            "customer": prebook.customer_id,
            "truck_date": prebook.truck_date.isoformat(),
            "carrier": prebook.carrier_id,
            "ship_via": 0,
        }
    )
    return url, data




# --- cancelling a prebook with open POs -----------------------------------------------------


@pytest.mark.parametrize("status", [Status.PENDING_APPROVAL, Status.APPROVED, Status.CONFIRMED])
def test_admin_cancel_rejected_with_open_po(sales_client, farm, status):
    prebook = create_prebook(farm)
    order_line(prebook.items.get(), status=status, number="100012")
    url = reverse("admin:orders_prebook_cancel", args=[prebook.pk])

    response = sales_client.post(url, {"reason": "Customer cancelled"}, follow=True)

    assert response.status_code == 200
    messages = texts(response)
    assert len(messages) == 1
    assert f"Prebook {prebook.number} cannot be cancelled" in messages[0]
    assert "open PO 100012" in messages[0]
    prebook.refresh_from_db()
    assert prebook.status == Prebook.Status.OPEN
    assert pushes(prebook) == [ExchangeKind.PREBOOK_CREATED]
    assert not AuditEntry.objects.filter(action="prebook.cancelled").exists()


def test_cancel_action_rejected_with_open_po(sales_client, farm):
    prebook = create_prebook(farm)
    po_line = order_line(prebook.items.get(), status=Status.APPROVED)
    data = {
        "action": "cancel_selected",
        "_selected_action": [prebook.pk],
        "confirm": "yes",
        "reason": "Customer cancelled",
    }

    response = sales_client.post(reverse("admin:orders_prebook_changelist"), data, follow=True)

    messages = texts(response)
    assert "Cancelled 0 prebook(s)." in messages
    assert any(f"open PO {po_line.purchase_order.number}" in text for text in messages)
    prebook.refresh_from_db()
    assert prebook.status == Prebook.Status.OPEN


def test_cancel_names_every_open_po(farm):
    prebook = create_prebook(farm, lines=2)
    first, second = prebook.items.order_by("pk")
    order_line(first, number="100013")
    order_line(second, status=Status.APPROVED, number="100012")

    with pytest.raises(ValidationError) as raised:
        prebook_cancel(prebook=prebook, reason="Customer cancelled")

    assert "open PO 100012, 100013." in raised.value.messages[0]


def test_cancel_rejected_through_mixed_box(farm):
    prebook = create_prebook(farm)
    po_line = order_line(create_prebook(farm).items.get(), number="100014")
    PurchaseOrderBreakdown.objects.create(
        po_item=po_line, prebook_item=prebook.items.get(), product=ProductFactory(), bunches=5
    )

    with pytest.raises(ValidationError) as raised:
        prebook_cancel(prebook=prebook, reason="Customer cancelled")

    assert "open PO 100014" in raised.value.messages[0]


@pytest.mark.parametrize("status", [Status.CANCELLED, Status.SHIPPED])
def test_cancel_allowed_once_po_closed(sales_client, farm, status):
    prebook = create_prebook(farm)
    order_line(prebook.items.get(), status=status)
    url = reverse("admin:orders_prebook_cancel", args=[prebook.pk])

    response = sales_client.post(url, {"reason": "Customer cancelled"}, follow=True)

    assert f"{prebook} cancelled." in texts(response)
    prebook.refresh_from_db()
    assert prebook.status == Prebook.Status.CANCELLED


def test_cancel_allowed_with_deleted_po_line(farm):
    prebook = create_prebook(farm)
    po_line = order_line(prebook.items.get())
    po_line.status = po_line.Status.DELETED
    po_line.save()

    prebook_cancel(prebook=prebook, reason="Customer cancelled")

    prebook.refresh_from_db()
    assert prebook.status == Prebook.Status.CANCELLED


# --- cutting or deleting a line that is on POs ----------------------------------------------


def test_admin_cut_below_ordered_rejected(sales_client, farm):
    prebook = create_prebook(farm, boxes=5)
    line = prebook.items.get()
    order_line(line, boxes=5, number="100012")
    url, data = change_page_data(sales_client, prebook)
    data["items-0-boxes"] = "1"

    response = sales_client.post(url, data)

    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.forms[0].errors["boxes"]
    assert errors == [
        f"Prebook line {line.pk} cannot go down to 1 box(es): 5 box(es) are already on "
        "PO 100012. Cancel those POs or delete their lines first."
    ]
    line.refresh_from_db()
    assert line.boxes == 5
    assert pushes(prebook) == [ExchangeKind.PREBOOK_CREATED]


def test_admin_cut_to_ordered_boxes_allowed(sales_client, farm):
    prebook = create_prebook(farm, boxes=5)
    line = prebook.items.get()
    order_line(line, boxes=3)
    order_line(line, boxes=4, status=Status.CANCELLED)
    url, data = change_page_data(sales_client, prebook)
    data["items-0-boxes"] = "3"

    response = sales_client.post(url, data)

    assert response.status_code == 302
    line.refresh_from_db()
    assert line.boxes == 3
    assert pushes(prebook) == [ExchangeKind.PREBOOK_CREATED, ExchangeKind.PREBOOK_CHANGED]


def test_admin_delete_ordered_line_rejected(sales_client, farm):
    prebook = create_prebook(farm, lines=2)
    first, second = prebook.items.order_by("pk")
    po_line = order_line(second, boxes=2, number="100012")
    url, data = change_page_data(sales_client, prebook)
    index = next(
        name.split("-")[1]
        for name, value in data.items()
        if name.endswith("-id") and value == str(second.pk)
    )
    data[f"items-{index}-DELETE"] = "on"

    response = sales_client.post(url, data)

    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.non_form_errors() == [
        f"Prebook line {second.pk} cannot be deleted: 2 box(es) are already on PO 100012. "
        "Cancel those POs or delete their lines first."
    ]
    assert set(prebook.items.values_list("pk", flat=True)) == {first.pk, second.pk}
    po_line.refresh_from_db()
    assert po_line.prebook_item_id == second.pk


def test_update_deletes_line_of_cancelled_po(farm):
    prebook = create_prebook(farm, lines=2)
    first, second = prebook.items.order_by("pk")
    po_line = order_line(second, status=Status.CANCELLED)

    prebook_update(prebook=prebook, deleted_items=[second])

    assert list(prebook.items.values_list("pk", flat=True)) == [first.pk]
    po_line.refresh_from_db()
    assert po_line.prebook_item_id is None


def test_update_cut_rejected_in_service(farm):
    prebook = create_prebook(farm, boxes=5)
    line = prebook.items.get()
    order_line(line, boxes=4, number="100012")
    line.boxes = 2

    with pytest.raises(ValidationError) as raised:
        prebook_update(prebook=prebook, items=[line])

    assert raised.value.messages == [
        f"Prebook line {line.pk} cannot go down to 2 box(es): 4 box(es) are already on "
        "PO 100012. Cancel those POs or delete their lines first."
    ]
    assert PrebookItem.objects.get(pk=line.pk).boxes == 5


def test_update_delete_rejected_in_service(farm):
    prebook = create_prebook(farm, lines=2)
    first, second = prebook.items.order_by("pk")
    order_line(second, boxes=2, number="100012")

    with pytest.raises(ValidationError) as raised:
        prebook_update(prebook=prebook, deleted_items=[second])

    assert f"Prebook line {second.pk} cannot be deleted" in raised.value.messages[0]
    assert prebook.items.count() == 2


def test_ordered_boxes_count_mixed_box_once(farm):
    prebook = create_prebook(farm)
    line = prebook.items.get()
    po_line = order_line(line, boxes=3, number="100012")
    for _ in range(2):
        PurchaseOrderBreakdown.objects.create(
            po_item=po_line, prebook_item=line, product=ProductFactory(), bunches=5
        )
    order_line(line, boxes=1, number="100013")

    ordered = prebook_items_ordered_boxes(prebook_item_ids=[line.pk])

    assert ordered[line.pk].boxes == 4
    assert ordered[line.pk].po_numbers == ("100012", "100013")


# --- dates outside the window the API accepts -----------------------------------------------


def test_admin_rejects_far_truck_date(sales_client, farm):
    data = prebook_add_form_data(sales_client, farm, truck_date="9999-12-31")

    response = sales_client.post(reverse("admin:orders_prebook_add"), data)

    assert response.status_code == 200
    latest = timezone.localdate() + datetime.timedelta(days=366)
    errors = response.context["adminform"].form.errors["truck_date"]
    assert errors == [
        "Truck date 9999-12-31 is more than 366 days ahead; "
        f"choose a date from {timezone.localdate():%Y-%m-%d} to {latest:%Y-%m-%d}."
    ]
    assert not Prebook.objects.exists()


def test_admin_rejects_old_ship_date(sales_client, farm):
    data = prebook_add_form_data(sales_client, farm, **{"items-0-vendor_ship_date": "2020-01-01"})

    response = sales_client.post(reverse("admin:orders_prebook_add"), data)

    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.forms[0].errors
    assert errors["vendor_ship_date"][0].startswith(
        "Vendor ship date 2020-01-01 is outside the allowed dates; choose a date from "
    )
    assert not Prebook.objects.exists()


def test_admin_accepts_window_edges(sales_client, farm):
    today = timezone.localdate()
    data = prebook_add_form_data(
        sales_client,
        farm,
        truck_date=(today + datetime.timedelta(days=366)).isoformat(),
        **{"items-0-vendor_ship_date": (today - datetime.timedelta(days=1)).isoformat()},
    )

    response = sales_client.post(reverse("admin:orders_prebook_add"), data)

    assert response.status_code == 302
    prebook = Prebook.objects.get()
    assert prebook.truck_date == today + datetime.timedelta(days=366)
    assert prebook.items.get().vendor_ship_date == today - datetime.timedelta(days=1)


def test_admin_rejects_day_after_window(sales_client, farm):
    late = timezone.localdate() + datetime.timedelta(days=367)
    data = prebook_add_form_data(sales_client, farm, truck_date=late.isoformat())

    response = sales_client.post(reverse("admin:orders_prebook_add"), data)

    assert response.status_code == 200
    assert "more than 366 days ahead" in response.context["adminform"].form.errors["truck_date"][0]
    assert not Prebook.objects.exists()


def test_admin_old_dates_unchanged_allow_edit(sales_client, farm):
    prebook = create_prebook(farm, boxes=5)
    old = timezone.localdate() - datetime.timedelta(days=30)
    Prebook.objects.filter(pk=prebook.pk).update(truck_date=old)
    PrebookItem.objects.filter(prebook=prebook).update(vendor_ship_date=old)
    prebook.refresh_from_db()
    url, data = change_page_data(sales_client, prebook)
    data["items-0-boxes"] = "7"

    response = sales_client.post(url, data)

    assert response.status_code == 302
    line = prebook.items.get()
    assert line.boxes == 7
    assert line.vendor_ship_date == old


def test_admin_changed_ship_date_checked(sales_client, farm):
    prebook = create_prebook(farm)
    url, data = change_page_data(sales_client, prebook)
    data["items-0-vendor_ship_date"] = "2020-01-01"

    response = sales_client.post(url, data)

    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.forms[0].errors
    assert (
        "Vendor ship date 2020-01-01 is outside the allowed dates" in errors["vendor_ship_date"][0]
    )
    assert prebook.items.get().vendor_ship_date == future_date(1)


def test_service_rejects_dates_outside_window(farm):
    header = Prebook(
        customer=CustomerFactory(), carrier=CarrierFactory(), truck_date=datetime.date(9999, 12, 31)
    )
    line = PrebookItem(
        vendor=farm,
        product=ProductFactory(),
        box_type=BoxTypeFactory(),
        unit_type=UnitType.STEM,
        boxes=1,
        bunches=10,
        stems_per_bunch=25,
        vendor_ship_date=datetime.date(2020, 1, 1),
    )

    with pytest.raises(ValidationError) as raised:
        prebook_create(prebook=header, items=[line])

    errors = raised.value.message_dict
    assert "more than 366 days ahead" in errors["truck_date"][0]
    assert errors["__all__"][0].startswith(
        "Line 1, vendor_ship_date: Vendor ship date 2020-01-01 is outside the allowed dates"
    )
    assert not Prebook.objects.exists()
