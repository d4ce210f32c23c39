"""Admin pages of these models run the same number of queries for 3 rows and for 30."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.services import audit_record
from catalog.models import Vendor
from orders.models import PrebookBreakdown
from orders.services.purchase_orders import purchase_order_approve
from tests.factories import (
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
)
from tests.orders.conftest import role_client


def queries_for(client, url: str) -> int:
    """Return the queries of a second GET, so process-wide caches (content types) are warm."""
    client.get(url)
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context.captured_queries)


def seed_changelist(kind: str, rows: int) -> str:
    if kind == "prebook":
        for _ in range(rows):
            PrebookItemFactory(prebook=PrebookFactory(held_line_count=1))
        return reverse("admin:orders_prebook_changelist")
    if kind == "purchaseorder":
        for _ in range(rows):
            po = PurchaseOrderFactory(carrier=CarrierFactory(), held_line_count=1)
            PurchaseOrderItemFactory(purchase_order=po)
        return reverse("admin:orders_purchaseorder_changelist")
    if kind == "auditentry":
        vendor = VendorFactory()
        for number in range(rows):
            audit_record(action="vendor.changed", obj=vendor, reason=f"change {number}")
        return reverse("admin:audit_auditentry_changelist")
    factories = {
        "vendor": VendorFactory,
        "customer": CustomerFactory,
        "carrier": CarrierFactory,
        "product": ProductFactory,
    }
    for _ in range(rows):
        factories[kind]()
    return reverse(f"admin:catalog_{kind}_changelist")


CHANGELISTS = ["prebook", "purchaseorder", "auditentry", "vendor", "customer", "carrier", "product"]


@pytest.mark.django_db(transaction=False)
@pytest.mark.parametrize("kind", CHANGELISTS)
def test_changelist_queries_fixed(kind, django_db_blocker):
    client = role_client("Admin")
    url = seed_changelist(kind, 3)
    few = queries_for(client, url)
    seed_changelist(kind, 27)

    many = queries_for(client, url)

    assert many == few


@pytest.mark.django_db
def test_box_type_changelist_queries_fixed():
    client = role_client("Admin")
    for code in ("FB", "HB", "QB"):
        BoxTypeFactory(code=code)
    url = reverse("admin:catalog_boxtype_changelist")
    few = queries_for(client, url)
    for number in range(27):
        BoxTypeFactory(code=f"X{number:02d}")

    assert queries_for(client, url) == few


def prebook_with_lines(lines: int):
    prebook = PrebookFactory()
    vendor = VendorFactory()
    for _ in range(lines):
        item = PrebookItemFactory(prebook=prebook, vendor=vendor)
        PrebookBreakdown.objects.create(item=item, product=item.product, bunches=item.bunches)
    for number in range(lines):
        audit_record(action="prebook.changed", obj=prebook, reason=f"edit {number}")
    return prebook


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["Admin", "Sales"])
def test_prebook_change_page_queries_fixed(role):
    client = role_client(role)
    few = queries_for(
        client, reverse("admin:orders_prebook_change", args=[prebook_with_lines(3).pk])
    )

    many = queries_for(
        client, reverse("admin:orders_prebook_change", args=[prebook_with_lines(30).pk])
    )

    assert many == few


def po_with_lines(lines: int):
    po = PurchaseOrderFactory(carrier=CarrierFactory())
    for number in range(lines):
        unmapped = VendorProductFactory(vendor=po.vendor) if number % 3 == 0 else None
        PurchaseOrderItemFactory(
            purchase_order=po,
            product=None if unmapped else ProductFactory(),
            vendor_product=unmapped,
            hold_reason="product_not_mapped" if unmapped else "",
        )
    for number in range(lines):
        audit_record(action="purchase_order.note", obj=po, reason=f"note {number}")
    return po


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["Admin", "Procurement", "Warehouse"])
def test_po_change_page_queries_fixed(role):
    client = role_client(role)
    few = queries_for(
        client, reverse("admin:orders_purchaseorder_change", args=[po_with_lines(3).pk])
    )

    many = queries_for(
        client, reverse("admin:orders_purchaseorder_change", args=[po_with_lines(30).pk])
    )

    assert many == few


@pytest.mark.django_db
def test_po_change_page_with_history_queries_fixed():
    client = role_client("Admin")
    small, large = po_with_lines(3), po_with_lines(30)
    for po in (small, large):
        po.items.update(hold_reason="", product=ProductFactory())
        purchase_order_approve(po=po)

    few = queries_for(client, reverse("admin:orders_purchaseorder_change", args=[small.pk]))
    many = queries_for(client, reverse("admin:orders_purchaseorder_change", args=[large.pk]))

    assert many == few


@pytest.mark.django_db
def test_prebook_line_page_queries_fixed():
    client = role_client("Sales")

    def line_with_breakdowns(count: int):
        item = PrebookItemFactory(bunches=count)
        for _ in range(count):
            PrebookBreakdown.objects.create(item=item, product=ProductFactory(), bunches=1)
        return item

    few = queries_for(
        client, reverse("admin:orders_prebookitem_change", args=[line_with_breakdowns(3).pk])
    )
    many = queries_for(
        client, reverse("admin:orders_prebookitem_change", args=[line_with_breakdowns(30).pk])
    )

    assert many == few


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["vendor", "customer", "carrier", "product"])
def test_catalogue_change_pages_render(kind):
    client = role_client("Admin")
    factories = {
        "vendor": VendorFactory,
        "customer": CustomerFactory,
        "carrier": CarrierFactory,
        "product": ProductFactory,
    }
    obj = factories[kind]()

    response = client.get(reverse(f"admin:catalog_{kind}_change", args=[obj.pk]))

    assert response.status_code == 200


@pytest.mark.django_db
def test_vendor_secret_masked_and_kept():
    client = role_client("Admin")
    vendor = VendorFactory(signing_secret="abcdefghijklmnop-secret-9876")
    url = reverse("admin:catalog_vendor_change", args=[vendor.pk])

    page = client.get(url)

    content = page.content.decode()
    assert "abcdefghijklmnop-secret-9876" not in content
    assert "••••••••9876" in content
    response = client.post(
        url,
        {
            "code": vendor.code,
            "name": "Renamed farm",
            "port_origin": "BOG",
            "active": "on",
            "time_zone": "America/Bogota",
            "transit_days": "2",
            "is_axerrio": "on",
            "push_url": "http://127.0.0.1:9/axerrio/push",
            "new_signing_secret": "",
        },
    )
    assert response.status_code == 302
    vendor = Vendor.objects.get(pk=vendor.pk)
    assert vendor.name == "Renamed farm"
    assert vendor.signing_secret == "abcdefghijklmnop-secret-9876"


@pytest.mark.django_db
def test_mapping_page_shows_audit_trail():
    client = role_client("Admin")
    code = VendorProductFactory(code="ROSE-FREEDOM-50")
    audit_record(action="vendor_product.mapped", obj=code, reason="mapped by hand")

    response = client.get(reverse("admin:mapping_vendorproduct_change", args=[code.pk]))

    assert response.status_code == 200
    assert "Audit trail" in response.content.decode()
    assert "vendor_product.mapped" in response.content.decode()
