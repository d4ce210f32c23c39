"""Admin for the exchange ledger: every inbound call and outbound push, read-only.

People act on pushes only through the "retry now" and "cancel" actions, which go through
sync.services and are recorded with who did them.
"""

import json

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from core.badges import badge
from sync.models import Exchange, ExchangeAction, ExchangeAttempt, ExchangeState
from sync.services import exchange_cancel, exchange_retry
from sync.states import ExchangeTransitionError

STATE_COLOURS = {
    ExchangeState.PENDING: "blue",
    ExchangeState.SENT: "blue",
    ExchangeState.PROCESSED: "green",
    ExchangeState.FAILED: "amber",
    ExchangeState.NEEDS_ATTENTION: "red",
    ExchangeState.HELD: "amber",
    ExchangeState.CANCELLED: "grey",
    ExchangeState.REJECTED: "grey",
}
# Columns the changelist never shows; deferring them keeps large payloads out of the list.
HEAVY_FIELDS = ("payload", "response_body", "last_error")


def state_badge(exchange: Exchange) -> str:
    return badge(exchange.get_state_display(), STATE_COLOURS.get(exchange.state, "grey"))


def pretty_json(text_or_value) -> str:
    """Render JSON (or a JSON string) indented inside <pre>, escaped; other text as is."""
    value = text_or_value
    if isinstance(text_or_value, str):
        try:
            value = json.loads(text_or_value)
        except ValueError:
            return format_html('<pre style="white-space:pre-wrap">{}</pre>', text_or_value)
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return format_html('<pre style="white-space:pre-wrap">{}</pre>', text)


def _admin_link(url_name: str, pk: int, text: str) -> str:
    try:
        url = reverse(url_name, args=[pk])
    except NoReverseMatch:
        # The orders admin is optional for this app; show the number without a link.
        return text
    return format_html('<a href="{}">{}</a>', url, text)


def document_link(exchange: Exchange) -> str:
    """Link to the PO or prebook the row concerns, or '' when it concerns none."""
    if exchange.purchase_order_id:
        return _admin_link(
            "admin:orders_purchaseorder_change",
            exchange.purchase_order_id,
            f"PO {exchange.purchase_order.number}",
        )
    if exchange.prebook_id:
        return _admin_link(
            "admin:orders_prebook_change", exchange.prebook_id, f"Prebook {exchange.prebook.number}"
        )
    return ""


class ExchangeAttemptInline(admin.TabularInline):
    model = ExchangeAttempt
    extra = 0
    can_delete = False
    fields = ("number", "started_at", "finished_at", "http_status", "duration_ms", "error")
    readonly_fields = fields
    ordering = ("started_at", "id")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ExchangeActionInline(admin.TabularInline):
    model = ExchangeAction
    extra = 0
    can_delete = False
    fields = ("created_at", "action", "actor", "note")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Exchange)
class ExchangeAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "created_at",
        "direction",
        "kind",
        "vendor",
        "document",
        "external_id",
        "state_display",
        "attempts",
        "next_attempt_at",
        "response_status",
    )
    list_filter = ("direction", "state", "kind", "vendor", "created_at")
    list_select_related = ("vendor", "purchase_order", "prebook")
    search_fields = ("external_id", "purchase_order__number", "method")
    show_full_result_count = False
    list_per_page = 100
    actions = ("retry_now", "cancel")
    inlines = (ExchangeAttemptInline, ExchangeActionInline)
    fieldsets = (
        (None, {
            "fields": (
                "direction", "kind", "method", "vendor", "document", "external_id",
                "state_display", "attempts", "next_attempt_at", "last_error",
            )
        }),
        ("Timestamps", {"fields": ("occurred_at", "created_at", "updated_at", "sent_at",
                                   "processed_at")}),
        ("Payload", {"fields": ("payload_sha256", "payload_display")}),
        ("Response", {"fields": ("response_status", "response_display", "remote_address",
                               "token_prefix")}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [field for fieldset in self.fieldsets for field in fieldset[1]["fields"]]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Exchange]:
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("_changelist"):
            queryset = queryset.defer(*HEAVY_FIELDS)
        return queryset

    def get_search_results(self, request: HttpRequest, queryset, search_term: str):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # Prebook numbers are integers, so they are matched exactly and only for digits.
        term = search_term.strip()
        if term.isdigit():
            queryset |= self.model.objects.filter(prebook__number=int(term))
        return queryset, may_have_duplicates

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="document")
    def document(self, obj: Exchange) -> str:
        return document_link(obj)

    @admin.display(description="state", ordering="state")
    def state_display(self, obj: Exchange) -> str:
        return state_badge(obj)

    @admin.display(description="payload")
    def payload_display(self, obj: Exchange) -> str:
        return pretty_json(obj.payload)

    @admin.display(description="response body")
    def response_display(self, obj: Exchange) -> str:
        return pretty_json(obj.response_body) if obj.response_body else "-"

    def _apply(self, request: HttpRequest, queryset, action, verb: str) -> None:
        done, rejected = 0, []
        for exchange in queryset.select_related(None).only("pk"):
            try:
                action(exchange=exchange, actor=request.user, note=f"{verb} from the admin")
            except ExchangeTransitionError as error:
                rejected.append(str(error))
            else:
                done += 1
        if done:
            self.message_user(request, f"{verb}: {done} exchange(s).", messages.SUCCESS)
        for message in rejected[:10]:
            self.message_user(request, message, messages.WARNING)
        if len(rejected) > 10:
            self.message_user(
                request, f"{len(rejected) - 10} more exchange(s) skipped.", messages.WARNING
            )

    @admin.action(description="Retry now", permissions=["change"])
    def retry_now(self, request: HttpRequest, queryset) -> None:
        self._apply(request, queryset, exchange_retry, "Retried")

    @admin.action(description="Cancel", permissions=["change"])
    def cancel(self, request: HttpRequest, queryset) -> None:
        self._apply(request, queryset, exchange_cancel, "Cancelled")


class DocumentExchangeInline(admin.TabularInline):
    """Read-only list of a document's ledger rows, newest first, linked to each row."""

    model = Exchange
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True
    fields = ("row_link", "created_at", "kind", "vendor", "state_display", "attempts",
              "last_error")
    readonly_fields = fields
    ordering = ("-created_at", "-id")
    verbose_name = "exchange"
    verbose_name_plural = "exchanges with the farm"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Exchange]:
        return super().get_queryset(request).select_related("vendor").defer(
            "payload", "response_body"
        )

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="exchange")
    def row_link(self, obj: Exchange) -> str:
        url = reverse("admin:sync_exchange_change", args=[obj.pk])
        return format_html('<a href="{}">#{}</a>', url, obj.pk)

    @admin.display(description="state")
    def state_display(self, obj: Exchange) -> str:
        return state_badge(obj)


class PurchaseOrderExchangeInline(DocumentExchangeInline):
    fk_name = "purchase_order"


class PrebookExchangeInline(DocumentExchangeInline):
    fk_name = "prebook"
