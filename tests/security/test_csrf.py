"""Every admin form rejects a POST that carries no CSRF token."""

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import NoReverseMatch, reverse


def _add_urls() -> list[str]:
    urls = []
    for model in admin.site._registry:
        try:
            urls.append(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add"))
        except NoReverseMatch:
            continue
    return sorted(urls)


@pytest.fixture
def csrf_client(superuser) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)
    return client


def test_login_post_without_csrf_refused(staff_user):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/admin/login/", {"username": "clerk", "password": "x"})

    assert response.status_code == 403


@pytest.mark.parametrize("url", _add_urls())
def test_add_form_post_without_csrf_refused(csrf_client, url):
    response = csrf_client.post(url, {})

    assert response.status_code == 403


def test_token_add_and_revoke_without_csrf_refused(csrf_client):
    add = csrf_client.post(reverse("admin:tokens_apitoken_add"), {"description": "x"})
    action = csrf_client.post(
        reverse("admin:tokens_apitoken_changelist"), {"action": "revoke_selected", "post": "yes"}
    )

    assert add.status_code == 403
    assert action.status_code == 403


def test_post_with_csrf_token_accepted(csrf_client):
    page = csrf_client.get(reverse("admin:tokens_apitoken_add"))
    token = page.context["csrf_token"]

    response = csrf_client.post(
        reverse("admin:tokens_apitoken_add"), {"csrfmiddlewaretoken": str(token)}
    )

    assert response.status_code == 200
    assert "errornote" in response.content.decode()
