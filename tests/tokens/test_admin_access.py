"""Only token admins (superusers and the Admin group) reach any API token page or action."""

import pytest
from django.urls import reverse

from tokens.models import ApiToken
from tokens.selectors import user_is_token_admin
from tokens.services import api_token_issue


@pytest.fixture
def token(vendor):
    return api_token_issue(
        token_type=ApiToken.TokenType.VENDOR,
        description="Rosas Axerrio",
        methods=["boxtype.list"],
        vendor=vendor,
    ).token


def _pages(token: ApiToken) -> list[tuple[str, str, dict]]:
    changelist = reverse("admin:tokens_apitoken_changelist")
    return [
        ("get", changelist, {}),
        ("get", reverse("admin:tokens_apitoken_add"), {}),
        ("post", reverse("admin:tokens_apitoken_add"), {"description": "x"}),
        ("get", reverse("admin:tokens_apitoken_change", args=[token.pk]), {}),
        ("post", reverse("admin:tokens_apitoken_change", args=[token.pk]), {"description": "x"}),
        ("get", reverse("admin:tokens_apitoken_history", args=[token.pk]), {}),
        ("get", reverse("admin:tokens_apitoken_delete", args=[token.pk]), {}),
        ("post", reverse("admin:tokens_apitoken_delete", args=[token.pk]), {"post": "yes"}),
        ("get", reverse("admin:tokens_apitoken_revoke", args=[token.pk]), {}),
        ("post", reverse("admin:tokens_apitoken_revoke", args=[token.pk]), {}),
        ("get", reverse("admin:tokens_apitoken_created", args=[token.pk]), {}),
        (
            "post",
            changelist,
            {"action": "revoke_selected", "_selected_action": [token.pk], "post": "yes"},
        ),
    ]


def test_non_admin_gets_403_everywhere(client, procurement_user, token):
    client.force_login(procurement_user)

    for verb, url, data in _pages(token):
        response = getattr(client, verb)(url, data)
        assert response.status_code == 403, f"{verb.upper()} {url}"

    token.refresh_from_db()
    assert token.revoked_at is None
    assert token.description == "Rosas Axerrio"


def test_non_admin_has_no_token_module(client, procurement_user):
    client.force_login(procurement_user)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert reverse("admin:tokens_apitoken_changelist") not in response.content.decode()


@pytest.mark.parametrize("user_fixture", ["token_admin", "superuser"])
def test_admins_reach_token_pages(client, request, user_fixture, token):
    client.force_login(request.getfixturevalue(user_fixture))

    for url in [
        reverse("admin:tokens_apitoken_changelist"),
        reverse("admin:tokens_apitoken_add"),
        reverse("admin:tokens_apitoken_change", args=[token.pk]),
        reverse("admin:tokens_apitoken_history", args=[token.pk]),
        reverse("admin:tokens_apitoken_revoke", args=[token.pk]),
    ]:
        assert client.get(url).status_code == 200, url


def test_admins_cannot_delete(client, token_admin, token):
    client.force_login(token_admin)

    url = reverse("admin:tokens_apitoken_delete", args=[token.pk])

    response = client.post(url, {"post": "yes"})

    assert response.status_code == 403
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_delete_action_not_offered(client, token_admin, token):
    client.force_login(token_admin)

    response = client.get(reverse("admin:tokens_apitoken_changelist"))

    assert b"delete_selected" not in response.content
    assert b"revoke_selected" in response.content


def test_missing_admin_group_is_no_error(admin_group_missing, procurement_user, superuser):
    assert user_is_token_admin(procurement_user) is False
    assert user_is_token_admin(superuser) is True


def test_inactive_or_non_staff_admin_rejected(token_admin):
    token_admin.is_staff = False
    assert user_is_token_admin(token_admin) is False

    token_admin.is_staff = True
    token_admin.is_active = False
    assert user_is_token_admin(token_admin) is False


def test_anonymous_redirected_to_login(client, token):
    response = client.get(reverse("admin:tokens_apitoken_changelist"))

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
