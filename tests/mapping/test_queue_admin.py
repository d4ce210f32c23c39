"""The mapping queue in the admin: query counts, one-click mapping, bulk action, roles."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mapping.models import VendorCarrier, VendorProduct
from mapping.services import vendor_product_map, vendor_product_resolve
from tests.factories import (
    BoxFactory,
    CarrierFactory,
    UserFactory,
    VendorFactory,
)
from tests.mapping.helpers import catalogue_product, held_documents

pytestmark = pytest.mark.django_db

QUEUE_URL = "admin:mapping_vendorproduct_changelist"


@pytest.fixture
def freedom():
    return catalogue_product()


@pytest.fixture
def mapper_client(client):
    client.force_login(UserFactory(username="mapper", groups=["Mapping"]))
    return client


@pytest.fixture
def warehouse_client(client):
    user = UserFactory(username="warehouse", groups=["Warehouse"])
    user.user_permissions.add(
        Permission.objects.get(codename="view_vendorproduct"),
        Permission.objects.get(codename="change_vendorproduct"),
    )
    client.force_login(user)
    return client


def unknown_products(count: int) -> list[VendorProduct]:
    vendors = [VendorFactory(), VendorFactory()]
    rows = []
    for n in range(count):
        row = vendor_product_resolve(
            vendor=vendors[n % 2], code=f"RFR{n}", description=f"ROSE FREEDOM RED {40 + n % 4}0CM"
        )
        held_documents(row, boxes=n + 1)
        rows.append(row)
    return rows


def changelist_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_queue_query_count_is_fixed(admin_client, freedom):
    url = reverse(QUEUE_URL)
    unknown_products(5)
    with_five = changelist_queries(admin_client, url)

    unknown_products(45)
    with_fifty = changelist_queries(admin_client, url)

    assert with_five == with_fifty


@pytest.mark.parametrize(
    "name",
    [
        "mapping_vendorboxtype_changelist",
        "mapping_vendorcarrier_changelist",
        "mapping_vendorcustomer_changelist",
        "mapping_mappingrelease_changelist",
        "mapping_approvalwaiting_changelist",
    ],
)
def test_other_pages_render(admin_client, name):
    vendor = VendorFactory()
    VendorCarrier.objects.create(vendor=vendor, code="ARM")

    response = admin_client.get(reverse(f"admin:{name}"))

    assert response.status_code == 200


def test_queue_shows_held_counts(mapper_client, freedom):
    row = vendor_product_resolve(vendor=VendorFactory(), code="RFR50", description="ROSE FREEDOM")
    held_documents(row, boxes=7)

    response = mapper_client.get(reverse(QUEUE_URL))

    item = response.context["cl"].result_list[0]
    assert item.held_prebook_lines == 1
    assert item.held_po_lines == 1
    assert item.held_boxes == 14
    assert item.earliest_ship_date is not None
    assert b"badge-red" in response.content
    assert f'value="{row.pk}:{freedom.pk}"'.encode() in response.content


def test_queue_filters_mapped_and_ship_date(mapper_client, freedom):
    vendor = VendorFactory()
    unknown = vendor_product_resolve(vendor=vendor, code="A", description="ROSE FREEDOM")
    shipping = vendor_product_resolve(vendor=vendor, code="C", description="ROSE FREEDOM")
    held_documents(shipping)  # Lines ship tomorrow.
    mapped = vendor_product_resolve(vendor=vendor, code="B", description="ROSE FREEDOM")
    vendor_product_map(vendor_product=mapped, product=freedom, actor=None)
    url = reverse(QUEUE_URL)

    default = mapper_client.get(url).context["cl"].result_list
    only_mapped = mapper_client.get(url + "?mapped=mapped").context["cl"].result_list
    undated = mapper_client.get(url + "?ship_date=none").context["cl"].result_list
    this_week = mapper_client.get(url + "?ship_date=next7").context["cl"].result_list
    past = mapper_client.get(url + "?ship_date=past").context["cl"].result_list

    assert [row.pk for row in default] == [shipping.pk, unknown.pk]
    assert [row.pk for row in only_mapped] == [mapped.pk]
    assert [row.pk for row in undated] == [unknown.pk]
    assert [row.pk for row in this_week] == [shipping.pk]
    assert past == []


def test_one_click_maps_suggestion(mapper_client, freedom):
    row = vendor_product_resolve(vendor=VendorFactory(), code="RFR50", description="ROSE FREEDOM")
    _prebook, prebook_item, _po, _po_item = held_documents(row)

    response = mapper_client.post(reverse(QUEUE_URL), {"map_to": f"{row.pk}:{freedom.pk}"})

    assert response.status_code == 302
    row.refresh_from_db()
    prebook_item.refresh_from_db()
    assert row.target == freedom
    assert prebook_item.product == freedom


def test_change_form_maps_and_shows_history(mapper_client, freedom):
    row = vendor_product_resolve(vendor=VendorFactory(), code="RFR50", description="ROSE FREEDOM")
    url = reverse("admin:mapping_vendorproduct_change", args=[row.pk])

    response = mapper_client.post(url, {"target": freedom.pk, "_continue": "1"})
    page = mapper_client.get(url)

    assert response.status_code == 302
    row.refresh_from_db()
    assert row.target == freedom
    assert b"mapper" in page.content
    assert b"<td>mapped</td>" in page.content


def test_change_form_refuses_remap_after_shipping(mapper_client, freedom):
    other = catalogue_product(legacy_code="RS-OTHER", description="Rose Other Red 50cm")
    row = vendor_product_resolve(vendor=VendorFactory(), code="RFR50", description="ROSE FREEDOM")
    _prebook, _item, _po, po_item = held_documents(row)
    vendor_product_map(vendor_product=row, product=freedom, actor=None)
    BoxFactory(po_item=po_item)
    url = reverse("admin:mapping_vendorproduct_change", args=[row.pk])

    response = mapper_client.post(url, {"target": other.pk})

    assert response.status_code == 200
    assert "already shipped" in str(response.context["adminform"].form.errors)
    row.refresh_from_db()
    assert row.target == freedom


def test_bulk_action_maps_confident_rows(mapper_client, freedom):
    confident = vendor_product_resolve(
        vendor=VendorFactory(), code="A", description="ROSE FREEDOM RED 50CM"
    )

    response = mapper_client.post(
        reverse(QUEUE_URL),
        {"action": "map_first_suggestion", "_selected_action": [confident.pk], "index": 0},
    )

    assert response.status_code == 302
    confident.refresh_from_db()
    assert confident.target == freedom


def test_warehouse_user_views_without_mapping(warehouse_client, freedom):
    row = vendor_product_resolve(vendor=VendorFactory(), code="RFR50", description="ROSE FREEDOM")
    url = reverse(QUEUE_URL)
    change_url = reverse("admin:mapping_vendorproduct_change", args=[row.pk])

    listing = warehouse_client.get(url)
    page = warehouse_client.get(change_url)
    one_click = warehouse_client.post(url, {"map_to": f"{row.pk}:{freedom.pk}"})
    bulk = warehouse_client.post(
        url, {"action": "map_first_suggestion", "_selected_action": [row.pk], "index": 0}
    )
    form = warehouse_client.post(change_url, {"target": freedom.pk})

    assert listing.status_code == 200
    assert b'name="map_to"' not in listing.content
    assert b"map_first_suggestion" not in listing.content
    assert page.status_code == 200
    assert b'name="map_to"' not in page.content
    assert one_click.status_code == 403
    assert bulk.status_code == 403
    assert form.status_code == 403
    row.refresh_from_db()
    assert row.target is None


def test_staff_without_view_permission_is_refused(client):
    user = UserFactory(username="sales")
    user.save()  # Stores the password hash that the session is checked against.
    client.force_login(user)

    response = client.get(reverse(QUEUE_URL))

    assert response.status_code == 403


def test_carrier_one_click(mapper_client):
    carrier = CarrierFactory(code="ARMELLINI", name="Armellini Logistics")
    code = VendorCarrier.objects.create(vendor=VendorFactory(), code="ARMELLINI")

    response = mapper_client.post(
        reverse("admin:mapping_vendorcarrier_changelist"), {"map_to": f"{code.pk}:{carrier.pk}"}
    )

    assert response.status_code == 302
    code.refresh_from_db()
    assert code.target == carrier


def test_change_page_button_maps(mapper_client, freedom):
    row = vendor_product_resolve(vendor=VendorFactory(), code="RFR50", description="ROSE FREEDOM")
    url = reverse("admin:mapping_vendorproduct_change", args=[row.pk])

    page = mapper_client.get(url)
    response = mapper_client.post(url, {"map_to": str(freedom.pk)})

    assert f'name="map_to" value="{freedom.pk}"'.encode() in page.content
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.target == freedom
