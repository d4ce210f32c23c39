"""API token admin: issue, inspect and revoke tokens. Only token admins see any of it.

A token admin is an active staff user who is a superuser or in the Admin group
(`tokens.selectors.user_is_token_admin`). Everyone else gets HTTP 403 on every page and
action, whatever model permissions they hold. Tokens are never deleted, so their audit
trail and ledger rows keep pointing at a real record.
"""

import time
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html, format_html_join

from core.badges import badge
from tokens.forms import ApiTokenChangeForm, ApiTokenCreateForm
from tokens.models import ApiToken
from tokens.selectors import api_tokens_with_usage, user_is_token_admin
from tokens.services import (
    UPDATABLE_FIELDS,
    TokenStatus,
    api_token_issue,
    api_token_revoke,
    api_token_status,
    api_token_update,
)

STATUS_COLOURS = {
    TokenStatus.ACTIVE: "green",
    TokenStatus.EXPIRED: "amber",
    TokenStatus.REVOKED: "grey",
}
# The request attribute that carries a new token's plaintext from save_model to
# response_add, which moves it into the session for the one-time page.
_PLAINTEXT_ATTRIBUTE = "_issued_api_token_plaintext"
# Session key of the plaintexts waiting for their one-time page: {token id: {"plaintext",
# "issued_at" (Unix seconds)}}. The page pops its entry, so a reload cannot show it again.
# NOTE: with database-backed sessions the plaintext sits in the session row until the page
# pops it, and browsers request that page right after the redirect. An entry whose page is
# never opened stays until the next token is issued or shown in that session, or until the
# session row is deleted (sign-out, or `clearsessions` after it expires).
ISSUED_PLAINTEXT_SESSION_KEY = "tokens_issued_plaintext"
# Seconds after issuing during which the one-time page may still show the plaintext.
ISSUED_PLAINTEXT_MAX_AGE_SECONDS = 300


class TokenStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            (TokenStatus.ACTIVE, "Active"),
            (TokenStatus.EXPIRED, "Expired"),
            (TokenStatus.REVOKED, "Revoked"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        now = timezone.now()
        live = Q(revoked_at__isnull=True)
        unexpired = Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        if self.value() == TokenStatus.ACTIVE:
            return queryset.filter(live & unexpired)
        if self.value() == TokenStatus.EXPIRED:
            return queryset.filter(live, expires_at__lte=now)
        if self.value() == TokenStatus.REVOKED:
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    form = ApiTokenChangeForm
    list_display = (
        "prefix_display",
        "description",
        "token_type",
        "vendor",
        "status_badge",
        "expires_at",
        "requests_today_display",
        "daily_quota",
        "last_used_at",
        "last_used_ip",
    )
    list_display_links = ("prefix_display", "description")
    list_select_related = ("vendor",)
    list_filter = (TokenStatusFilter, "token_type", "vendor")
    search_fields = ("prefix", "description", "vendor__code", "vendor__name")
    date_hierarchy = "created_at"
    actions = ["revoke_selected"]
    readonly_fields = (
        "prefix_display",
        "status_badge",
        "token_type",
        "vendor",
        "methods_display",
        "requests_today_display",
        "last_used_at",
        "last_used_ip",
        "created_at",
        "created_by",
        "revoked_at",
        "revoked_by",
    )

    # --- who may do what -----------------------------------------------------------------

    def has_module_permission(self, request: HttpRequest) -> bool:
        return user_is_token_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return user_is_token_admin(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return user_is_token_admin(request.user)

    def has_change_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        # A revoked token is shown read-only: nothing about it can change any more.
        if obj is not None and obj.revoked_at is not None:
            return False
        return user_is_token_admin(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return user_is_token_admin(request.user)

    # --- lists and pages -----------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiToken]:
        return api_tokens_with_usage(
            super().get_queryset(request).select_related("vendor", "created_by", "revoked_by")
        )

    def get_form(self, request: HttpRequest, obj: ApiToken | None = None, **kwargs: Any):
        if obj is None:
            kwargs["form"] = ApiTokenCreateForm
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: ApiToken | None = None):
        if obj is None:
            return [
                (None, {"fields": ["token_type", "vendor", "description"]}),
                (
                    "Access",
                    {
                        "fields": [
                            "preset",
                            "methods",
                            "expires_at",
                            "daily_quota",
                            "allowed_networks",
                        ]
                    },
                ),
            ]
        return [
            (None, {"fields": ["prefix_display", "status_badge", "token_type", "vendor"]}),
            (None, {"fields": ["description"]}),
            (
                "Access",
                {"fields": ["methods_display", "expires_at", "daily_quota", "allowed_networks"]},
            ),
            ("Usage", {"fields": ["requests_today_display", "last_used_at", "last_used_ip"]}),
            ("History", {"fields": ["created_at", "created_by", "revoked_at", "revoked_by"]}),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None):
        return () if obj is None else self.readonly_fields

    @admin.display(description="token", ordering="prefix")
    def prefix_display(self, token: ApiToken) -> str:
        return f"{token.prefix}…"

    @admin.display(description="status")
    def status_badge(self, token: ApiToken) -> str:
        status = api_token_status(token)
        return badge(status.capitalize(), STATUS_COLOURS[status])

    @admin.display(description="requests today (UTC)")
    def requests_today_display(self, token: ApiToken) -> int:
        return getattr(token, "requests_today", 0)

    @admin.display(description="methods")
    def methods_display(self, token: ApiToken) -> str:
        return format_html(
            '<ul style="margin:0;padding-left:1.2em">{}</ul>',
            format_html_join("", "<li><code>{}</code></li>", ((name,) for name in token.methods)),
        )

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "show_save_and_add_another": False,
            "show_save_and_continue": False,
        }
        return super().add_view(request, form_url, extra_context)

    def change_view(self, request: HttpRequest, object_id: str, form_url="", extra_context=None):
        token = self.get_object(request, unquote(object_id))
        live = token is not None and token.revoked_at is None
        extra_context = {
            **(extra_context or {}),
            "show_revoke": live and self.has_revoke_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    # --- writes go through the services --------------------------------------------------

    def save_model(self, request: HttpRequest, obj: ApiToken, form, change: bool) -> None:
        data = form.cleaned_data
        if change:
            values = {name: data[name] for name in form.changed_data if name in UPDATABLE_FIELDS}
            updated = api_token_update(token=obj, actor=request.user, **values)
            _copy_token(updated, obj)
            return
        issued = api_token_issue(
            token_type=data["token_type"],
            description=data["description"],
            methods=data["methods"],
            vendor=data.get("vendor"),
            expires_at=data.get("expires_at"),
            daily_quota=data["daily_quota"],
            allowed_networks=data.get("allowed_networks") or "",
            actor=request.user,
        )
        _copy_token(issued.token, obj)
        setattr(request, _PLAINTEXT_ATTRIBUTE, issued.plaintext)

    def response_add(self, request: HttpRequest, obj: ApiToken, post_url_continue=None):
        """Redirect to the one-time page (POST/redirect/GET), so a reload sends no second POST."""
        plaintext = getattr(request, _PLAINTEXT_ATTRIBUTE, None)
        if plaintext is None:
            return super().response_add(request, obj, post_url_continue)
        _issued_plaintext_store(request, obj, plaintext)
        created_url = reverse("admin:tokens_apitoken_created", args=[obj.pk])
        return HttpResponseRedirect(created_url, status=303)

    def created_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Show a new token's plaintext once; later requests get a page saying it was shown."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        token = self.get_object(request, unquote(object_id))
        if token is None:
            raise Http404("No API token with this id.")
        plaintext = _issued_plaintext_pop(request, token)
        live = token.revoked_at is None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "API token created" if plaintext else "API token already shown",
            "token": token,
            "plaintext": plaintext,
            "change_url": reverse("admin:tokens_apitoken_change", args=[token.pk]),
            "changelist_url": reverse("admin:tokens_apitoken_changelist"),
            "add_url": reverse("admin:tokens_apitoken_add"),
            "revoke_url": reverse("admin:tokens_apitoken_revoke", args=[token.pk]) if live else "",
        }
        response = TemplateResponse(
            request, "admin/tokens/apitoken/token_created.html", context
        )
        add_never_cache_headers(response)
        return response

    # --- revocation ----------------------------------------------------------------------

    def get_urls(self):
        custom = [
            path(
                "<path:object_id>/revoke/",
                self.admin_site.admin_view(self.revoke_view),
                name="tokens_apitoken_revoke",
            ),
            path(
                "<path:object_id>/created/",
                self.admin_site.admin_view(self.created_view),
                name="tokens_apitoken_created",
            ),
        ]
        return custom + super().get_urls()

    def revoke_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not self.has_revoke_permission(request):
            raise PermissionDenied
        token = self.get_object(request, unquote(object_id))
        if token is None:
            raise Http404("No API token with this id.")
        change_url = reverse("admin:tokens_apitoken_change", args=[token.pk])
        if token.revoked_at is not None:
            self.message_user(request, f"Token {token.prefix}… is already revoked.", messages.INFO)
            return HttpResponseRedirect(change_url)
        if request.method == "POST":
            reason = request.POST.get("reason", "").strip()[:500]
            self._revoke(request, token, reason)
            self.message_user(
                request,
                f"Token {token.prefix}… is revoked; calls made with it are now rejected.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(change_url)
        return self._revoke_confirmation(request, [token], title=f"Revoke token {token.prefix}…")

    @admin.action(description="Revoke selected API tokens", permissions=["revoke"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[ApiToken]):
        live = [token for token in queryset if token.revoked_at is None]
        if not live:
            self.message_user(request, "The selected tokens are already revoked.", messages.INFO)
            return None
        if request.POST.get("post") != "yes":
            return self._revoke_confirmation(request, live, title="Revoke API tokens")
        reason = request.POST.get("reason", "").strip()[:500]
        for token in live:
            self._revoke(request, token, reason)
        self.message_user(request, f"Revoked {len(live)} API token(s).", messages.SUCCESS)
        return None

    def _revoke(self, request: HttpRequest, token: ApiToken, reason: str) -> None:
        api_token_revoke(token=token, actor=request.user, reason=reason)
        message = f"Revoked. Reason: {reason}" if reason else "Revoked."
        self.log_change(request, token, message)

    def _revoke_confirmation(self, request: HttpRequest, tokens: list[ApiToken], *, title: str):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "tokens": tokens,
            "is_action": request.resolver_match.url_name == "tokens_apitoken_changelist",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request, "admin/tokens/apitoken/revoke_confirmation.html", context
        )


def _copy_token(source: ApiToken, target: ApiToken) -> None:
    """Make the admin's unsaved form instance the row a service wrote."""
    for field in ApiToken._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    target._state.adding = False
    target._state.db = source._state.db


def _issued_plaintexts(request: HttpRequest) -> dict[str, dict[str, Any]]:
    """Return the session's waiting plaintexts, without those older than the maximum age."""
    entries = request.session.get(ISSUED_PLAINTEXT_SESSION_KEY) or {}
    oldest = time.time() - ISSUED_PLAINTEXT_MAX_AGE_SECONDS
    return {pk: entry for pk, entry in entries.items() if entry.get("issued_at", 0) >= oldest}


def _issued_plaintext_store(request: HttpRequest, token: ApiToken, plaintext: str) -> None:
    entries = _issued_plaintexts(request)
    entries[str(token.pk)] = {"plaintext": plaintext, "issued_at": time.time()}
    request.session[ISSUED_PLAINTEXT_SESSION_KEY] = entries


def _issued_plaintext_pop(request: HttpRequest, token: ApiToken) -> str | None:
    """Remove and return the token's waiting plaintext, or None if it was shown or expired."""
    entries = _issued_plaintexts(request)
    entry = entries.pop(str(token.pk), None)
    if entries:
        request.session[ISSUED_PLAINTEXT_SESSION_KEY] = entries
    else:
        request.session.pop(ISSUED_PLAINTEXT_SESSION_KEY, None)
    return entry["plaintext"] if entry else None
