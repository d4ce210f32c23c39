"""A mapping released by a real Celery worker, end to end on PostgreSQL and Redis."""

import pytest

from mapping.models import ApprovalWaiting, MappingRelease
from mapping.services import vendor_product_map, vendor_product_resolve
from orders.models import PurchaseOrder
from orders.services.purchase_orders import purchase_order_approve_when_mapped
from sync.models import Exchange, ExchangeKind, ExchangeState
from sync.services import outbox_push_purchase_order
from tests.conftest import wait_until
from tests.factories import UserFactory, VendorFactory
from tests.mapping.helpers import catalogue_product, held_documents


@pytest.mark.slow
def test_worker_releases_held_push_and_approval(celery_worker_process):
    mapper = UserFactory(username="mapper", groups=["Mapping"])
    freedom = catalogue_product()
    vendor_product = vendor_product_resolve(
        vendor=VendorFactory(), code="RFR50", description="ROSE FREEDOM RED 50CM"
    )
    _prebook, prebook_item, po, po_item = held_documents(vendor_product)
    held_push = outbox_push_purchase_order(po=po, kind=ExchangeKind.PO_CHANGED)
    waiting = purchase_order_approve_when_mapped(po=po, actor=mapper)
    assert held_push.state == ExchangeState.HELD
    assert isinstance(waiting, ApprovalWaiting)

    release = vendor_product_map(vendor_product=vendor_product, product=freedom, actor=mapper)

    def finished() -> bool:
        release.refresh_from_db()
        return release.state in (MappingRelease.State.DONE, MappingRelease.State.FAILED)

    wait_until(finished, timeout=30, message="the worker to finish the mapping release")
    assert release.state == MappingRelease.State.DONE, release.last_error
    assert release.done == release.total == 2
    assert release.released_pushes == 1
    assert release.approved_orders == 1
    held_push.refresh_from_db()
    assert held_push.state != ExchangeState.HELD
    prebook_item.refresh_from_db()
    po_item.refresh_from_db()
    assert prebook_item.product == freedom
    assert po_item.product == freedom
    assert PurchaseOrder.objects.get(pk=po.pk).status == PurchaseOrder.Status.APPROVED
    waiting.refresh_from_db()
    assert waiting.state == ApprovalWaiting.State.APPROVED
    assert Exchange.objects.filter(purchase_order=po, kind=ExchangeKind.PO_APPROVED).exists()
