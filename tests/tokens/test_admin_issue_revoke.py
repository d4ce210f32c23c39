"""Issuing, showing once, editing and revoking tokens through the admin."""

import datetime
import time

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from tokens.admin import ISSUED_PLAINTEXT_MAX_AGE_SECONDS, ISSUED_PLAINTEXT_SESSION_KEY
from tokens.methods import AXERRIO_METHODS
from tokens.models import ApiToken, ApiTokenDailyUsage
from tokens.services import (
    TokenError,
    api_token_authenticate,
    api_token_issue,
)

ADD_URL = "admin:tokens_apitoken_add"
CREATED_URL = "admin:tokens_apitoken_created"


def _add_form(vendor, /, **overrides) -> dict:
    data = {
        "token_type": "vendor",
        "vendor": vendor.pk,
        "description": "Rosas Axerrio link",
        "preset": "",
        "methods": ["boxtype.list", "prebook.create"],
        "expires_at_0": "",
        "expires_at_1": "",
        "daily_quota": "500",
        "allowed_networks": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def admin_client_(client, token_admin):
    client.force_login(token_admin)
    return client


def _issue_via_admin(client, vendor, **overrides) -> tuple[ApiToken, str]:
    """Post the add form, follow its redirect, and return the token and the one-time page."""
    response = client.post(reverse(ADD_URL), _add_form(vendor, **overrides), follow=True)
    assert response.status_code == 200, response.content.decode()[:2000]
    token = ApiToken.objects.get()
    return token, response.content.decode()


def _plaintext_from(page: str, prefix: str) -> str:
    start = page.index(f'value="{prefix}') + len('value="')
    return page[start : page.index('"', start)]


def test_add_shows_token_once(admin_client_, vendor):
    token, page = _issue_via_admin(admin_client_, vendor)
    plaintext = _plaintext_from(page, token.prefix)

    assert len(plaintext) == 32
    assert "Copy this token now" in page
    assert 'id="copy-token"' in page
    assert api_token_authenticate(plaintext).pk == token.pk

    change_page = admin_client_.get(reverse("admin:tokens_apitoken_change", args=[token.pk]))
    list_page = admin_client_.get(reverse("admin:tokens_apitoken_changelist"))

    assert plaintext not in change_page.content.decode()
    assert f"{token.prefix}…" in change_page.content.decode()
    assert plaintext not in list_page.content.decode()


def test_created_page_not_cached(admin_client_, vendor):
    response = admin_client_.post(reverse(ADD_URL), _add_form(vendor), follow=True)

    assert response.redirect_chain[0][1] == 303
    assert "no-store" in response["Cache-Control"]


def test_add_redirects_to_created_page(admin_client_, vendor):
    response = admin_client_.post(reverse(ADD_URL), _add_form(vendor))

    token = ApiToken.objects.get()
    assert response.status_code == 303
    assert response["Location"] == reverse(CREATED_URL, args=[token.pk])
    assert token.prefix not in response.content.decode()


def test_created_page_reload_shows_no_secret(admin_client_, vendor):
    token, first = _issue_via_admin(admin_client_, vendor)
    plaintext = _plaintext_from(first, token.prefix)

    reload = admin_client_.get(reverse(CREATED_URL, args=[token.pk]))
    page = reload.content.decode()

    assert reload.status_code == 200
    assert ApiToken.objects.count() == 1
    assert plaintext not in page
    assert plaintext[8:] not in page
    assert 'id="api-token"' not in page
    assert "was already shown once and cannot be shown again" in page
    assert reverse("admin:tokens_apitoken_revoke", args=[token.pk]) in page
    assert reverse(ADD_URL) in page
    assert "no-store" in reload["Cache-Control"]


def test_created_page_of_revoked_token(admin_client_, vendor):
    token, _ = _issue_via_admin(admin_client_, vendor)
    admin_client_.post(reverse("admin:tokens_apitoken_revoke", args=[token.pk]))

    page = admin_client_.get(reverse(CREATED_URL, args=[token.pk])).content.decode()

    assert "It is\n    revoked; issue a new one" in page
    assert reverse("admin:tokens_apitoken_revoke", args=[token.pk]) not in page


def test_created_page_hidden_from_other_admin(admin_client_, superuser, vendor):
    admin_client_.post(reverse(ADD_URL), _add_form(vendor))
    token = ApiToken.objects.get()
    other = Client()
    other.force_login(superuser)

    page = other.get(reverse(CREATED_URL, args=[token.pk])).content.decode()

    assert 'id="api-token"' not in page
    assert "was already shown once" in page
    first = admin_client_.get(reverse(CREATED_URL, args=[token.pk])).content.decode()
    assert 'id="api-token"' in first


def test_created_page_expires(admin_client_, vendor):
    admin_client_.post(reverse(ADD_URL), _add_form(vendor))
    token = ApiToken.objects.get()
    session = admin_client_.session
    entries = session[ISSUED_PLAINTEXT_SESSION_KEY]
    entries[str(token.pk)]["issued_at"] = time.time() - ISSUED_PLAINTEXT_MAX_AGE_SECONDS - 1
    session[ISSUED_PLAINTEXT_SESSION_KEY] = entries
    session.save()

    page = admin_client_.get(reverse(CREATED_URL, args=[token.pk])).content.decode()

    assert 'id="api-token"' not in page
    assert "was already shown once" in page
    assert ISSUED_PLAINTEXT_SESSION_KEY not in admin_client_.session


def test_created_pages_of_two_tokens(admin_client_, vendor):
    admin_client_.post(reverse(ADD_URL), _add_form(vendor, description="first"))
    admin_client_.post(reverse(ADD_URL), _add_form(vendor, description="second"))
    first = ApiToken.objects.get(description="first")
    second = ApiToken.objects.get(description="second")

    second_page = admin_client_.get(reverse(CREATED_URL, args=[second.pk])).content.decode()
    first_page = admin_client_.get(reverse(CREATED_URL, args=[first.pk])).content.decode()

    assert api_token_authenticate(_plaintext_from(first_page, first.prefix)).pk == first.pk
    assert api_token_authenticate(_plaintext_from(second_page, second.prefix)).pk == second.pk
    assert ISSUED_PLAINTEXT_SESSION_KEY not in admin_client_.session


def test_database_holds_no_plaintext(admin_client_, vendor):
    token, page = _issue_via_admin(admin_client_, vendor)
    plaintext = _plaintext_from(page, token.prefix)
    secret = plaintext[8:]

    row = ApiToken.objects.filter(pk=token.pk).values().get()

    assert all(secret not in str(value) for value in row.values())
    assert row["secret_hash"] != secret
    assert len(row["secret_hash"]) == 64


def test_add_writes_audit_and_log_entry(admin_client_, token_admin, vendor):
    token, _ = _issue_via_admin(admin_client_, vendor)

    audit = AuditEntry.objects.get(action="token.create", object_id=str(token.pk))
    log = LogEntry.objects.get(object_id=str(token.pk))

    assert audit.actor == token_admin
    assert log.action_flag == ADDITION
    assert log.user == token_admin
    assert token.created_by == token_admin


def test_axerrio_preset_without_javascript(admin_client_, vendor):
    token, _ = _issue_via_admin(admin_client_, vendor, preset="axerrio", methods=[])

    assert sorted(token.methods) == sorted(AXERRIO_METHODS)
    assert len(token.methods) == 11


def test_all_preset_for_vendor_skips_company_methods(admin_client_, vendor):
    token, _ = _issue_via_admin(admin_client_, vendor, preset="all", methods=[])

    assert "vendor.list" not in token.methods
    assert "login" not in token.methods
    assert set(AXERRIO_METHODS) <= set(token.methods)


def test_add_form_lists_every_method(admin_client_):
    page = admin_client_.get(reverse(ADD_URL)).content.decode()

    for name in AXERRIO_METHODS + ["vendor.list", "customer.list"]:
        assert f'value="{name}"' in page
    assert "tokens/method_presets.js" in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"vendor": ""}, "vendor", "must name the vendor"),
        ({"token_type": "company"}, "vendor", "not bound to a vendor"),
        ({"methods": []}, "methods", "at least one method"),
        ({"methods": ["vendor.list"]}, "methods", "cannot call vendor.list"),
        ({"allowed_networks": "10.0.0.0/8\nnot-a-range"}, "allowed_networks", "CIDR"),
        ({"daily_quota": "0"}, "daily_quota", "at least 1"),
        ({"description": "x" * 201}, "description", "at most 200 characters"),
        ({"description": "   "}, "description", "This field is required"),
        (
            {"expires_at_0": "2000-01-01", "expires_at_1": "00:00:00"},
            "expires_at",
            "in the future",
        ),
    ],
)
def test_add_form_rejects(admin_client_, vendor, overrides, field, message):
    response = admin_client_.post(reverse(ADD_URL), _add_form(vendor, **overrides))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert field in errors
    assert message in " ".join(errors[field])
    assert not ApiToken.objects.exists()


