"""Fixtures for the orders tests: one logged-in client per role."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.services import role_user_create
from orders.models import UnitType
from tests.factories import (
    BoxTypeFactory,
    CarrierFactory,
    CustomerFactory,
    ProductFactory,
    future_date,
)


def role_client(role: str, username: str | None = None) -> Client:
    user = role_user_create(
        username=username or f"{role.lower()}-user", role=role, password="correct-horse-battery"
    )
    client = Client()
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def procurement_client(db) -> Client:
    return role_client("Procurement")


@pytest.fixture
def sales_client(db) -> Client:
    return role_client("Sales")


@pytest.fixture
def warehouse_client(db) -> Client:
    return role_client("Warehouse")


@pytest.fixture
def mapping_client(db) -> Client:
    return role_client("Mapping")


@pytest.fixture
def admin_role_client(db) -> Client:
    return role_client("Admin")


def management_data(response) -> dict[str, str]:
    """Return the inline management-form fields of a rendered admin change or add page."""
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        form = formset.management_form
        for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data[f"{formset.prefix}-{name}"] = str(form[name].value())
        data[f"{formset.prefix}-TOTAL_FORMS"] = str(formset.initial_form_count())
    return data


def existing_forms_data(response, prefix: str) -> dict[str, str]:
    """Return the current values of an inline's existing rows, as the browser would post them."""
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        if formset.prefix != prefix:
            continue
        for form in formset.initial_forms:
            for name in form.fields:
                value = form[name].value()
                if value is None or value is False:
                    continue
                data[form.add_prefix(name)] = str(value)
    return data


def prebook_add_form_data(client: Client, vendor, **overrides) -> dict:
    """Return a valid POST body for the admin's prebook add page: one line naming `vendor`.

    `overrides` replaces or adds form fields.
    """
    page = client.get(reverse("admin:orders_prebook_add"))
    assert page.status_code == 200
    data = management_data(page)
    data.update(
        {
            "customer": CustomerFactory().pk,
            "truck_date": future_date(3).isoformat(),
            "carrier": CarrierFactory().pk,
            "ship_via": 0,
            "items-TOTAL_FORMS": "1",
            "items-0-vendor": vendor.pk,
            "items-0-product": ProductFactory().pk,
            "items-0-box_type": BoxTypeFactory().pk,
            "items-0-boxes": "3",
            "items-0-bunches": "10",
            "items-0-stems_per_bunch": "25",
            "items-0-unit_type": UnitType.STEM,
            "items-0-cost": "0.30",
            "items-0-price": "0.55",
            "items-0-vendor_ship_date": future_date(1).isoformat(),
        }
    )
    data.update(overrides)
    return data
