"""Roles: the groups and their permissions, the command, and what each role may do."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.roles import ROLE_PERMISSIONS, ROLES
from orders.models import Prebook, PurchaseOrder
from sync.models import Direction, Exchange, ExchangeKind, ExchangeState
from tests.factories import (
    PurchaseOrderFactory,
    PurchaseOrderItemFactory,
    UserFactory,
    VendorFactory,
)
from tokens.models import ApiToken


def group_permissions(role: str) -> set[str]:
    group = Group.objects.get(name=role)
    return {
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


@pytest.mark.django_db
def test_groups_created_by_migration():
    assert set(Group.objects.filter(name__in=ROLES).values_list("name", flat=True)) == set(ROLES)


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(ROLE_PERMISSIONS))
def test_group_has_listed_permissions(role):
    assert group_permissions(role) == set(ROLE_PERMISSIONS[role])


@pytest.mark.django_db
def test_only_procurement_and_admin_approve():
    holders = {role for role in ROLES if "orders.approve_purchaseorder" in group_permissions(role)}

    assert holders == {"Admin", "Procurement"}


@pytest.mark.django_db
def test_admin_role_has_token_permissions():
    permissions = group_permissions("Admin")

    assert {"tokens.add_apitoken", "tokens.change_apitoken", "tokens.view_apitoken"} <= permissions


@pytest.mark.django_db
def test_create_role_user_command(capsys):
    call_command("create_role_user", username="maria", role="Sales", password="s3cret-pass")

    user = UserFactory._meta.model.objects.get(username="maria")
    assert user.is_staff
    assert not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == ["Sales"]
    assert user.check_password("s3cret-pass")
    assert "maria has role Sales" in capsys.readouterr().out


@pytest.mark.django_db
def test_create_role_user_changes_role():
    call_command("create_role_user", username="ana", role="Sales", password="pw-one-1234")
    call_command("create_role_user", username="ana", role="Warehouse", password="pw-two-1234")

    user = UserFactory._meta.model.objects.get(username="ana")
    assert list(user.groups.values_list("name", flat=True)) == ["Warehouse"]
    assert user.check_password("pw-two-1234")


@pytest.mark.django_db
def test_create_role_user_unknown_role():
    with pytest.raises(CommandError):
        call_command("create_role_user", username="x", role="Boss", password="pw")


# --- allowed and forbidden actions per role ---------------------------------------------


def pending_po() -> PurchaseOrder:
    po = PurchaseOrderFactory()
    PurchaseOrderItemFactory(purchase_order=po)
    return po


def approve(client, po: PurchaseOrder):
    return client.post(reverse("admin:orders_purchaseorder_approve", args=[po.pk]))


def status_of(po: PurchaseOrder) -> str:
    po.refresh_from_db()
    return po.status


PAGES = {
    "po_list": lambda: reverse("admin:orders_purchaseorder_changelist"),
    "prebook_list": lambda: reverse("admin:orders_prebook_changelist"),
    "prebook_add": lambda: reverse("admin:orders_prebook_add"),
    "product_list": lambda: reverse("admin:catalog_product_changelist"),
    "vendor_change": lambda: reverse("admin:catalog_vendor_add"),
    "audit_list": lambda: reverse("admin:audit_auditentry_changelist"),
    "day": lambda: reverse("dashboard:day"),
}

EXPECTED = {
    #               po_list prebook_list prebook_add product_list vendor_add audit_list day
    "Procurement": (200, 200, 403, 200, 403, 403, 200),
    "Sales": (403, 200, 200, 200, 403, 403, 200),
    "Warehouse": (200, 403, 403, 200, 403, 403, 200),
    "Mapping": (200, 200, 403, 200, 403, 403, 200),
    "Admin": (200, 200, 200, 200, 200, 200, 200),
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_pages_per_role(role, request):
    from tests.orders.conftest import role_client

    client = role_client(role)

    statuses = tuple(client.get(url()).status_code for url in PAGES.values())

    assert dict(zip(PAGES, statuses, strict=True)) == dict(zip(PAGES, EXPECTED[role], strict=True))


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["Sales", "Warehouse", "Mapping"])
def test_approval_forbidden(role):
    from tests.orders.conftest import role_client

    client = role_client(role)
    po = pending_po()

    response = approve(client, po)
    action = client.post(
        reverse("admin:orders_purchaseorder_changelist"),
        {"action": "approve_selected", "_selected_action": [po.pk]},
    )

    assert response.status_code == 403
    assert action.status_code in (302, 403)
    assert status_of(po) == PurchaseOrder.Status.PENDING_APPROVAL


@pytest.mark.django_db
def test_procurement_approves(procurement_client):
    po = pending_po()

    response = approve(procurement_client, po)

    assert response.status_code == 302
    assert status_of(po) == PurchaseOrder.Status.APPROVED


@pytest.mark.django_db
def test_approve_buttons_hidden_without_permission(warehouse_client, procurement_client):
    po = pending_po()
    url = reverse("admin:orders_purchaseorder_change", args=[po.pk])
    approve_url = reverse("admin:orders_purchaseorder_approve", args=[po.pk])

    hidden = warehouse_client.get(url)
    shown = procurement_client.get(url)

    assert hidden.status_code == 200
    assert approve_url not in hidden.content.decode()
    assert approve_url in shown.content.decode()


@pytest.mark.django_db
def test_sales_cannot_approve_via_action_list(sales_client):
    response = sales_client.get(reverse("admin:orders_prebook_changelist"))

    assert response.status_code == 200
    assert "approve_selected" not in response.content.decode()


@pytest.mark.django_db
def test_warehouse_has_no_po_actions(warehouse_client):
    pending_po()

    response = warehouse_client.get(reverse("admin:orders_purchaseorder_changelist"))

    assert response.status_code == 200
    assert "approve_selected" not in response.content.decode()
    assert "reject_selected" not in response.content.decode()


@pytest.mark.django_db
def test_tokens_admin_only(admin_role_client, procurement_client):
    if not admin.site.is_registered(ApiToken):
        pytest.skip("the tokens app registers no admin")
    url = reverse("admin:tokens_apitoken_changelist")

    assert admin_role_client.get(url).status_code == 200
    assert procurement_client.get(url).status_code == 403


@pytest.mark.django_db
def test_prebook_delete_hidden_from_sales(sales_client):
    from tests.factories import PrebookFactory

    prebook = PrebookFactory()

    response = sales_client.get(reverse("admin:orders_prebook_delete", args=[prebook.pk]))

    assert response.status_code == 403
    assert Prebook.objects.filter(pk=prebook.pk).exists()


@pytest.mark.django_db
def test_index_panels_per_role(procurement_client, sales_client, warehouse_client, mapping_client):
    pages = {
        "procurement": procurement_client.get(reverse("admin:index")),
        "sales": sales_client.get(reverse("admin:index")),
        "warehouse": warehouse_client.get(reverse("admin:index")),
        "mapping": mapping_client.get(reverse("admin:index")),
    }

    assert all(page.status_code == 200 for page in pages.values())
    assert "Pending approval" in pages["procurement"].content.decode()
    assert "Pending approval" not in pages["sales"].content.decode()
    assert "Prebooks on today&#x27;s trucks" in pages["sales"].content.decode()
    assert "Boxes to receive" in pages["warehouse"].content.decode()
    assert "/receiving/" in pages["warehouse"].content.decode()
    assert "Unknown farm products" in pages["mapping"].content.decode()


@pytest.mark.django_db
def test_index_admin_panel(admin_role_client):
    response = admin_role_client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert "Exchanges that need attention" in response.content.decode()
    assert "Active API tokens" in response.content.decode()


@pytest.mark.django_db
def test_procurement_ledger_read_only(procurement_client, admin_role_client):
    row = Exchange.objects.create(
        direction=Direction.OUTBOUND,
        kind=ExchangeKind.PO_APPROVED,
        state=ExchangeState.FAILED,
        vendor=VendorFactory(),
        external_id="evt-ledger",
    )
    changelist = reverse("admin:sync_exchange_changelist")
    detail = reverse("admin:sync_exchange_change", args=[row.pk])

    procurement_page = procurement_client.get(changelist)
    admin_page = admin_role_client.get(changelist)

    assert procurement_page.status_code == 200
    assert procurement_client.get(detail).status_code == 200
    assert 'value="retry_now"' not in procurement_page.content.decode()
    assert 'value="cancel"' not in procurement_page.content.decode()
    assert 'value="retry_now"' in admin_page.content.decode()
