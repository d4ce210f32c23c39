"""Fixtures for the orders tests: one logged-in client per role."""

import pytest
from django.test import Client

from accounts.services import role_user_create


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
