"""The PO create methods never order a prebook line's boxes twice."""

import datetime

import pytest
from django.utils import timezone

from orders.models import PrebookItem, PurchaseOrder, PurchaseOrderBreakdown, PurchaseOrderItem
from sync.models import Direction, Exchange
from tests.factories import PrebookFactory, PrebookItemFactory

pytestmark = pytest.mark.django_db


def portal_prebook_line(farm, catalogue, **fields) -> PrebookItem:
    """Create a line of a prebook a sales rep entered in the portal, naming the farm."""
    prebook = PrebookFactory(
        customer=catalogue["customer"], carrier=catalogue["carrier"], source="portal"
    )
    return PrebookItemFactory(
        prebook=prebook,
        vendor=farm,
        product=catalogue["product"],
        box_type=catalogue["box_type"],
        **fields,
    )


@pytest.fixture
def portal_line(farm, catalogue):
    """A five-box portal prebook line."""
    return portal_prebook_line(farm, catalogue, boxes=5)


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
    assert (
        sum(
            PurchaseOrderItem.objects.filter(prebook_item=portal_line).values_list(
                "boxes", flat=True
            )
        )
        == 5
    )


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


def order_mixed(vendor_api, *box_lines):
    ship_date = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    return vendor_api.post(
        "purchase.order.mixed.create",
        {"shipDate": ship_date, "purchaseOrderItems": list(box_lines)},
    )


@pytest.fixture
def two_box_line(farm, catalogue):
    """A two-box line of a portal prebook, matching the mixed box lines below."""
    return portal_prebook_line(farm, catalogue, boxes=2, bunches=10, stems_per_bunch=25)


def linked_box_line(line_id, boxes=2):
    return {
        "boxTypeCode": "HB",
        "boxes": boxes,
        "unitType": "Stem",
        "prebookItemId": line_id,
        "breakdowns": [{"prebookItemId": line_id, "bunches": 10, "stemsBunch": 25}],
    }


def test_mixed_repeat_of_ordered_line_rejected(vendor_api, two_box_line):
    first = order_mixed(vendor_api, linked_box_line(two_box_line.pk))
    assert first.status_code == 200
    assert PurchaseOrder.objects.get().status == PurchaseOrder.Status.APPROVED
    pushes = Exchange.objects.filter(direction=Direction.OUTBOUND).count()

    second = order_mixed(vendor_api, linked_box_line(two_box_line.pk))
    third = order_mixed(vendor_api, linked_box_line(two_box_line.pk))

    for response in (second, third):
        assert response.status_code == 409
        assert response.json()["status"] == 0
        message = response.json()["message"]
        assert message.startswith("purchaseOrderItems[0].prebookItemId: prebook line")
        assert "has 2 box(es) and 2 are already on PO" in message
        assert "at most 0 more can be ordered, not 2" in message
    assert PurchaseOrder.objects.count() == 1
    assert PurchaseOrderItem.objects.count() == 1
    assert PurchaseOrderBreakdown.objects.count() == 1
    assert Exchange.objects.filter(direction=Direction.OUTBOUND).count() == pushes


def test_mixed_breakdown_link_counts_boxes(vendor_api, portal_line):
    response = order_mixed(
        vendor_api,
        {
            "boxTypeCode": "HB",
            "boxes": 50,
            "breakdowns": [{"prebookItemId": portal_line.pk, "bunches": 10}],
        },
    )

    assert response.status_code == 409
    message = response.json()["message"]
    assert message.startswith("purchaseOrderItems[0].breakdowns[0].prebookItemId: prebook line")
    assert (
        f"prebook line {portal_line.pk} has 5 box(es); at most 5 can be ordered, not 50." in message
    )
    assert PurchaseOrder.objects.count() == 0
    assert PurchaseOrderItem.objects.count() == 0
    assert PurchaseOrderBreakdown.objects.count() == 0