def test_add_form_rejects_quota_above_maximum(admin_client_, vendor):
    response = admin_client_.post(reverse(ADD_URL), _add_form(vendor, daily_quota="1000001"))

    assert response.status_code == 200
    assert "daily_quota" in response.context["adminform"].form.errors
    assert not ApiToken.objects.exists()


def test_allowed_networks_normalised(admin_client_, vendor):
    token, _ = _issue_via_admin(
        admin_client_, vendor, allowed_networks="203.0.113.7/24, 2001:db8::1"
    )

    assert token.allowed_networks.split("\n") == ["203.0.113.0/24", "2001:db8::1/128"]


def test_change_updates_with_audit(admin_client_, token_admin, vendor):
    token = api_token_issue(
        token_type="vendor", description="old", methods=["boxtype.list"], vendor=vendor
    ).token
    url = reverse("admin:tokens_apitoken_change", args=[token.pk])

    response = admin_client_.post(
        url,
        {
            "description": "new",
            "expires_at_0": "",
            "expires_at_1": "",
            "daily_quota": "42",
            "allowed_networks": "",
        },
    )

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.description == "new"
    assert token.daily_quota == 42
    audit = AuditEntry.objects.get(action="token.change", object_id=str(token.pk))
    assert audit.changes["daily_quota"] == [1000, 42]
    assert LogEntry.objects.filter(object_id=str(token.pk), action_flag=CHANGE).exists()


