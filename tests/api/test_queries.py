"""Fixed query counts: prebook.create and purchase.order.list do not issue a query per line."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Product
from mapping.models import VendorProduct
from orders.models import Box, PurchaseOrder, PurchaseOrderItem
from tests.factories import PrebookFactory, PrebookItemFactory

pytestmark = pytest.mark.django_db

# A ship date inside the window the API accepts (yesterday to a year ahead).
SHIP = (datetime.date.today() + datetime.timedelta(days=16)).isoformat()


def _mapped_products(farm, count):
    products = Product.objects.bulk_create(
        [Product(legacy_code=f"QC{n}", description=f"Rose Q{n} 50cm") for n in range(count)]
    )
    VendorProduct.objects.bulk_create(
        [VendorProduct(vendor=farm, code=f"F{n}", target=p) for n, p in enumerate(products)]
    )


def _prebook_queries(api, lines):
    body = {
        "customerCode": "ANG",
        "carrierCode": "AR",
        "shipDate": SHIP,
        "prebookItems": [
            {
                "productCode": f"F{n}",
                "boxTypeCode": "HB",
                "unitType": "Stem",
                "boxes": 2,
                "bunches": 10,
                "stemsBunch": 25,
                "cost": 0.3,
                "breakdowns": [{"productCode": f"F{n}", "bunches": 2, "stemsBunch": 25}],
            }
            for n in range(lines)
        ],
    }
    with CaptureQueriesContext(connection) as queries:
        response = api.post("prebook.create", body)
    assert response.json()["status"] == 1, response.json()
    assert len(response.json()["prebookItems"]) == lines
    return len(queries.captured_queries)


def test_prebook_create_queries_flat(vendor_api, catalogue, farm):
    _mapped_products(farm, 50)
    _prebook_queries(vendor_api, 1)  # warms the counters and the quota row
    one = _prebook_queries(vendor_api, 1)
    fifty = _prebook_queries(vendor_api, 50)
    assert fifty == one
    # The count when the farm's codes were first read in one query; more is a regression.
    assert one <= 12


def make_purchase_orders(farm, catalogue, *, orders: int, lines_per_order: int, ship_date):
    """Bulk-create POs with lines linked to prebook lines, one shipped box per line."""
    prebook = PrebookFactory(customer=catalogue["customer"], carrier=catalogue["carrier"])
    prebook_line = PrebookItemFactory(
        prebook=prebook, vendor=farm, product=catalogue["product"], box_type=catalogue["box_type"]
    )
    pos = PurchaseOrder.objects.bulk_create(
        [
            PurchaseOrder(
                number=f"Q{ship_date:%d}{n:05d}",
                vendor=farm,
                ship_date=ship_date,
                status=PurchaseOrder.Status.APPROVED,
            )
            for n in range(orders)
        ]
    )
    items = PurchaseOrderItem.objects.bulk_create(
        [
            PurchaseOrderItem(
                purchase_order=po,
                prebook_item=prebook_line,
                product=catalogue["product"],
                box_type=catalogue["box_type"],
                boxes=1,
                bunches=10,
                stems_per_bunch=25,
                cost="0.300",
            )
            for po in pos
            for _ in range(lines_per_order)
        ]
    )
    Box.objects.bulk_create(
        [Box(code=f"QB{item.pk}", po_item=item, awb="36912345675") for item in items]
    )
    return items


def _list_queries(api, ship_date):
    with CaptureQueriesContext(connection) as queries:
        response = api.get("purchase.order.list", date=ship_date.isoformat())
    assert response.status_code == 200
    return len(queries.captured_queries), response.json()


def test_purchase_order_list_queries_fixed(vendor_api, catalogue, farm):
    small_day = datetime.date(2026, 12, 20)
    big_day = datetime.date(2026, 12, 21)
    make_purchase_orders(farm, catalogue, orders=2, lines_per_order=2, ship_date=small_day)
    make_purchase_orders(farm, catalogue, orders=500, lines_per_order=10, ship_date=big_day)
    _list_queries(vendor_api, small_day)
    small, _ = _list_queries(vendor_api, small_day)
    big, data = _list_queries(vendor_api, big_day)
    assert sum(len(po["details"]) for po in data["purchaseOrders"]) == 5000
    assert big == small


def _purchase_order_queries(api, farm, catalogue, lines):
    prebook = PrebookFactory(customer=catalogue["customer"], carrier=catalogue["carrier"])
    items = [
        PrebookItemFactory(
            prebook=prebook, vendor=farm, product=catalogue["product"],
            box_type=catalogue["box_type"],
        )
        for _ in range(lines)
    ]
    body = {
        "shipDate": SHIP,
        "carrierCode": "FF",
        "purchaseOrderItems": [{"prebookItemId": item.pk} for item in items],
    }
    with CaptureQueriesContext(connection) as queries:
        response = api.post("purchase.order.create", body)
    assert response.json()["status"] == 1, response.json()
    return len(queries.captured_queries)


def test_purchase_order_create_queries_flat(vendor_api, catalogue, farm):
    _purchase_order_queries(vendor_api, farm, catalogue, 1)  # warms the counters
    one = _purchase_order_queries(vendor_api, farm, catalogue, 1)
    twenty = _purchase_order_queries(vendor_api, farm, catalogue, 20)
    assert twenty == one
    # This PO matches a portal prebook, so the count includes its automatic approval.
    assert one <= 28
