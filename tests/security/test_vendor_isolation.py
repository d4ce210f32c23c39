"""A vendor token never reads or changes another vendor's prebook lines, POs, items or boxes.

Every API method is called with vendor B's token on vendor A's ids. A row passes when
the call is rejected (status 0, HTTP 4xx) or returns none of A's data, and A's rows are
identical before and after. Methods not registered yet are expected failures.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.forms.models import model_to_dict

from api.methods import METHOD_VIEWS
from orders.models import (
    Box,
    Prebook,
    PrebookItem,
    PurchaseOrder,
    PurchaseOrderBreakdown,
    PurchaseOrderItem,
)
from tests.factories import (
    BoxFactory,
    BoxTypeFactory,
    CarrierFactory,
    CustomerFactory,
    PrebookFactory,
    PrebookItemFactory,
    ProductFactory,
    PurchaseOrderFactory,
    PurchaseOrderItemFactory,
    VendorFactory,
    VendorProductFactory,
    future_date,
)
from tokens.methods import all_method_names, token_types_for
from tokens.services import api_token_issue

IMPLEMENTED = {view.name for view in METHOD_VIEWS}
AWB = "36912345675"
A_MARKER = "FARM A SECRET ROSE"


@dataclass
class FarmA:
    vendor: Any
    prebook: Prebook
    line: PrebookItem
    po: PurchaseOrder
    po_item: PurchaseOrderItem
    box: Box
    markers: list[str]


@pytest.fixture
def farm_a(db) -> FarmA:
    vendor = VendorFactory(code="FARMA", name="Flores A")
    product = ProductFactory(description=A_MARKER)
    box_type = BoxTypeFactory()
    vendor_product = VendorProductFactory(vendor=vendor, code="A-RS50", target=product)
    prebook = PrebookFactory(
        customer=CustomerFactory(code="MIAFLO"), carrier=CarrierFactory(code="TRK"),
        comments=A_MARKER,
    )
    line = PrebookItemFactory(
        prebook=prebook,
        vendor=vendor,
        product=product,
        vendor_product=vendor_product,
        box_type=box_type,
        cost=Decimal("0.310"),
        vendor_ship_date=future_date(1),
        mark_code="AMARK",
    )
    po = PurchaseOrderFactory(
        vendor=vendor, number="PA00001", status=PurchaseOrder.Status.APPROVED, comments=A_MARKER
    )
    po_item = PurchaseOrderItemFactory(
        purchase_order=po, prebook_item=line, product=product, box_type=box_type, boxes=5
    )
    box = BoxFactory(po_item=po_item, code="ABOX000001", awb=AWB, lot_number="120001")
    return FarmA(
        vendor=vendor,
        prebook=prebook,
        line=line,
        po=po,
        po_item=po_item,
        box=box,
        markers=[A_MARKER, po.number, box.code, "AMARK", "A-RS50"],
    )


def _vendor_methods() -> list[str]:
    return [name for name in all_method_names() if "vendor" in token_types_for(name)]


@pytest.fixture
def token_b(db) -> str:
    vendor_b = VendorFactory(code="FARMB", name="Flores B")
    return api_token_issue(
        token_type="vendor", description="farm B", methods=_vendor_methods(), vendor=vendor_b
    ).plaintext


@pytest.fixture
def token_a(farm_a) -> str:
    return api_token_issue(
        token_type="vendor", description="farm A", methods=_vendor_methods(), vendor=farm_a.vendor
    ).plaintext


GHOST_OFFSET = 9_000_000


def _ghost(a: FarmA) -> tuple[Any, dict[str, str]]:
    """Return A's records with ids, numbers and codes that exist nowhere, and the renames.

    A rejection must read the same for A's real ids as for ids that do not exist, or a
    vendor could learn which ids exist by guessing.
    """
    ns = SimpleNamespace
    ghost = ns(
        vendor=ns(pk=a.vendor.pk + GHOST_OFFSET),
        prebook=ns(
            pk=a.prebook.pk + GHOST_OFFSET,
            number=a.prebook.number + GHOST_OFFSET,
            truck_date=a.prebook.truck_date,
        ),
        line=ns(pk=a.line.pk + GHOST_OFFSET, vendor_ship_date=a.line.vendor_ship_date),
        po=ns(number="PZ99999", ship_date=a.po.ship_date),
        po_item=ns(pk=a.po_item.pk + GHOST_OFFSET),
        box=ns(code="ZBOX999999"),
    )
    renames = {
        str(ghost.vendor.pk): str(a.vendor.pk),
        str(ghost.prebook.pk): str(a.prebook.pk),
        str(ghost.prebook.number): str(a.prebook.number),
        str(ghost.line.pk): str(a.line.pk),
        ghost.po.number: a.po.number,
        str(ghost.po_item.pk): str(a.po_item.pk),
        ghost.box.code: a.box.code,
    }
    return ghost, renames


def _snapshot(a: FarmA) -> dict[str, list[dict]]:
    lines = PrebookItem.objects.filter(vendor=a.vendor)

    def rows(queryset) -> list[dict]:
        return [model_to_dict(row) | {"updated_at": getattr(row, "updated_at", None)}
                for row in queryset.order_by("pk")]

    return {
        "prebook": rows(Prebook.objects.filter(pk=a.prebook.pk)),
        "prebook_lines": rows(lines),
        "pos": rows(PurchaseOrder.objects.filter(vendor=a.vendor)),
        "po_items": rows(PurchaseOrderItem.objects.filter(purchase_order__vendor=a.vendor)),
        "po_items_on_a_lines": rows(PurchaseOrderItem.objects.filter(prebook_item__in=lines)),
        "breakdowns_on_a_lines": rows(
            PurchaseOrderBreakdown.objects.filter(prebook_item__in=lines)
        ),
        "boxes": rows(Box.objects.filter(po_item__purchase_order__vendor=a.vendor)),
    }


def _po_line(a: FarmA, **extra) -> dict:
    return {
        "prebookItemId": a.line.pk,
        "boxTypeCode": "HB",
        "unitType": "Stem",
        "boxes": 1,
        "bunches": 10,
        "stemsBunch": 25,
        "cost": 0.3,
        **extra,
    }


def _ship_line(a: FarmA) -> dict:
    return {
        "poItemId": a.po_item.pk,
        "awb": AWB,
        "shipDate": future_date(1).isoformat(),
        "boxCodes": ["BBOX000001"],
    }


@dataclass
class Case:
    method: str
    verb: str
    payload: Callable[[FarmA], dict]


CASES = {
    "prebook.details.list by date": Case(
        "prebook.details.list", "GET", lambda a: {"date": a.prebook.truck_date.isoformat()}
    ),
    "prebook.details.list by number": Case(
        "prebook.details.list",
        "GET",
        lambda a: {"date": a.prebook.truck_date.isoformat(), "prebook": a.prebook.number},
    ),
    "prebook.details.list by ship date": Case(
        "prebook.details.list",
        "GET",
        lambda a: {"vendorShipDateFrom": a.line.vendor_ship_date.isoformat()},
    ),
    "purchase.order.list by number": Case(
        "purchase.order.list", "GET", lambda a: {"number": a.po.number}
    ),
    "purchase.order.list by vendorId": Case(
        "purchase.order.list",
        "GET",
        lambda a: {"date": a.po.ship_date.isoformat(), "vendorId": a.vendor.pk},
    ),
    "purchase.order.list by item ids": Case(
        "purchase.order.list",
        "GET",
        lambda a: {"date": a.po.ship_date.isoformat(), "purchaseOrderItemIds": str(a.po_item.pk)},
    ),
    "prebook.item.delete": Case(
        "prebook.item.delete",
        "POST",
        lambda a: {"prebookId": a.prebook.pk, "prebookItemId": a.line.pk},
    ),
    "purchase.order.item.delete": Case(
        "purchase.order.item.delete", "POST", lambda a: {"poItemId": a.po_item.pk}
    ),
    "purchase.order.create on A's prebook line": Case(
        "purchase.order.create",
        "POST",
        lambda a: {"shipDate": future_date(1).isoformat(), "purchaseOrderItems": [_po_line(a)]},
    ),
    "purchase.order.create into A's PO": Case(
        "purchase.order.create",
        "POST",
        lambda a: {
            "shipDate": future_date(1).isoformat(),
            "purchaseOrderNumber": a.po.number,
            "purchaseOrderItems": [_po_line(a, prebookItemId=None, productCode="B-RS50",
                                            productDescription="ROSE B 50CM")],
        },
    ),
    "purchase.order.mixed.create on A's prebook line": Case(
        "purchase.order.mixed.create",
        "POST",
        lambda a: {
            "shipDate": future_date(1).isoformat(),
            "purchaseOrderItems": [
                {
                    "boxTypeCode": "HB",
                    "unitType": "Stem",
                    "boxes": 1,
                    "breakdowns": [
                        {"prebookItemId": a.line.pk, "bunches": 5, "stemsBunch": 25, "cost": 0.3}
                    ],
                }
            ],
        },
    ),
    "purchase.order.mixed.create into A's PO": Case(
        "purchase.order.mixed.create",
        "POST",
        lambda a: {
            "shipDate": future_date(1).isoformat(),
            "purchaseOrderNumber": a.po.number,
            "purchaseOrderItems": [
                {
                    "boxTypeCode": "HB",
                    "unitType": "Stem",
                    "boxes": 1,
                    "breakdowns": [
                        {"productCode": "B-RS50", "productDescription": "ROSE B 50CM",
                         "bunches": 5, "stemsBunch": 25, "cost": 0.3}
                    ],
                }
            ],
        },
    ),
    "purchase.order.items.awb.add": Case(
        "purchase.order.items.awb.add", "POST", lambda a: {"poItems": [_ship_line(a)]}
    ),
    "purchase.order.items.awb.add naming vendorId": Case(
        "purchase.order.items.awb.add",
        "POST",
        lambda a: {"poItems": [_ship_line(a)], "vendorId": a.vendor.pk},
    ),
    "purchase.order.item.awb.add": Case("purchase.order.item.awb.add", "POST", _ship_line),
    "box.code.change": Case(
        "box.code.change",
        "POST",
        lambda a: {"boxes": [{"currentBoxCode": a.box.code, "newBoxCode": "BSTOLEN01"}]},
    ),
    "prebook.delete (company only)": Case(
        "prebook.delete", "POST", lambda a: {"prebookId": a.prebook.pk}
    ),
    "box.warehouse.receive (company only)": Case(
        "box.warehouse.receive", "POST", lambda a: {"boxCode": a.box.code}
    ),
    "prebook.list (company only)": Case(
        "prebook.list",
        "GET",
        lambda a: {"dateFrom": a.prebook.truck_date.isoformat(),
                   "dateTo": a.prebook.truck_date.isoformat()},
    ),
    "vendor.list (company only)": Case("vendor.list", "GET", lambda a: {"id": a.vendor.pk}),
}


def _case_params() -> list:
    params = []
    for label, case in CASES.items():
        marks = []
        if case.method not in IMPLEMENTED:
            marks.append(
                pytest.mark.xfail(strict=False, reason=f"{case.method} is not registered yet")
            )
        params.append(pytest.param(case, id=label, marks=marks))
    return params


def _call(client, case: Case, token: str, payload: dict):
    url = f"/api/{case.method}"
    if case.verb == "GET":
        return client.get(url, {"authenticationToken": token, **payload})
    body = json.dumps({"authenticationToken": token, **payload})
    return client.post(url, body, content_type="application/json")


@pytest.mark.parametrize("case", _case_params())
def test_vendor_b_cannot_reach_vendor_a(client, farm_a, token_b, case):
    payload = case.payload(farm_a)
    ghost, renames = _ghost(farm_a)
    before = _snapshot(farm_a)

    response = _call(client, case, token_b, payload)
    ghost_response = _call(client, case, token_b, case.payload(ghost))

    after = _snapshot(farm_a)
    assert response.status_code < 500, response.content
    body = response.json()
    text = json.dumps(body)
    refused = body["status"] == 0 and 400 <= response.status_code < 500
    sent = json.dumps(payload)
    leaked = [marker for marker in farm_a.markers if marker in text and marker not in sent]
    assert refused or body["status"] == 1, body
    assert not leaked, f"{case.method} answered with vendor A's data: {leaked} in {text}"
    assert after == before, f"{case.method} changed vendor A's rows"
    if not refused:
        assert farm_a.line.pk not in _ids_in(body)
    assert response.status_code == ghost_response.status_code
    assert text == _renamed(json.dumps(ghost_response.json()), renames), (
        f"{case.method} answers differently for A's ids than for unknown ids"
    )


def _renamed(text: str, renames: dict[str, str]) -> str:
    for ghost_value, real_value in renames.items():
        text = text.replace(ghost_value, real_value)
    return text


def _ids_in(body: Any) -> set[int]:
    found: set[int] = set()
    if isinstance(body, dict):
        for key, value in body.items():
            if key in {"prebookItemId", "poItemId", "id"} and isinstance(value, int):
                found.add(value)
            found |= _ids_in(value)
    elif isinstance(body, list):
        for item in body:
            found |= _ids_in(item)
    return found


@pytest.mark.parametrize(
    ("method", "payload"),
    [
        ("purchase.order.list", lambda a: {"number": a.po.number}),
        ("prebook.details.list", lambda a: {"date": a.prebook.truck_date.isoformat()}),
    ],
)
def test_vendor_a_sees_its_own_data(client, farm_a, token_a, method, payload):
    if method not in IMPLEMENTED:
        pytest.xfail(f"{method} is not registered yet")

    response = client.get(f"/api/{method}", {"authenticationToken": token_a, **payload(farm_a)})

    assert response.status_code == 200, response.content
    assert response.json()["status"] == 1
    assert farm_a.po.number in response.content.decode() or farm_a.line.pk in _ids_in(
        response.json()
    )
