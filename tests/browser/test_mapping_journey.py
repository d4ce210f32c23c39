"""An admin maps the farm's unknown product from the mapping queue in the browser.

The farm's order carries a variety the importer has never seen. Its prebook and PO lines
are kept and shown red. The admin requests approval of the PO once mapped, picks the first
suggestion in the queue, and the held approval goes out to the farm.
"""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from catalog.models import Vendor
from demo.seed import DEMO_CUSTOMER, DEMO_VENDOR
from mapping.models import HoldReason, VendorProduct
from orders.models import PrebookItem, PurchaseOrder, PurchaseOrderItem
from tests.browser.conftest import HELD_RED, computed_colour, pushes_of, screenshot
from tests.conftest import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PUSH_TIMEOUT = 60


def hold_cells(page):
    """The "hold" cells of the order lines on a prebook or PO change page."""
    return page.locator("td.field-hold")


def test_unknown_product_mapped_from_queue(browser_sessions, sandbox_farm, admin_user):
    order = sandbox_farm.client.place_order(DEMO_CUSTOMER, line_count=2, with_unknown=True)
    vendor = Vendor.objects.get(code=DEMO_VENDOR)
    unknown = VendorProduct.objects.get(vendor=vendor, target__isnull=True)
    prebook_line = PrebookItem.objects.get(vendor_product=unknown)
    po_line = PurchaseOrderItem.objects.get(vendor_product=unknown)
    po = po_line.purchase_order
    assert po.number == str(order.purchase_order_number)
    assert po_line.hold_reason == HoldReason.PRODUCT_NOT_MAPPED
    po_url = reverse("admin:orders_purchaseorder_change", args=[po.pk])
    prebook_url = reverse("admin:orders_prebook_change", args=[prebook_line.prebook_id])

    page = browser_sessions.open(admin_user.username)

    # The prebook and the PO both show the held line in red.
    for url in (prebook_url, po_url):
        page.goto(url)
        held_cell = hold_cells(page).filter(has_text="not mapped")
        expect(held_cell).to_have_count(1)
        assert computed_colour(held_cell.locator(".badge")) == HELD_RED, url

    # The PO offers to approve once its lines are mapped.
    page.get_by_role("button", name="Approve once mapped").click()
    expect(page.locator(".messagelist")).to_contain_text("as soon as its held lines are mapped")
    assert pushes_of(sandbox_farm, "purchase_order.approved", po.number) == []

    # The held summary links to the mapping queue, where the unknown code is red.
    page.get_by_role("link", name="Open the mapping queue").first.click()
    expect(page.locator("h1")).to_have_text("Mapping queue: farm product codes")
    row = page.locator("#result_list tbody tr", has_text=unknown.code)
    expect(row).to_have_count(1)
    status = row.locator("td.field-status_badge .badge")
    expect(status).to_have_text("Unknown")
    assert computed_colour(status) == HELD_RED
    screenshot(page, "mapping-queue", docs=True)

    first_suggestion = row.locator("button[name=map_to]").first
    expect(first_suggestion).to_be_enabled()
    code_id, _, product_id = first_suggestion.get_attribute("value").partition(":")
    assert code_id == str(unknown.pk)
    first_suggestion.click()
    expect(page.locator(".messagelist")).to_contain_text(f"{unknown.code} mapped to")
    unknown.refresh_from_db()
    assert str(unknown.target_id) == product_id
    # The queue lists unknown codes only, so it is now empty and shows its empty state.
    expect(page.locator("#result_list tbody tr", has_text=unknown.code)).to_have_count(0)
    expect(page.locator(".mapping-queue-empty")).to_contain_text("Nothing to map")

    # The release carries out the waiting approval and the farm receives the push.
    wait_until(
        lambda: pushes_of(sandbox_farm, "purchase_order.approved", po.number),
        timeout=PUSH_TIMEOUT,
        message=f"the approval push of PO {po.number} at the farm",
    )
    assert len(pushes_of(sandbox_farm, "purchase_order.approved", po.number)) == 1
    po.refresh_from_db()
    assert po.held_line_count == 0
    assert po.status != PurchaseOrder.Status.PENDING_APPROVAL

    # Both documents now show every line in the normal colour, with the mapped product.
    for url in (prebook_url, po_url):
        page.goto(url)
        cells = hold_cells(page)
        expect(cells.first).to_be_visible()
        expect(page.locator("td.field-hold .badge-red")).to_have_count(0)
        for index in range(cells.count()):
            assert computed_colour(cells.nth(index)) != HELD_RED, f"line {index + 1} of {url}"
    expect(page.locator(".field-held_summary")).to_contain_text("Nothing held")
    hold_cells(page).first.scroll_into_view_if_needed()
    screenshot(page, "mapping-po-released", docs=True)