def test_mixed_box_lines_add_up(vendor_api, portal_line):
    breakdown = {"prebookItemId": portal_line.pk, "bunches": 5}
    three = {"boxTypeCode": "HB", "boxes": 3, "breakdowns": [breakdown, breakdown]}
    two = {"boxTypeCode": "HB", "boxes": 2, "breakdowns": [breakdown]}
    one = {"boxTypeCode": "HB", "boxes": 1, "breakdowns": [breakdown]}

    too_many = order_mixed(vendor_api, three, two, one)
    exact = order_mixed(vendor_api, three, two)

    assert too_many.status_code == 409
    assert "purchaseOrderItems[2].breakdowns[0].prebookItemId" in too_many.json()["message"]
    assert "has 5 box(es); at most 5 can be ordered, not 6." in too_many.json()["message"]
    assert exact.status_code == 200
    assert PurchaseOrderItem.objects.count() == 2


def test_mixed_breakdown_link_blocks_plain_order(vendor_api, portal_line, catalogue):
    """A prebook line ordered only through a breakdown is not ordered again as a plain line."""
    other = PrebookItemFactory(
        prebook=portal_line.prebook,
        vendor=portal_line.vendor,
        product=catalogue["product"],
        box_type=catalogue["box_type"],
        boxes=4,
    )
    mixed = order_mixed(
        vendor_api,
        {
            "boxTypeCode": "HB",
            "boxes": 4,
            "breakdowns": [
                {"prebookItemId": other.pk, "bunches": 5},
                {"prebookItemId": portal_line.pk, "bunches": 5},
            ],
        },
    )
    assert mixed.status_code == 200
    assert PurchaseOrderItem.objects.get().prebook_item_id == other.pk

    plain = order(vendor_api, {"prebookItemId": portal_line.pk, "boxes": 2})
    rest = order(vendor_api, {"prebookItemId": portal_line.pk, "boxes": 1})

    assert plain.status_code == 409
    assert "has 5 box(es) and 4 are already on PO" in plain.json()["message"]
    assert "at most 1 more can be ordered, not 2" in plain.json()["message"]
    assert rest.status_code == 200


def test_breakdown_link_blocks_prebook_deletes(vendor_api, company_api, portal_line):
    mixed = order_mixed(
        vendor_api,
        {
            "boxTypeCode": "HB",
            "boxes": 1,
            "breakdowns": [{"prebookItemId": portal_line.pk, "bunches": 10}],
        },
    )
    assert mixed.status_code == 200
    prebook = portal_line.prebook

    line_delete = company_api.post(
        "prebook.item.delete", {"prebookId": prebook.pk, "prebookItemId": portal_line.pk}
    )
    prebook_delete = company_api.post("prebook.delete", {"prebookId": prebook.pk})

    assert line_delete.status_code == 409
    assert line_delete.json()["message"] == (
        f"prebookItemId: line {portal_line.pk} is on a purchase order; delete the PO line first."
    )
    assert prebook_delete.status_code == 409
    assert "has lines on purchase orders" in prebook_delete.json()["message"]
    assert PurchaseOrderBreakdown.objects.get().prebook_item_id == portal_line.pk


def test_deleted_mixed_line_frees_prebook_line(vendor_api, company_api, portal_line):
    mixed = order_mixed(
        vendor_api,
        {
            "boxTypeCode": "HB",
            "boxes": 1,
            "breakdowns": [{"prebookItemId": portal_line.pk, "bunches": 10}],
        },
    )
    po_item_id = mixed.json()["poItems"][0]["poItemId"]
    assert (
        vendor_api.post("purchase.order.item.delete", {"poItemId": po_item_id}).status_code == 200
    )

    response = company_api.post(
        "prebook.item.delete",
        {"prebookId": portal_line.prebook_id, "prebookItemId": portal_line.pk},
    )

    assert response.status_code == 200
    assert not PrebookItem.objects.filter(pk=portal_line.pk).exists()
    assert PurchaseOrderBreakdown.objects.get().prebook_item_id is None
