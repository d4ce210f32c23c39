"""Flow 1 over real HTTP: the sandbox farm orders through the API, ships after approval.

The portal runs as Django's live server, a real Celery worker delivers the approval push,
and the sandbox farm (a subprocess on 127.0.0.1) calls `prebook.create`,
`purchase.order.create` and, on the push, `purchase.order.items.awb.add`.
"""

from decimal import Decimal

import pytest
import requests

from catalog.models import BoxType, Carrier, Customer, Product
from orders.awb import awb_is_valid
from orders.models import Box, PurchaseOrder
from orders.services.purchase_orders import purchase_order_approve
from sandbox.axerrio.catalogue import KNOWN_PRODUCTS
from sync.models import Direction, Exchange, ExchangeKind
from tests.conftest import ARTIFACTS, SandboxProcess, free_port, wait_until
from tests.factories import VendorFactory
from tokens.methods import AXERRIO_METHODS
from tokens.services import api_token_issue

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _catalogue() -> None:
    """Catalogue codes equal to the farm's, so the mapping service maps them on first sight."""
    for farm_product in KNOWN_PRODUCTS:
        Product.objects.create(
            legacy_code=farm_product.code, description=farm_product.description.title()
        )
    BoxType.objects.create(code="HB", fbe=Decimal("0.5"))
    Customer.objects.create(code="ANG", name="Ang Flowers")
    Carrier.objects.create(code="AR", name="Armellini", kind=Carrier.Kind.OUTBOUND)
    Carrier.objects.create(code="FF", name="Fresh Forwarding", kind=Carrier.Kind.INBOUND)


@pytest.fixture
def sandbox(live_server, celery_worker_process, request):
    _catalogue()
    port = free_port()
    vendor = VendorFactory(
        code="SANDBOX",
        push_url=f"http://127.0.0.1:{port}/axerrio/push",
        signing_secret="api-e2e-signing-secret-0123456789",
    )
    issued = api_token_issue(
        token_type="vendor", vendor=vendor, description="e2e farm", methods=AXERRIO_METHODS
    )
    farm = SandboxProcess(
        port=port,
        portal_url=live_server.url,
        token=issued.plaintext,
        secret=vendor.signing_secret,
        customer="ANG",
        log_path=ARTIFACTS / "logs" / f"sandbox-{request.node.name[:60]}.log",
    )
    farm.start()
    yield farm
    farm.stop()


def test_farm_order_approve_ship(sandbox):
    response = requests.post(
        f"{sandbox.url}/order", json={"customerCode": "ANG", "lines": 2}, timeout=30
    )
    assert response.ok, response.text

    po = PurchaseOrder.objects.get()
    assert po.status == PurchaseOrder.Status.PENDING_APPROVAL
    assert po.held_line_count == 0
    assert po.items.count() == 2
    received = Exchange.objects.filter(direction=Direction.INBOUND)
    assert received.filter(kind=ExchangeKind.PREBOOK_RECEIVED, prebook__isnull=False).count() == 1
    assert received.filter(kind=ExchangeKind.PO_RECEIVED, purchase_order=po).count() == 1

    purchase_order_approve(po=po, actor_label="procurement")
    wait_until(
        lambda: PurchaseOrder.objects.get(pk=po.pk).status == PurchaseOrder.Status.SHIPPED,
        timeout=60,
        message="the farm to ship the approved PO",
    )
    boxes = Box.objects.filter(po_item__purchase_order=po)
    assert boxes.count() == sum(item.boxes for item in po.items.all())
    for box in boxes:
        assert awb_is_valid(box.awb)
        assert not 1000 <= int(box.lot_number) <= 99999
    assert received.filter(kind=ExchangeKind.SHIPMENT_RECEIVED, purchase_order=po).exists()
