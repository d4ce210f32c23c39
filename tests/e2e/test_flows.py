"""Both Axerrio flows end to end over HTTP: the portal (live server), a real Celery worker
on PostgreSQL and Redis, and the sandbox farm as a separate process on 127.0.0.1.
"""

import datetime
import time
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from catalog.models import BoxType, Carrier, Customer, Product, Vendor
from demo.seed import DEMO_CUSTOMER, DEMO_VENDOR
from mapping.models import HoldReason, VendorProduct
from orders.models import Box, Prebook, PrebookItem, PurchaseOrder, PurchaseOrderItem, UnitType
from orders.services.purchase_orders import TransitionError, purchase_order_approve
from sandbox.axerrio.awb import awb_is_valid
from tests.conftest import SandboxProcess, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FLOW_TIMEOUT = 60


@pytest.fixture
def farm(demo_sandbox_farm):
    """The shared demo farm set-up (`tests/conftest.py`): ROSA, its token and the sandbox."""
    return demo_sandbox_farm


@pytest.fixture
def procurement_user():
    return get_user_model().objects.create_user("buyer", password="x-procurement-pass")


def shipped(po_number: str) -> bool:
    return PurchaseOrder.objects.filter(
        number=po_number, status=PurchaseOrder.Status.SHIPPED
    ).exists()


def pushes_for(sandbox: SandboxProcess, event_type: str) -> list[dict]:
    return [event for event in sandbox.events()["events"] if event["eventType"] == event_type]


def test_flow1_axerrio_order_shipped(farm, procurement_user):
    order = farm.client.place_order(DEMO_CUSTOMER, line_count=3)
    po = PurchaseOrder.objects.get(number=order.purchase_order_number)
    assert po.status == PurchaseOrder.Status.PENDING_APPROVAL
    assert po.items.count() == 3
    assert PrebookItem.objects.filter(prebook__number=order.prebook_number).count() == 3

    purchase_order_approve(po=po, actor=procurement_user)

    wait_until(lambda: shipped(po.number), timeout=FLOW_TIMEOUT, message=f"PO {po.number} shipped")
    boxes = Box.objects.filter(po_item__purchase_order=po)
    assert boxes.count() == sum(line.boxes for line in order.lines)
    assert all(awb_is_valid(box.awb) for box in boxes)
    approved = pushes_for(farm, "purchase_order.approved")
    assert len(approved) == 1
    assert farm.events()["duplicateCount"] == 0


def test_flow2_portal_prebook_shipped(farm):
    from orders.services.prebooks import prebook_create

    vendor = Vendor.objects.get(code=DEMO_VENDOR)
    product = VendorProduct.objects.filter(vendor=vendor, target__isnull=False).first().target
    truck_date = timezone.localdate() + datetime.timedelta(days=3)
    sales = get_user_model().objects.create_user("rep", password="x-sales-pass")

    header = Prebook(
        customer=Customer.objects.get(code=DEMO_CUSTOMER),
        truck_date=truck_date,
        carrier=Carrier.objects.filter(kind=Carrier.Kind.OUTBOUND).first(),
        customer_po="E2E-1",
    )
    line = PrebookItem(
        vendor=vendor,
        product=product,
        box_type=BoxType.objects.get(code="HB"),
        unit_type=UnitType.STEM,
        boxes=3,
        bunches=10,
        stems_per_bunch=25,
        cost=Decimal("0.31"),
        price=Decimal("0.60"),
        mark_code="E2E",
        vendor_ship_date=truck_date - datetime.timedelta(days=2),
    )
    prebook = prebook_create(prebook=header, items=[line], actor=sales).prebook

    def farm_po() -> PurchaseOrder | None:
        return PurchaseOrder.objects.filter(items__prebook_item__prebook=prebook).first()

    wait_until(lambda: farm_po() is not None, timeout=FLOW_TIMEOUT, message="the farm's PO")
    po = farm_po()
    line = po.items.get()
    assert line.prebook_item.prebook_id == prebook.pk
    assert line.boxes == 3
    wait_until(lambda: shipped(po.number), timeout=FLOW_TIMEOUT, message=f"PO {po.number} shipped")
    assert Box.objects.filter(po_item__purchase_order=po).count() == 3
    assert len(pushes_for(farm, "prebook.created")) == 1


def test_unknown_product_held_red_then_mapped(farm, procurement_user):
    order = farm.client.place_order(DEMO_CUSTOMER, line_count=2, with_unknown=True)
    unknown = VendorProduct.objects.get(target__isnull=True)
    prebook_line = PrebookItem.objects.get(vendor_product=unknown)
    po_line = PurchaseOrderItem.objects.get(vendor_product=unknown)
    po = po_line.purchase_order
    assert prebook_line.hold_reason == HoldReason.PRODUCT_NOT_MAPPED
    assert prebook_line.product_id is None
    assert po_line.hold_reason == HoldReason.PRODUCT_NOT_MAPPED
    assert po.held_line_count == 1
    with pytest.raises(TransitionError):
        purchase_order_approve(po=po, actor=procurement_user)

    from mapping.services import vendor_product_map

    product = Product.objects.get(legacy_code="RS-FREE-RD-60")
    vendor_product_map(vendor_product=unknown, product=product, actor=procurement_user)

    prebook_line.refresh_from_db()
    po_line.refresh_from_db()
    po.refresh_from_db()
    assert prebook_line.product_id == product.pk
    assert prebook_line.hold_reason == ""
    assert po_line.product_id == product.pk
    assert po.held_line_count == 0
    purchase_order_approve(po=po, actor=procurement_user)
    wait_until(lambda: shipped(order.purchase_order_number), timeout=FLOW_TIMEOUT,
               message="the mapped PO shipped")


def test_approval_pushes_once_and_only_after_commit(farm, procurement_user):
    order = farm.client.place_order(DEMO_CUSTOMER, line_count=2)
    po = PurchaseOrder.objects.get(number=order.purchase_order_number)

    with transaction.atomic():
        purchase_order_approve(po=po, actor=procurement_user)
        # Until commit nothing is enqueued, so the farm hears nothing however long we wait.
        time.sleep(1.5)
        assert pushes_for(farm, "purchase_order.approved") == []

    wait_until(lambda: shipped(po.number), timeout=FLOW_TIMEOUT, message="shipped after commit")
    approved = pushes_for(farm, "purchase_order.approved")
    assert len(approved) == 1
    assert farm.events()["duplicateCount"] == 0