def test_revoke_button_confirms_then_revokes(admin_client_, token_admin, vendor):
    issued = api_token_issue(
        token_type="vendor", description="farm", methods=["boxtype.list"], vendor=vendor
    )
    url = reverse("admin:tokens_apitoken_revoke", args=[issued.token.pk])
    change_page = admin_client_.get(reverse("admin:tokens_apitoken_change", args=[issued.token.pk]))

    confirmation = admin_client_.get(url)

    assert url in change_page.content.decode()
    assert "cannot be undone" in confirmation.content.decode()
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is None

    response = admin_client_.post(url, {"reason": "laptop stolen"})

    assert response.status_code == 302
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is not None
    assert issued.token.revoked_by == token_admin
    audit = AuditEntry.objects.get(action="token.revoke", object_id=str(issued.token.pk))
    assert audit.reason == "laptop stolen"
    log = LogEntry.objects.get(object_id=str(issued.token.pk), action_flag=CHANGE)
    assert "laptop stolen" in log.change_message
    with pytest.raises(TokenError):
        api_token_authenticate(issued.plaintext)


def test_revoked_token_is_read_only(admin_client_, vendor):
    issued = api_token_issue(
        token_type="vendor", description="farm", methods=["boxtype.list"], vendor=vendor
    )
    admin_client_.post(reverse("admin:tokens_apitoken_revoke", args=[issued.token.pk]))
    url = reverse("admin:tokens_apitoken_change", args=[issued.token.pk])
    revoked_at = ApiToken.objects.get().revoked_at

    page = admin_client_.get(url).content.decode()
    response = admin_client_.post(url, {"description": "revived", "daily_quota": "5"})
    second_revoke = admin_client_.post(
        reverse("admin:tokens_apitoken_revoke", args=[issued.token.pk])
    )

    assert 'name="_save"' not in page
    assert "/revoke/" not in page
    assert response.status_code == 403
    assert second_revoke.status_code == 302
    token = ApiToken.objects.get()
    assert token.description == "farm"
    assert token.revoked_at == revoked_at
    assert AuditEntry.objects.filter(action="token.revoke").count() == 1


