"""Admin for prebooks (sales entry) and purchase orders (procurement decisions).

Saves and decisions go through `orders.services`; this module only turns requests into
service calls and results into messages. Boxes are registered by the receiving app.
"""

import logging
import zoneinfo

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from audit.admin import audit_trail_html
from catalog.models import BoxType, Vendor
from core.badges import badge
from orders.forms import (
    PrebookBreakdownFormSet,
    PrebookForm,
    PrebookItemForm,
    PrebookItemFormSet,
    PrefetchedAutocompleteSelect,
    ReasonForm,
)
from orders.models import (
    Prebook,
    PrebookBreakdown,
    PrebookItem,
    PurchaseOrder,
    PurchaseOrderItem,
    PurchaseOrderStatusChange,
)
from orders.selectors import (
    prebook_totals,
    prebooks_with_totals,
    purchase_order_totals,
    purchase_orders_with_totals,
)
from orders.services.prebooks import prebook_cancel, prebook_create, prebook_update
from orders.services.purchase_orders import (
    BulkResult,
    TransitionError,
    purchase_order_approve_when_mapped,
    purchase_order_comment,
    purchase_order_cutoff_warning,
    purchase_orders_approve,
    purchase_orders_reject,
)

try:
    from sync.admin import PrebookExchangeInline, PurchaseOrderExchangeInline
except ImportError:  # the sync app's admin is optional for these pages
    PrebookExchangeInline = PurchaseOrderExchangeInline = None

logger = logging.getLogger(__name__)

PO_STATUS_COLOURS = {
    PurchaseOrder.Status.PENDING_APPROVAL: "amber",
    PurchaseOrder.Status.APPROVED: "blue",
    PurchaseOrder.Status.CONFIRMED: "blue",
    PurchaseOrder.Status.SHIPPED: "green",
    PurchaseOrder.Status.CANCELLED: "grey",
}
PREBOOK_STATUS_COLOURS = {Prebook.Status.OPEN: "blue", Prebook.Status.CANCELLED: "grey"}


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


def _exchange_inlines(inline: type | None) -> list[type]:
    return [inline] if inline is not None else []


def _is_changelist(request: HttpRequest, model: type) -> bool:
    """Return whether the request is for the model's changelist, the only page with totals."""
    match = getattr(request, "resolver_match", None)
    opts = model._meta
    return bool(match) and match.url_name == f"{opts.app_label}_{opts.model_name}_changelist"


def _report_prebook_save(model_admin: admin.ModelAdmin, request: HttpRequest, result) -> None:
    for warning in result.warnings:
        model_admin.message_user(request, warning, messages.WARNING)
    if result.pushes:
        sent = ", ".join(f"{kind} to {code}" for code, kind in result.pushes)
        model_admin.message_user(request, f"Queued for the farms: {sent}.", messages.INFO)
    if result.prebook.held_line_count:
        model_admin.message_user(
            request,
            f"{result.prebook.held_line_count} line(s) are held by an unmapped code.",
            messages.WARNING,
        )


def _cached_choices(request: HttpRequest, field) -> None:
    """Evaluate a select's choices once per page instead of once per inline row."""
    if field is not None and hasattr(field, "queryset"):
        field.choices = list(field.choices)


# --- prebooks ---------------------------------------------------------------------------


