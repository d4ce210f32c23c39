"""Property tests: random and malformed bodies never cause HTTP 500 and rejections write nothing."""

import datetime
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.methods import METHOD_VIEWS
from mapping.models import VendorBoxType, VendorCarrier, VendorCustomer, VendorProduct
from orders.models import (
    Box,
    Prebook,
    PrebookBreakdown,
    PrebookItem,
    PurchaseOrder,
    PurchaseOrderBreakdown,
    PurchaseOrderItem,
)

pytestmark = pytest.mark.django_db

COUNTED = [
    Prebook,
    PrebookItem,
    PrebookBreakdown,
    PurchaseOrder,
    PurchaseOrderItem,
    PurchaseOrderBreakdown,
    Box,
    VendorProduct,
    VendorBoxType,
    VendorCarrier,
    VendorCustomer,
]
FIELD_NAMES = [
    "shipDate",
    "customerId",
    "customerCode",
    "carrierId",
    "carrierCode",
    "prebookItems",
    "purchaseOrderItems",
    "poItems",
    "boxes",
    "prebookId",
    "prebookItemId",
    "poItemId",
    "vendorId",
    "vendorCode",
    "date",
    "dateFrom",
    "dateTo",
    "number",
    "boxCode",
    "autoGeneratePOsfromPrebooks",
    "useExisting",
    "productCode",
    "awb",
    "boxCodes",
    "lotNumber",
    "updatedAsOf",
    "purchaseOrderNumber",
    "breakdowns",
    "bunches",
    "cost",
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(["2026-13-45", "1", "0", "2026-12-10", "\x00", "NaN", "1e400", "-1"])
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=20,
)
bodies = st.dictionaries(st.sampled_from(FIELD_NAMES), values, max_size=8)

# A ship date inside the window the API accepts (yesterday to a year ahead).
SHIP_DATE = (datetime.date.today() + datetime.timedelta(days=16)).isoformat()


def _counts() -> list[int]:
    return [model.objects.count() for model in COUNTED]


def _call(api, view, body):
    if view.http_method == "GET":
        params = {k: json.dumps(v) if not isinstance(v, str) else v for k, v in body.items()}
        return api.get(view.name, **params)
    return api.post(view.name, body)


@pytest.mark.parametrize("view", METHOD_VIEWS, ids=lambda view: view.name)
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=bodies)
def test_random_body_never_500(view, body, vendor_api, company_api, catalogue):
    api = (
        company_api
        if view.name
        in ("login", "prebook.list", "prebook.delete", "vendor.list", "box.warehouse.receive")
        else vendor_api
    )
    before = _counts()
    response = _call(api, view, body)
    assert response.status_code < 500, response.content[:300]
    data = response.json()
    assert data["status"] in (0, 1)
    assert isinstance(data["message"], str)
    if data["status"] == 0:
        assert 400 <= response.status_code < 500
        assert _counts() == before


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_raw_bytes_never_500(raw, vendor_api, catalogue):
    response = vendor_api.client.post(
        f"/api/prebook.create?authenticationToken={vendor_api.token}",
        data=raw,
        content_type="application/json",
    )
    assert response.status_code < 500
    assert response.json()["status"] in (0, 1)


anything = scalars | st.lists(scalars, max_size=3)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    code=st.text(max_size=120),
    boxes=anything,
    cost=anything,
    unit_type=anything,
    mark=anything,
    ship_date=anything,
)
def test_prebook_lines_fuzz(code, boxes, cost, unit_type, mark, ship_date, vendor_api, catalogue):
    line = {
        "productCode": code,
        "boxTypeCode": code[:5],
        "boxes": boxes,
        "bunches": 10,
        "stemsBunch": 25,
        "cost": cost,
        "unitType": unit_type,
        "markCode": mark,
        "vendorShipDate": ship_date,
    }
    body = {
        "customerCode": "ANG",
        "carrierCode": "AR",
        "shipDate": SHIP_DATE,
        "prebookItems": [line],
    }
    before = _counts()
    response = vendor_api.post("prebook.create", body)
    assert response.status_code < 500, response.content[:300]
    if response.json()["status"] == 0:
        assert _counts() == before


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    po_item_id=anything,
    awb=anything,
    codes=st.lists(st.text(max_size=25), max_size=4) | anything,
    lot=anything,
    house=anything,
)
def test_shipment_fuzz(po_item_id, awb, codes, lot, house, vendor_api, catalogue):
    body = {
        "poItems": [
            {
                "poItemId": po_item_id,
                "awb": awb,
                "houseAWB": house,
                "shipDate": SHIP_DATE,
                "boxCodes": codes,
                "lotNumber": lot,
            }
        ]
    }
    before = _counts()
    response = vendor_api.post("purchase.order.items.awb.add", body)
    assert response.status_code < 500, response.content[:300]
    if response.json()["status"] == 0:
        assert _counts() == before


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(prebook_item_id=anything, boxes=anything, number=anything, vendor=anything)
def test_purchase_order_fuzz(prebook_item_id, boxes, number, vendor, company_api, catalogue):
    body = {
        "shipDate": SHIP_DATE,
        "vendorCode": vendor,
        "purchaseOrderNumber": number,
        "purchaseOrderItems": [
            {
                "prebookItemId": prebook_item_id,
                "boxes": boxes,
                "productCode": "RS50RED",
                "bunches": 5,
                "stemsBunch": 25,
            }
        ],
    }
    before = _counts()
    response = company_api.post("purchase.order.create", body)
    assert response.status_code < 500, response.content[:300]
    if response.json()["status"] == 0:
        assert _counts() == before


LIST_VIEWS = [view for view in METHOD_VIEWS if view.http_method == "GET"]
query_values = st.sampled_from(
    ["1", "0", SHIP_DATE, "true", "ANG", "1,2", "x", "", "-5"]
) | st.text(max_size=12)


@pytest.mark.parametrize("view", LIST_VIEWS, ids=lambda view: view.name)
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_list_filters_fuzz(view, data, vendor_api, company_api, catalogue):
    """Every filter of a list method, with plausible and odd values, on top of a valid window."""
    names = list(view.input_serializer().fields)
    chosen = data.draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names)))
    params = {name: data.draw(query_values) for name in chosen}
    base = {"date": SHIP_DATE, "dateFrom": "2026-12-01", "dateTo": "2026-12-30"}
    params = {**{k: v for k, v in base.items() if k in names}, **params}
    api = company_api if view.name in ("prebook.list", "vendor.list") else vendor_api
    response = api.get(view.name, **params)
    assert response.status_code < 500, response.content[:300]
    assert response.json()["status"] in (0, 1)
