"""purchase.order.create never orders a prebook line's boxes twice."""

import datetime

import pytest
from django.utils import timezone

from orders.models import PurchaseOrder, PurchaseOrderItem
from tests.factories import PrebookFactory, PrebookItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def portal_line(farm, catalogue):
    """A five-box line of a prebook a sales rep entered in the portal, naming the farm."""
    prebook = PrebookFactory(
        customer=catalogue["customer"], carrier=catalogue["carrier"], source="portal"
    )
    return PrebookItemFactory(
        prebook=prebook,
        vendor=farm,
        product=catalogue["product"],
        box_type=catalogue["box_type"],
        boxes=5,
    )


def order(vendor_api, *lines):
    ship_date = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    return vendor_api.post(
        "purchase.order.create",
        {"shipDate": ship_date, "carrierCode": "FF", "purchaseOrderItems": list(lines)},
    )


def test_second_order_of_same_line_rejected(vendor_api, portal_line):
    first = order(vendor_api, {"prebookItemId": portal_line.pk})
    assert first.status_code == 200

    second = order(vendor_api, {"prebookItemId": portal_line.pk})

    assert second.status_code == 409
    assert second.json()["status"] == 0
    message = second.json()["message"]
    assert f"prebook line {portal_line.pk} has 5 box(es) and 5 are already on PO" in message
    assert "at most 0 more can be ordered, not 5" in message
    assert PurchaseOrder.objects.count() == 1
    assert PurchaseOrderItem.objects.filter(prebook_item=portal_line).count() == 1


def test_same_line_twice_in_one_request_rejected(vendor_api, portal_line):
    response = order(
        vendor_api,
        {"prebookItemId": portal_line.pk, "boxes": 2},
        {"prebookItemId": portal_line.pk, "boxes": 2},
    )

    assert response.status_code == 409
    assert "purchaseOrderItems[1].prebookItemId" in response.json()["message"]
    assert "already listed at purchaseOrderItems[0].prebookItemId" in response.json()["message"]
    assert PurchaseOrder.objects.count() == 0


def test_remaining_boxes_can_still_be_ordered(vendor_api, portal_line):
    assert order(vendor_api, {"prebookItemId": portal_line.pk, "boxes": 3}).status_code == 200

    rest = order(vendor_api, {"prebookItemId": portal_line.pk, "boxes": 2})
    too_many = order(vendor_api, {"prebookItemId": portal_line.pk, "boxes": 1})

    assert rest.status_code == 200
    assert too_many.status_code == 409
    assert sum(
        PurchaseOrderItem.objects.filter(prebook_item=portal_line).values_list("boxes", flat=True)
    ) == 5


def test_cancelled_po_frees_its_boxes(vendor_api, portal_line):
    assert order(vendor_api, {"prebookItemId": portal_line.pk}).status_code == 200
    PurchaseOrder.objects.update(status=PurchaseOrder.Status.CANCELLED)

    again = order(vendor_api, {"prebookItemId": portal_line.pk})

    assert again.status_code == 200


@pytest.mark.parametrize("days", [-2, 400])
def test_po_ship_date_outside_window_rejected(vendor_api, portal_line, days):
    ship_date = timezone.localdate() + datetime.timedelta(days=days)
    response = vendor_api.post(
        "purchase.order.create",
        {
            "shipDate": ship_date.isoformat(),
            "carrierCode": "FF",
            "purchaseOrderItems": [{"prebookItemId": portal_line.pk}],
        },
    )

    assert response.status_code == 400
    assert response.json()["message"].startswith("shipDate: must be between")
    assert f"received {ship_date:%Y-%m-%d}" in response.json()["message"]
    assert PurchaseOrder.objects.count() == 0


def test_prebook_vendor_ship_date_after_truck_date_rejected(vendor_api, catalogue):
    truck = timezone.localdate() + datetime.timedelta(days=3)
    response = vendor_api.post(
        "prebook.create",
        {
            "customerCode": "ANG",
            "carrierCode": "AR",
            "shipDate": truck.isoformat(),
            "prebookItems": [
                {
                    "productCode": "FR50",
                    "boxTypeCode": "HB",
                    "unitType": "Stem",
                    "boxes": 1,
                    "bunches": 10,
                    "stemsBunch": 25,
                    "cost": "0.30",
                    "vendorShipDate": (truck + datetime.timedelta(days=1)).isoformat(),
                }
            ],
        },
    )

    assert response.status_code == 400
    assert response.json()["message"].startswith("prebookItems[0].vendorShipDate: the farm ships")


def test_linked_line_keeps_product(vendor_api, portal_line):
    response = order(
        vendor_api,
        {"prebookItemId": portal_line.pk, "productCode": "FARM-NEW-CODE-77"},
    )

    assert response.status_code == 200
    item = PurchaseOrderItem.objects.get(prebook_item=portal_line)
    assert item.product_id == portal_line.product_id
    assert item.hold_reason == ""
    assert item.vendor_product.code == "FARM-NEW-CODE-77"