class PrebookItemInline(admin.TabularInline):
    model = PrebookItem
    form = PrebookItemForm
    formset = PrebookItemFormSet
    extra = 1
    fields = (
        "vendor",
        "product",
        "box_type",
        "boxes",
        "bunches",
        "stems_per_bunch",
        "unit_type",
        "cost",
        "price",
        "mark_code",
        "vendor_ship_date",
        "line_totals",
        "hold",
        "breakdown_link",
    )
    readonly_fields = ("line_totals", "hold", "breakdown_link")
    autocomplete_fields = ("product",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[PrebookItem]:
        return (
            super()
            .get_queryset(request)
            .select_related("prebook", "box_type", "vendor_product")
            .prefetch_related("breakdowns")
        )

    def get_formset(self, request: HttpRequest, obj=None, **kwargs):
        request._product_labels = self._product_labels(obj)
        return super().get_formset(request, obj, **kwargs)

    @staticmethod
    def _product_labels(prebook: Prebook | None) -> dict[str, str]:
        if prebook is None or prebook.pk is None:
            return {}
        from catalog.models import Product

        products = Product.objects.filter(prebook_items__prebook=prebook).distinct()
        return {str(product.pk): str(product) for product in products}

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "product":
            kwargs["widget"] = PrefetchedAutocompleteSelect(
                db_field, self.admin_site, labels=getattr(request, "_product_labels", {})
            )
            return db_field.formfield(**kwargs)
        if db_field.name == "vendor":
            kwargs["queryset"] = Vendor.objects.filter(active=True)
        if db_field.name == "box_type":
            kwargs["queryset"] = BoxType.objects.all()
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        _cached_choices(request, field)
        return field

    @admin.display(description="line total")
    def line_totals(self, item: PrebookItem) -> str:
        if item.pk is None:
            return "—"
        return format_html(
            "{} units · {} FBE<br>cost {} · sale {}",
            item.total_units,
            line_fbe(item),
            f"{item.total_cost:.2f}",
            f"{item.total_price:.2f}",
        )

    @admin.display(description="hold")
    def hold(self, item: PrebookItem) -> str:
        return hold_reason_badge(item)

    @admin.display(description="mixed box")
    def breakdown_link(self, item: PrebookItem) -> str:
        if item.pk is None:
            return "—"
        url = reverse("admin:orders_prebookitem_change", args=[item.pk])
        count = len(item.breakdowns.all())
        label = f"{count} breakdown(s)" if count else "add breakdown"
        return format_html('<a href="{}">{}</a>', url, label)


@admin.register(Prebook)
class PrebookAdmin(admin.ModelAdmin):
    form = PrebookForm
    inlines = [PrebookItemInline, *_exchange_inlines(PrebookExchangeInline)]
    list_display = (
        "number",
        "customer",
        "truck_date",
        "carrier",
        "status_badge",
        "held",
        "total_boxes_display",
        "total_fbe_display",
        "total_price_display",
        "source",
    )
    list_select_related = ("customer", "carrier")
    list_filter = ("status", "source", ("truck_date", admin.DateFieldListFilter), "carrier")
    search_fields = ("=number", "customer__name", "customer__code", "customer_po")
    date_hierarchy = "truck_date"
    autocomplete_fields = ("customer", "carrier")
    readonly_fields = ("number", "status", "source", "created_by", "totals", "audit_trail")
    actions = ["cancel_selected"]
    fieldsets = (
        (None, {"fields": ("number", "status", "customer", "truck_date", "carrier", "ship_via")}),
        (
            "Details",
            {"fields": ("customer_po", "comments", "is_ecommerce", "source", "created_by")},
        ),
        ("Totals", {"fields": ("totals",)}),
        ("History", {"classes": ("collapse",), "fields": ("audit_trail",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Prebook]:
        # On the changelist, list_select_related applies only while the queryset has no
        # select_related of its own.
        queryset = super().get_queryset(request)
        if _is_changelist(request, Prebook):
            return prebooks_with_totals(queryset)
        return queryset.select_related("created_by", "customer", "carrier")

    def get_urls(self):
        urls = [
            path(
                "<int:pk>/cancel/",
                self.admin_site.admin_view(self.cancel_view),
                name="orders_prebook_cancel",
            )
        ]
        return urls + super().get_urls()

    # List columns read the totals annotated by `prebooks_with_totals`.
    @admin.display(description="status", ordering="status")
    def status_badge(self, prebook: Prebook) -> str:
        colour = PREBOOK_STATUS_COLOURS.get(prebook.status, "grey")
        return badge(prebook.get_status_display(), colour)

    @admin.display(description="held lines", ordering="held_line_count")
    def held(self, prebook: Prebook) -> str:
        return held_badge(prebook.held_line_count)

    @admin.display(description="boxes")
    def total_boxes_display(self, prebook: Prebook) -> int | str:
        return getattr(prebook, "total_boxes", "—")

    @admin.display(description="FBE")
    def total_fbe_display(self, prebook: Prebook) -> str:
        value = getattr(prebook, "total_fbe", None)
        return "—" if value is None else f"{value:.2f}"

    @admin.display(description="sale total")
    def total_price_display(self, prebook: Prebook) -> str:
        value = getattr(prebook, "total_price", None)
        return "—" if value is None else f"{value:,.2f}"

    @admin.display(description="totals")
    def totals(self, prebook: Prebook) -> str:
        if prebook.pk is None:
            return "Shown once the prebook is saved."
        totals = prebook_totals(prebook=prebook)
        return format_html(
            "{} line(s), {} box(es), {} FBE, {} units<br>cost {} · sale {} · margin {}",
            totals.lines,
            totals.boxes,
            f"{totals.fbe:.2f}",
            totals.units,
            f"{totals.cost:,.2f}",
            f"{totals.price:,.2f}",
            f"{totals.price - totals.cost:,.2f}",
        )

    @admin.display(description="audit trail")
    def audit_trail(self, prebook: Prebook) -> SafeString | str:
        return audit_trail_html(prebook)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Prebooks are cancelled, never deleted, so the farms and the trail stay in step.
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Prebook, form, change: bool) -> None:
        """Defer the save to save_related, which hands header and lines to one service call."""

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        """Inline rows are saved by the service in save_related; exchanges are read-only."""

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        items_formset = next(fs for fs in formsets if fs.model is PrebookItem)
        items = items_formset.save(commit=False)
        deleted = list(items_formset.deleted_objects)
        try:
            if change:
                result = prebook_update(
                    prebook=form.instance, items=items, deleted_items=deleted, actor=request.user
                )
            else:
                result = prebook_create(prebook=form.instance, items=items, actor=request.user)
        except ValidationError as error:
            # The forms check the same rules first, so this is a race with another change.
            transaction.set_rollback(True)
            self.message_user(request, "; ".join(error.messages), messages.ERROR)
            return
        _report_prebook_save(self, request, result)

    def response_post_save_add(self, request, obj):
        if obj.pk is None:
            return HttpResponseRedirect(reverse("admin:orders_prebook_changelist"))
        return super().response_post_save_add(request, obj)

    @admin.action(description="Cancel selected prebooks", permissions=["change"])
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Prebook]):
        form = ReasonForm(request.POST if "confirm" in request.POST else None)
        if form.is_bound and form.is_valid():
            cancelled, refused = 0, []
            for prebook in queryset:
                try:
                    prebook_cancel(
                        prebook=prebook, actor=request.user, reason=form.cleaned_data["reason"]
                    )
                    cancelled += 1
                except ValidationError as error:
                    refused.append("; ".join(error.messages))
            self.message_user(request, f"Cancelled {cancelled} prebook(s).", messages.SUCCESS)
            for message in refused:
                self.message_user(request, message, messages.WARNING)
            return None
        return _reason_page(
            request,
            self,
            title="Cancel prebooks",
            objects=list(queryset),
            form=form,
            action="cancel_selected",
            verb="Cancel",
        )

    def cancel_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        prebook = get_object_or_404(Prebook, pk=pk)
        if not self.has_change_permission(request, prebook):
            raise PermissionDenied
        form = ReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = prebook_cancel(
                    prebook=prebook, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except ValidationError as error:
                self.message_user(request, "; ".join(error.messages), messages.ERROR)
            else:
                self.message_user(request, f"{prebook} cancelled.", messages.SUCCESS)
                _report_prebook_save(self, request, result)
            return HttpResponseRedirect(reverse("admin:orders_prebook_change", args=[pk]))
        return _reason_page(
            request, self, title=f"Cancel {prebook}", objects=[prebook], form=form, verb="Cancel"
        )


def _breakdown_product_labels(item: PrebookItem | None) -> dict[str, str]:
    if item is None or item.pk is None:
        return {}
    from catalog.models import Product

    products = Product.objects.filter(prebookbreakdown__item=item).distinct()
    return {str(product.pk): str(product) for product in products}


@admin.register(PrebookItem)
class PrebookItemAdmin(admin.ModelAdmin):
    """One prebook line with its mixed-box breakdowns; reached from the prebook page."""

    form = PrebookItemForm
    list_display = ("__str__", "vendor", "product", "boxes", "bunches", "hold")
    list_select_related = ("prebook", "vendor", "product")
    search_fields = ("=prebook__number", "product__description")
    autocomplete_fields = ("product",)
    readonly_fields = ("prebook_link", "hold")
    fields = ("prebook_link", *PrebookItemForm.Meta.fields, "hold")

    class BreakdownInline(admin.TabularInline):
        model = PrebookBreakdown
        formset = PrebookBreakdownFormSet
        fields = ("product", "bunches", "stems_per_bunch", "cost", "price")
        autocomplete_fields = ("product",)
        extra = 1

        def get_queryset(self, request: HttpRequest):
            return super().get_queryset(request).select_related("product")

        def get_formset(self, request: HttpRequest, obj=None, **kwargs):
            request._breakdown_labels = _breakdown_product_labels(obj)
            return super().get_formset(request, obj, **kwargs)

        def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
            if db_field.name == "product":
                labels = getattr(request, "_breakdown_labels", {})
                kwargs["widget"] = PrefetchedAutocompleteSelect(
                    db_field, self.admin_site, labels=labels
                )
                return db_field.formfield(**kwargs)
            return super().formfield_for_foreignkey(db_field, request, **kwargs)

    inlines = [BreakdownInline]

    def get_model_perms(self, request: HttpRequest) -> dict:
        return {}  # edited through its prebook, so hidden from the index

    def get_queryset(self, request: HttpRequest) -> QuerySet[PrebookItem]:
        return super().get_queryset(request).select_related("prebook", "vendor_product")

    @admin.display(description="prebook")
    def prebook_link(self, item: PrebookItem) -> str:
        url = reverse("admin:orders_prebook_change", args=[item.prebook_id])
        return format_html('<a href="{}">{}</a>', url, item.prebook)

    @admin.display(description="hold")
    def hold(self, item: PrebookItem) -> str:
        return hold_reason_badge(item)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: PrebookItem, form, change: bool) -> None:
        """Defer the save to save_related, so the line and its breakdowns go in one call."""

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        """Breakdowns are saved by the service in save_related."""

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        formset = formsets[0]
        breakdowns = formset.save(commit=False)
        try:
            result = prebook_update(
                prebook=form.instance.prebook,
                items=[form.instance],
                breakdowns=breakdowns,
                deleted_breakdowns=list(formset.deleted_objects),
                actor=request.user,
            )
        except ValidationError as error:
            transaction.set_rollback(True)
            self.message_user(request, "; ".join(error.messages), messages.ERROR)
            return
        _report_prebook_save(self, request, result)

    def response_change(self, request: HttpRequest, obj: PrebookItem) -> HttpResponse:
        if "_continue" in request.POST:
            return super().response_change(request, obj)
        return HttpResponseRedirect(reverse("admin:orders_prebook_change", args=[obj.prebook_id]))


# --- purchase orders --------------------------------------------------------------------


class HeldFilter(admin.SimpleListFilter):
    title = "held by mapping"
    parameter_name = "held"

    def lookups(self, request, model_admin):
        return (("yes", "Has held lines"), ("no", "Nothing held"))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(held_line_count__gt=0)
        if self.value() == "no":
            return queryset.filter(held_line_count=0)
        return queryset


class PurchaseOrderItemInline(admin.TabularInline):
    model = PurchaseOrderItem
    fk_name = "purchase_order"
    extra = 0
    can_delete = False
    fields = (
        "product_display",
        "box_type",
        "boxes",
        "bunches",
        "stems_per_bunch",
        "unit_type",
        "cost",
        "line_totals",
        "mark_code",
        "status",
        "hold",
        "prebook_item",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[PurchaseOrderItem]:
        return (
            super()
            .get_queryset(request)
            .select_related(
                "purchase_order",
                "product",
                "vendor_product__vendor",
                "box_type",
                "vendor_box_type__vendor",
                "prebook_item__prebook",
            )
        )

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="product")
    def product_display(self, item: PurchaseOrderItem) -> str:
        if item.product:
            return str(item.product)
        if item.vendor_product:
            return format_html("{} <small>(farm code)</small>", item.vendor_product)
        return "—"

    @admin.display(description="line total")
    def line_totals(self, item: PurchaseOrderItem) -> str:
        units = item.boxes * item.units_per_box
        return format_html(
            "{} units · {} FBE · cost {}", units, line_fbe(item), f"{item.total_cost:.2f}"
        )

    @admin.display(description="hold")
    def hold(self, item: PurchaseOrderItem) -> str:
        return hold_reason_badge(item)


class StatusChangeInline(admin.TabularInline):
    model = PurchaseOrderStatusChange
    extra = 0
    max_num = 0
    can_delete = False
    fields = ("created_at", "from_status", "to_status", "actor_label", "reason")
    readonly_fields = fields
    verbose_name_plural = "status history"

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("actor").order_by("created_at", "id")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(admin.ModelAdmin):
    change_form_template = "admin/orders/purchaseorder/change_form.html"
    inlines = [
        PurchaseOrderItemInline,
        StatusChangeInline,
        *_exchange_inlines(PurchaseOrderExchangeInline),
    ]
    list_display = (
        "number",
        "vendor",
        "ship_date",
        "carrier",
        "status_badge",
        "held",
        "total_boxes_display",
        "total_fbe_display",
        "total_cost_display",
        "approved_at",
    )
    list_select_related = ("vendor", "carrier")
    list_filter = (
        "status",
        HeldFilter,
        ("ship_date", admin.DateFieldListFilter),
        "vendor",
        "carrier",
        "source",
    )
    search_fields = ("=number", "vendor__name", "vendor__code")
    date_hierarchy = "ship_date"
    fields = (
        "number",
        "vendor",
        "ship_date",
        "carrier",
        "status",
        "comments",
        "source",
        "approved_at",
        "approved_at_farm",
        "approved_by",
        "held_summary",
        "totals",
        "labels_link",
        "audit_trail",
    )
    readonly_fields = tuple(name for name in fields if name != "comments")
    actions = ["approve_selected", "approve_when_mapped_selected", "reject_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PurchaseOrder]:
        queryset = super().get_queryset(request)
        if _is_changelist(request, PurchaseOrder):
            return purchase_orders_with_totals(queryset)
        return queryset.select_related("approved_by", "vendor", "carrier")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # POs come from the farms through the API

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: PurchaseOrder, form, change: bool) -> None:
        # Only the comments are editable here; status changes go through the decision views.
        purchase_order_comment(po=obj, comments=obj.comments, actor=request.user)

    def has_approve_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.has_perm("orders.approve_purchaseorder")

    def get_urls(self):
        view = self.admin_site.admin_view
        urls = [
            path("<int:pk>/approve/", view(self.approve_view), name="orders_purchaseorder_approve"),
            path("<int:pk>/reject/", view(self.reject_view), name="orders_purchaseorder_reject"),
            path(
                "<int:pk>/approve-when-mapped/",
                view(self.approve_when_mapped_view),
                name="orders_purchaseorder_approve_when_mapped",
            ),
        ]
        return urls + super().get_urls()

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_approve"] = bool(obj) and self.has_approve_permission(request, obj)
        context["is_pending"] = bool(obj) and obj.status == PurchaseOrder.Status.PENDING_APPROVAL
        context["can_cancel"] = bool(obj) and obj.status in (
            PurchaseOrder.Status.PENDING_APPROVAL,
            PurchaseOrder.Status.APPROVED,
            PurchaseOrder.Status.CONFIRMED,
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    # --- columns and read-only fields ---

    @admin.display(description="status", ordering="status")
    def status_badge(self, po: PurchaseOrder) -> str:
        return badge(po.get_status_display(), PO_STATUS_COLOURS.get(po.status, "grey"))

    @admin.display(description="held lines", ordering="held_line_count")
    def held(self, po: PurchaseOrder) -> str:
        return held_badge(po.held_line_count)

    @admin.display(description="boxes")
    def total_boxes_display(self, po: PurchaseOrder) -> int | str:
        return getattr(po, "total_boxes", "—")

    @admin.display(description="FBE")
    def total_fbe_display(self, po: PurchaseOrder) -> str:
        value = getattr(po, "total_fbe", None)
        return "—" if value is None else f"{value:.2f}"

    @admin.display(description="cost total")
    def total_cost_display(self, po: PurchaseOrder) -> str:
        value = getattr(po, "total_cost", None)
        return "—" if value is None else f"{value:,.2f}"

    @admin.display(description="approved (farm time)")
    def approved_at_farm(self, po: PurchaseOrder) -> str:
        if po.approved_at is None:
            return "—"
        zone = zoneinfo.ZoneInfo(po.vendor.time_zone)
        return f"{po.approved_at.astimezone(zone):%Y-%m-%d %H:%M} {po.vendor.time_zone}"

    @admin.display(description="held lines")
    def held_summary(self, po: PurchaseOrder) -> str:
        if not po.held_line_count:
            return "Nothing held."
        url = mapping_queue_url()
        text = badge(f"{po.held_line_count} line(s) held by an unmapped code", "red")
        if url:
            return format_html('{} <a href="{}">Open the mapping queue</a>', text, url)
        return text

    @admin.display(description="totals")
    def totals(self, po: PurchaseOrder) -> str:
        totals = purchase_order_totals(po=po)
        return format_html(
            "{} line(s), {} box(es), {} FBE, {} units, cost {}",
            totals.lines,
            totals.boxes,
            f"{totals.fbe:.2f}",
            totals.units,
            f"{totals.cost:,.2f}",
        )

    @admin.display(description="labels")
    def labels_link(self, po: PurchaseOrder) -> str:
        try:
            url = reverse("labels:po", args=[po.pk])
        except NoReverseMatch:
            return "Label downloads are not available."
        return format_html('<a href="{}">Download receiving labels (PDF)</a>', url)

    @admin.display(description="audit trail")
    def audit_trail(self, po: PurchaseOrder) -> SafeString | str:
        return audit_trail_html(po)

    # --- decisions ---

    def _report(self, request: HttpRequest, result: BulkResult, verb: str) -> None:
        if result.done:
            numbers = ", ".join(po.number for po in result.done)
            self.message_user(request, f"{verb} {len(result.done)} PO(s): {numbers}.")
        for _po, message in result.failed:
            self._message_refusal(request, message)
        for warning in result.warnings:
            self.message_user(request, warning, messages.WARNING)

    def _message_refusal(self, request: HttpRequest, message: str) -> None:
        url = mapping_queue_url()
        if url and "mapping queue" in message:
            text = format_html('{} <a href="{}">Open the mapping queue</a>.', message, url)
            self.message_user(request, text, messages.ERROR)
        else:
            self.message_user(request, message, messages.ERROR)

    @admin.action(description="Approve selected POs", permissions=["approve"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[PurchaseOrder]) -> None:
        pos = list(queryset.select_related("vendor", "carrier").order_by("id"))
        self._report(request, purchase_orders_approve(pos=pos, actor=request.user), "Approved")

    @admin.action(description="Approve selected POs once mapped", permissions=["approve"])
    def approve_when_mapped_selected(self, request: HttpRequest, queryset) -> None:
        for po in queryset.order_by("id"):
            self._approve_when_mapped(request, po)

    @admin.action(description="Reject or cancel selected POs", permissions=["approve"])
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[PurchaseOrder]):
        form = ReasonForm(request.POST if "confirm" in request.POST else None)
        if form.is_bound and form.is_valid():
            pos = list(queryset.order_by("id"))
            result = purchase_orders_reject(
                pos=pos, actor=request.user, reason=form.cleaned_data["reason"]
            )
            self._report(request, result, "Cancelled")
            return None
        return _reason_page(
            request,
            self,
            title="Reject or cancel POs",
            objects=list(queryset.select_related("vendor")),
            form=form,
            action="reject_selected",
            verb="Reject",
        )

    def _decision_object(self, request: HttpRequest, pk: int) -> PurchaseOrder:
        po = get_object_or_404(PurchaseOrder.objects.select_related("vendor", "carrier"), pk=pk)
        if not self.has_approve_permission(request, po):
            raise PermissionDenied
        return po

    def _back(self, pk: int) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:orders_purchaseorder_change", args=[pk]))

    def approve_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        po = self._decision_object(request, pk)
        if request.method != "POST":
            return self._back(pk)
        self._report(request, purchase_orders_approve(pos=[po], actor=request.user), "Approved")
        return self._back(pk)

    def approve_when_mapped_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        po = self._decision_object(request, pk)
        if request.method == "POST":
            self._approve_when_mapped(request, po)
        return self._back(pk)

    def _approve_when_mapped(self, request: HttpRequest, po: PurchaseOrder) -> None:
        try:
            outcome = purchase_order_approve_when_mapped(po=po, actor=request.user)
        except TransitionError as error:
            self._message_refusal(request, str(error))
            return
        if isinstance(outcome, PurchaseOrder):
            self.message_user(request, f"{po} had nothing held and is approved.")
            warning = purchase_order_cutoff_warning(po=outcome)
            if warning:
                self.message_user(request, warning, messages.WARNING)
        else:
            self.message_user(
                request, f"{po} will be approved as soon as its held lines are mapped."
            )

    def reject_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        po = self._decision_object(request, pk)
        form = ReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            result = purchase_orders_reject(
                pos=[po], actor=request.user, reason=form.cleaned_data["reason"]
            )
            self._report(request, result, "Cancelled")
            return self._back(pk)
        return _reason_page(
            request, self, title=f"Reject or cancel {po}", objects=[po], form=form, verb="Reject"
        )


def _reason_page(
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