def test_revoke_action_needs_confirmation(admin_client_, vendor):
    tokens = [
        api_token_issue(
            token_type="vendor", description=f"farm {n}", methods=["boxtype.list"], vendor=vendor
        ).token
        for n in range(2)
    ]
    changelist = reverse("admin:tokens_apitoken_changelist")
    data = {"action": "revoke_selected", "_selected_action": [t.pk for t in tokens]}

    first = admin_client_.post(changelist, data)

    assert first.status_code == 200
    assert "cannot be undone" in first.content.decode()
    assert ApiToken.objects.filter(revoked_at__isnull=False).count() == 0

    second = admin_client_.post(changelist, {**data, "post": "yes", "reason": "rotation"})

    assert second.status_code == 302
    assert ApiToken.objects.filter(revoked_at__isnull=False).count() == 2
    assert LogEntry.objects.filter(action_flag=CHANGE).count() == 2


def test_changelist_status_badges_and_usage(admin_client_, vendor):
    now = timezone.now()
    active = api_token_issue(
        token_type="vendor", description="active one", methods=["boxtype.list"], vendor=vendor
    ).token
    expired = api_token_issue(
        token_type="vendor",
        description="expired one",
        methods=["boxtype.list"],
        vendor=vendor,
        expires_at=now + datetime.timedelta(seconds=1),
    ).token
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=now - datetime.timedelta(days=1))
    revoked = api_token_issue(
        token_type="vendor", description="revoked one", methods=["boxtype.list"], vendor=vendor
    ).token
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=now)
    ApiTokenDailyUsage.objects.create(token=active, day=now.date(), requests=37)

    page = admin_client_.get(reverse("admin:tokens_apitoken_changelist")).content.decode()

    assert "badge-green" in page
    assert ">Active<" in page
    assert "badge-amber" in page
    assert ">Expired<" in page
    assert "badge-grey" in page
    assert ">Revoked<" in page
    assert '<td class="field-requests_today_display">37</td>' in page
    for status, description in [
        ("active", "active one"),
        ("expired", "expired one"),
        ("revoked", "revoked one"),
    ]:
        filtered = admin_client_.get(
            reverse("admin:tokens_apitoken_changelist"), {"status": status}
        )
        assert [t.description for t in filtered.context["cl"].result_list] == [description]


def test_changelist_query_count_fixed(admin_client_, vendor, django_assert_max_num_queries):
    def issue(count: int) -> None:
        for n in range(count):
            token = api_token_issue(
                token_type="vendor", description=f"t{n}", methods=["boxtype.list"], vendor=vendor
            ).token
            ApiTokenDailyUsage.objects.create(token=token, day=timezone.now().date(), requests=n)

    url = reverse("admin:tokens_apitoken_changelist")
    issue(2)
    admin_client_.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        admin_client_.get(url)
    issue(8)
    with CaptureQueriesContext(connection) as many:
        admin_client_.get(url)

    assert len(many) == len(few), "\n".join(q["sql"][:200] for q in many.captured_queries)
