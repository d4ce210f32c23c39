"""A farm that polls gets the same documents as a farm that receives pushes."""

import datetime

import pytest
from django.utils import timezone

from orders.models import PurchaseOrder
from orders.services.purchase_orders import purchase_order_transition
from sync.models import Exchange, ExchangeKind
from sync.services import outbox_push_prebook
from tests.factories import PrebookFactory, PrebookItemFactory, VendorFactory
from tests.sync.conftest import purchase_order_with_lines
from tokens.models import ApiToken
from tokens.services import api_token_issue

pytestmark = pytest.mark.django_db

LIST_METHODS = ["purchase.order.list", "prebook.details.list"]


def vendor_token(vendor) -> str:
    issued = api_token_issue(
        token_type=ApiToken.TokenType.VENDOR,
        description="poll test",
        methods=LIST_METHODS,
        vendor=vendor,
    )
    return issued.plaintext


def a_day_ago() -> str:
    """Return `updatedAsOf` (GMT) for a day ago, far enough back for any zone reading."""
    moment = timezone.now() - datetime.timedelta(days=1)
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


def test_po_push_equals_list_element(client, django_capture_on_commit_callbacks):
    vendor = VendorFactory()
    po = purchase_order_with_lines(vendor, lines=3)
    with django_capture_on_commit_callbacks(execute=False):
        purchase_order_transition(po=po, to_status=PurchaseOrder.Status.APPROVED)
    pushed = Exchange.objects.get(purchase_order=po, kind=ExchangeKind.PO_APPROVED)
    ship_date = po.ship_date.isoformat()
    answer = client.get(
        "/api/purchase.order.list",
        {
            "authenticationToken": vendor_token(vendor),
            "dateFrom": ship_date,
            "dateTo": ship_date,
            "updatedAsOf": a_day_ago(),
        },
    )
    assert answer.status_code == 200, answer.content
    listed = [row for row in answer.json()["purchaseOrders"] if row["number"] == po.number]
    assert len(listed) == 1
    assert pushed.payload["data"] == listed[0]


def test_prebook_push_equals_list_element(client, django_capture_on_commit_callbacks):
    farm, other = VendorFactory(), VendorFactory()
    prebook = PrebookFactory()
    PrebookItemFactory(prebook=prebook, vendor=farm)
    PrebookItemFactory(prebook=prebook, vendor=farm)
    PrebookItemFactory(prebook=prebook, vendor=other)
    with django_capture_on_commit_callbacks(execute=False):
        outbox_push_prebook(prebook=prebook, kind=ExchangeKind.PREBOOK_CREATED)
    pushed = Exchange.objects.get(prebook=prebook, vendor=farm)
    answer = client.get(
        "/api/prebook.details.list",
        {
            "authenticationToken": vendor_token(farm),
            "date": prebook.truck_date.isoformat(),
            "updatedAsOf": a_day_ago(),
        },
    )
    assert answer.status_code == 200, answer.content
    listed = [row for row in answer.json()["prebooks"] if row["number"] == prebook.number]
    assert len(listed) == 1
    assert len(listed[0]["details"]) == 2
    assert pushed.payload["data"] == listed[0]
