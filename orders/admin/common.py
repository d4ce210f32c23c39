"""Helpers, badges and list columns shared by the prebook and purchase order admins."""

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from audit.admin import audit_trail_html
from core.badges import badge
from orders.forms import ReasonForm
from orders.models import Prebook, PrebookItem, PurchaseOrder, PurchaseOrderItem

try:
    from sync.admin import PrebookExchangeInline, PurchaseOrderExchangeInline
except ImportError:  # the sync app's admin is optional for these pages
    PrebookExchangeInline = PurchaseOrderExchangeInline = None


def mapping_queue_url() -> str:
    """Return the URL of the unmapped farm products, or '' when the mapping admin is absent."""
    try:
        return reverse("admin:mapping_vendorproduct_changelist") + "?mapped=unknown"
    except NoReverseMatch:
        return ""


def held_badge(count: int) -> str:
    if not count:
        return "—"
    return badge(f"{count} held", "red", title="Lines held by an unmapped farm code")


def hold_reason_badge(item: PrebookItem | PurchaseOrderItem) -> str:
    if not item.hold_reason:
        return "—"
    return badge(item.get_hold_reason_display(), "red")


def line_fbe(item: PrebookItem | PurchaseOrderItem) -> str:
    fbe = item.box_type.fbe if item.box_type else 1
    return f"{item.boxes * fbe:.3f}".rstrip("0").rstrip(".")


def exchange_inlines(inline: type | None) -> list[type]:
    """Return the sync exchange inline as a list, empty when the sync admin is absent."""
    return [inline] if inline is not None else []


def is_changelist(request: HttpRequest, model: type) -> bool:
    """Return whether the request is for the model's changelist, the only page with totals."""
    match = getattr(request, "resolver_match", None)
    opts = model._meta
    return bool(match) and match.url_name == f"{opts.app_label}_{opts.model_name}_changelist"


def cached_choices(request: HttpRequest, field) -> None:
    """Evaluate a select's choices once per page instead of once per inline row."""
    if field is not None and hasattr(field, "queryset"):
        field.choices = list(field.choices)


def annotated_amount(order: Prebook | PurchaseOrder, name: str) -> str:
    """Format a money total annotated by the changelist queryset, or "—" where it is absent."""
    value = getattr(order, name, None)
    return "—" if value is None else f"{value:,.2f}"


class OrderColumnsMixin:
    """List columns and read-only fields that prebooks and POs show alike.

    The totals columns read the annotations of `prebooks_with_totals` and
    `purchase_orders_with_totals`, so they show "—" on pages without them.
    """

    status_colours: dict[str, str] = {}

    @admin.display(description="status", ordering="status")
    def status_badge(self, order: Prebook | PurchaseOrder) -> str:
        colour = self.status_colours.get(order.status, "grey")
        return badge(order.get_status_display(), colour)

    @admin.display(description="held lines", ordering="held_line_count")
    def held(self, order: Prebook | PurchaseOrder) -> str:
        return held_badge(order.held_line_count)

    @admin.display(description="boxes")
    def total_boxes_display(self, order: Prebook | PurchaseOrder) -> int | str:
        return getattr(order, "total_boxes", "—")

    @admin.display(description="FBE")
    def total_fbe_display(self, order: Prebook | PurchaseOrder) -> str:
        value = getattr(order, "total_fbe", None)
        return "—" if value is None else f"{value:.2f}"

    @admin.display(description="audit trail")
    def audit_trail(self, order: Prebook | PurchaseOrder) -> SafeString | str:
        return audit_trail_html(order)


class ReadOnlyInlineMixin:
    """An inline that shows rows without letting anyone add or edit them here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class LineHoldMixin:
    """The hold column of a prebook or PO line."""

    @admin.display(description="hold")
    def hold(self, item: PrebookItem | PurchaseOrderItem) -> str:
        return hold_reason_badge(item)


def reason_page(
    request: HttpRequest,
    model_admin: admin.ModelAdmin,
    *,
    title: str,
    objects: list,
    form: ReasonForm,
    verb: str,
    action: str = "",
) -> TemplateResponse:
    """Render the intermediate page that requests a reason before a cancellation."""
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": opts,
        "objects": objects,
        "object_list_html": format_html_join("", "<li>{}</li>", ((str(o),) for o in objects)),
        "form": form,
        "action": action,
        "verb": verb,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/orders/reason.html", context)
