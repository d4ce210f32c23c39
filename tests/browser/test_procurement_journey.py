"""Procurement approves the farm's PO in the browser and follows it until the farm ships
it. Warehouse staff looking at a pending PO get no way to approve it.

Whether procurement can open the push in the ledger is checked by a separate test, which
is expected to fail until the Procurement role may view the ledger.
"""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from demo.seed import DEMO_CUSTOMER
from orders.models import PurchaseOrder
from sync.models import Direction, Exchange, ExchangeKind, ExchangeState
from tests.browser.conftest import pushes_of, screenshot
from tests.conftest import wait_until
from tests.factories import PurchaseOrderFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PUSH_TIMEOUT = 60


def approval_processed(po: PurchaseOrder) -> bool:
    return Exchange.objects.filter(
        purchase_order=po, kind=ExchangeKind.PO_APPROVED, state=ExchangeState.PROCESSED
    ).exists()


def test_procurement_approves_po_warehouse_cannot(
    browser_sessions, sandbox_farm, procurement_user, warehouse_user
):
    order = sandbox_farm.client.place_order(DEMO_CUSTOMER, line_count=2)
    po = PurchaseOrder.objects.get(number=order.purchase_order_number)
    assert po.status == PurchaseOrder.Status.PENDING_APPROVAL
    po_url = reverse("admin:orders_purchaseorder_change", args=[po.pk])

    page = browser_sessions.open(procurement_user.username)
    screenshot(page, "dashboard-procurement", docs=True)

    # From the role dashboard to the pending PO.
    page.get_by_role("link", name="Pending approval", exact=True).click()
    expect(page.locator("h1")).to_have_text("Purchase orders")
    expect(page.locator("#result_list")).to_contain_text(po.number)
    screenshot(page, "procurement-pending-pos", docs=True)
    page.locator("#result_list").get_by_role("link", name=po.number).click()
    expect(page).to_have_url(re.compile(re.escape(po_url)))

    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text(f"Approved 1 PO(s): {po.number}")
    po.refresh_from_db()
    assert po.approved_by_id == procurement_user.pk

    # The dashboard's pending list is now empty and shows its empty state.
    page.goto("/admin/")
    page.get_by_role("link", name="Pending approval", exact=True).click()
    expect(page.locator(".po-list-empty")).to_contain_text("No POs are waiting for approval")

    wait_until(
        lambda: approval_processed(po),
        timeout=PUSH_TIMEOUT,
        message=f"the approval push of PO {po.number} processed",
    )
    assert len(pushes_of(sandbox_farm, "purchase_order.approved", po.number)) == 1

    # Procurement sees the approval and the farm's shipment in the PO's status history.
    # The ledger itself is checked in test_procurement_sees_processed_push_in_ledger.
    page.goto(po_url)
    history = page.locator(".inline-group", has_text="status history")
    expect(history).to_contain_text("Approved")
    wait_until(
        lambda: PurchaseOrder.objects.filter(
            pk=po.pk, status=PurchaseOrder.Status.SHIPPED
        ).exists(),
        timeout=PUSH_TIMEOUT,
        message=f"PO {po.number} shipped by the farm",
    )
    page.reload()
    expect(history).to_contain_text("Shipped")
    history.scroll_into_view_if_needed()
    screenshot(page, "procurement-po-history", docs=True)

    # Warehouse staff see the PO but not the approve button or action.
    other_order = sandbox_farm.client.place_order(DEMO_CUSTOMER, line_count=2)
    pending = PurchaseOrder.objects.get(number=other_order.purchase_order_number)
    warehouse = browser_sessions.open(warehouse_user.username)
    warehouse.goto(reverse("admin:orders_purchaseorder_change", args=[pending.pk]))
    expect(warehouse.locator("#content")).to_contain_text(pending.number)
    expect(warehouse.get_by_role("button", name="Approve")).to_have_count(0)
    expect(warehouse.get_by_role("button", name="Approve once mapped")).to_have_count(0)
    warehouse.goto(reverse("admin:orders_purchaseorder_changelist"))
    expect(warehouse.locator("#result_list")).to_contain_text(pending.number)
    expect(warehouse.locator("select[name=action] option", has_text="Approve")).to_have_count(0)
    response = warehouse.goto(reverse("admin:orders_purchaseorder_approve", args=[pending.pk]))
    assert response.status == 403
    pending.refresh_from_db()
    assert pending.status == PurchaseOrder.Status.PENDING_APPROVAL


def test_procurement_sees_processed_push_in_ledger(browser_sessions, procurement_user):
    po = PurchaseOrderFactory(status=PurchaseOrder.Status.APPROVED)
    Exchange.objects.create(
        direction=Direction.OUTBOUND,
        kind=ExchangeKind.PO_APPROVED,
        state=ExchangeState.PROCESSED,
        vendor=po.vendor,
        purchase_order=po,
        attempts=1,
        response_status=200,
    )
    page = browser_sessions.open(procurement_user.username)

    page.goto(reverse("admin:orders_purchaseorder_change", args=[po.pk]))
    exchanges = page.locator(".inline-group", has_text="exchanges with the farm")
    expect(exchanges.locator("tr", has_text="PO approved pushed")).to_contain_text("Processed")

    response = page.goto(f"{reverse('admin:sync_exchange_changelist')}?q={po.number}")
    assert response.status == 200
    ledger_row = page.locator("#result_list tbody tr", has_text="PO approved pushed")
    expect(ledger_row).to_contain_text("Processed")
