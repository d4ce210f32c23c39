"""purchase.order.list line filters: matching POs are listed with only their matching lines.

The header totals still describe the whole PO, whatever the filters select.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import PurchaseOrderItem
from tests.factories import (
    CustomerFactory,
    PrebookFactory,
    PrebookItemFactory,
    ProductFactory,
    PurchaseOrderFactory,
    PurchaseOrderItemFactory,
)

pytestmark = pytest.mark.django_db

SHIP = datetime.date(2026, 12, 20)


@pytest.fixture
def two_customer_po(farm, catalogue):
    """One PO of the farm with a rose line for Ang Flowers and a tulip line for another customer.

    A second PO holds only a rose line for Ang Flowers, and a deleted tulip line of the
    first PO names the rose prebook.
    """
    rose, box_type = catalogue["product"], catalogue["box_type"]
    tulip = ProductFactory(legacy_code="TU40YEL", description="Tulip Yellow 40cm")
    ang_prebook = PrebookFactory(
        customer=catalogue["customer"], carrier=catalogue["carrier"], customer_po="ANG-77"
    )
    other_prebook = PrebookFactory(
        customer=CustomerFactory(code="BLO", name="Bloom Market"), carrier=catalogue["carrier"]
    )
    ang_line = PrebookItemFactory(prebook=ang_prebook, vendor=farm, product=rose)
    other_line = PrebookItemFactory(prebook=other_prebook, vendor=farm, product=tulip)
    po = PurchaseOrderFactory(number="900001", vendor=farm, ship_date=SHIP)
    rose_item = PurchaseOrderItemFactory(
        purchase_order=po, prebook_item=ang_line, product=rose, box_type=box_type, boxes=2
    )
    tulip_item = PurchaseOrderItemFactory(
        purchase_order=po, prebook_item=other_line, product=tulip, box_type=box_type, boxes=3
    )
    PurchaseOrderItemFactory(
        purchase_order=po,
        prebook_item=ang_line,
        product=tulip,
        box_type=box_type,
        status=PurchaseOrderItem.Status.DELETED,
    )
    second_po = PurchaseOrderFactory(number="900002", vendor=farm, ship_date=SHIP)
    second_item = PurchaseOrderItemFactory(
        purchase_order=second_po, prebook_item=ang_line, product=rose, box_type=box_type
    )
    return {
        "po": po,
        "rose_item": rose_item,
        "tulip_item": tulip_item,
        "second_item": second_item,
        "ang_prebook": ang_prebook,
        "other_prebook": other_prebook,
    }


def _listed(api, **params) -> dict[str, list[int]]:
    """Return {PO number: [poItemId, ...]} from purchase.order.list."""
    response = api.get("purchase.order.list", date=SHIP.isoformat(), **params)
    assert response.status_code == 200, response.content
    return {
        po["number"]: [line["poItemId"] for line in po["details"]]
        for po in response.json()["purchaseOrders"]
    }


def test_item_ids_trim_details(vendor_api, two_customer_po):
    tulip_item = two_customer_po["tulip_item"]
    listed = _listed(vendor_api, purchaseOrderItemIds=str(tulip_item.pk))
    assert listed == {"900001": [tulip_item.pk]}


def test_item_ids_across_purchase_orders(vendor_api, two_customer_po):
    rose, second = two_customer_po["rose_item"], two_customer_po["second_item"]
    listed = _listed(vendor_api, purchaseOrderItemIds=f"{second.pk}, {rose.pk}")
    assert listed == {"900001": [rose.pk], "900002": [second.pk]}


def test_unfiltered_list_keeps_every_live_line(vendor_api, two_customer_po):
    listed = _listed(vendor_api)
    expected_first = sorted([two_customer_po["rose_item"].pk, two_customer_po["tulip_item"].pk])
    assert sorted(listed["900001"]) == expected_first
    assert listed["900002"] == [two_customer_po["second_item"].pk]


def test_customer_filter_trims_details(vendor_api, catalogue, two_customer_po):
    listed = _listed(vendor_api, customerId=catalogue["customer"].pk)
    assert listed == {
        "900001": [two_customer_po["rose_item"].pk],
        "900002": [two_customer_po["second_item"].pk],
    }


def test_customer_po_filter_trims_details(vendor_api, two_customer_po):
    listed = _listed(vendor_api, customerPONumber="ang-77")
    assert listed["900001"] == [two_customer_po["rose_item"].pk]


def test_product_filter_trims_details(vendor_api, two_customer_po):
    listed = _listed(vendor_api, product="tulip")
    assert listed == {"900001": [two_customer_po["tulip_item"].pk]}


def test_prebook_filter_trims_details(vendor_api, two_customer_po):
    listed = _listed(vendor_api, prebook=str(two_customer_po["other_prebook"].number))
    assert listed == {"900001": [two_customer_po["tulip_item"].pk]}


def test_filters_combine_on_one_line(vendor_api, catalogue, two_customer_po):
    # The deleted tulip line names Ang Flowers' prebook, but deleted lines never match.
    listed = _listed(vendor_api, customerId=catalogue["customer"].pk, product="tulip")
    assert listed == {}


def test_deleted_line_id_lists_nothing(vendor_api, two_customer_po):
    deleted = PurchaseOrderItem.objects.get(status=PurchaseOrderItem.Status.DELETED)
    assert _listed(vendor_api, purchaseOrderItemIds=str(deleted.pk)) == {}


def _first_po(api, **params) -> dict:
    response = api.get("purchase.order.list", date=SHIP.isoformat(), number="900001", **params)
    assert response.status_code == 200, response.content
    return response.json()["purchaseOrders"][0]


def test_filtered_totals_cover_whole_po(vendor_api, two_customer_po):
    rose_item, tulip_item = two_customer_po["rose_item"], two_customer_po["tulip_item"]
    whole_cost = round(rose_item.total_cost + tulip_item.total_cost, 3)

    po = _first_po(vendor_api, purchaseOrderItemIds=str(tulip_item.pk))

    assert [line["poItemId"] for line in po["details"]] == [tulip_item.pk]
    assert po["totalBoxes"] == 5
    assert Decimal(str(po["totalCost"])) == whole_cost
    assert Decimal(str(po["details"][0]["totalCost"])) == tulip_item.total_cost
    assert po["details"][0]["totalBoxes"] == 3


@pytest.mark.parametrize(
    "filter_name", ["customerId", "customerPONumber", "product", "prebook", "purchaseOrderItemIds"]
)
def test_every_line_filter_keeps_totals(vendor_api, catalogue, two_customer_po, filter_name):
    value = {
        "customerId": str(catalogue["customer"].pk),
        "customerPONumber": "ANG-77",
        "product": "rose",
        "prebook": str(two_customer_po["ang_prebook"].number),
        "purchaseOrderItemIds": str(two_customer_po["rose_item"].pk),
    }[filter_name]
    unfiltered = _first_po(vendor_api)

    po = _first_po(vendor_api, **{filter_name: value})

    assert [line["poItemId"] for line in po["details"]] == [two_customer_po["rose_item"].pk]
    assert po["totalBoxes"] == unfiltered["totalBoxes"] == 5
    assert po["totalCost"] == unfiltered["totalCost"]


def test_totals_leave_out_deleted_lines(vendor_api, two_customer_po):
    rose_item, tulip_item = two_customer_po["rose_item"], two_customer_po["tulip_item"]
    deleted = PurchaseOrderItem.objects.get(status=PurchaseOrderItem.Status.DELETED)
    assert deleted.boxes > 0

    po = _first_po(vendor_api, product="tulip")

    assert po["totalBoxes"] == rose_item.boxes + tulip_item.boxes
    assert Decimal(str(po["totalCost"])) == round(rose_item.total_cost + tulip_item.total_cost, 3)


def test_other_farm_line_ids_hidden(other_vendor_api, two_customer_po):
    listed = _listed(other_vendor_api, purchaseOrderItemIds=str(two_customer_po["rose_item"].pk))
    assert listed == {}


def test_line_filter_query_count_fixed(vendor_api, catalogue, two_customer_po):
    def count(**params) -> int:
        with CaptureQueriesContext(connection) as queries:
            _listed(vendor_api, **params)
        return len(queries.captured_queries)

    count(product="rose")  # warms the token and quota rows
    unfiltered = count()
    filtered = count(product="rose", customerId=catalogue["customer"].pk)
    assert filtered == unfiltered
