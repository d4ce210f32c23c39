"""Admin for purchase orders, the buying side: procurement approves or rejects farm POs.

Decisions go through `orders.services.purchase_orders`. This module only turns requests
into service calls and results into messages. Boxes are registered by the receiving app.
"""

import zoneinfo

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html

from core.admin import BoundedDateHierarchyMixin
from core.badges import badge
from orders.admin.common import (
    LineHoldMixin,
    OrderColumnsMixin,
    PurchaseOrderExchangeInline,
    ReadOnlyInlineMixin,
    annotated_amount,
    exchange_inlines,
    is_changelist,
    line_fbe,
    mapping_queue_url,
    reason_page,
)
from orders.forms import LINE_PACKING_FIELDS, ReasonForm
from orders.models import PurchaseOrder, PurchaseOrderItem, PurchaseOrderStatusChange
from orders.selectors import purchase_order_totals, purchase_orders_with_totals
from orders.services.purchase_orders import (
    BulkResult,
    TransitionError,
    purchase_order_approve_when_mapped,
    purchase_order_comment,
    purchase_order_cutoff_warning,
    purchase_orders_approve,
    purchase_orders_reject,
)

PO_STATUS_COLOURS = {
    PurchaseOrder.Status.PENDING_APPROVAL: "amber",
    PurchaseOrder.Status.APPROVED: "blue",
    PurchaseOrder.Status.CONFIRMED: "blue",
    PurchaseOrder.Status.SHIPPED: "green",
    PurchaseOrder.Status.CANCELLED: "grey",
}


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


class PurchaseOrderItemInline(LineHoldMixin, ReadOnlyInlineMixin, admin.TabularInline):
    model = PurchaseOrderItem
    fk_name = "purchase_order"
    fields = (
        "product_display",
        *LINE_PACKING_FIELDS,
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


class StatusChangeInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = PurchaseOrderStatusChange
    max_num = 0
    fields = ("created_at", "from_status", "to_status", "actor_label", "reason")
    readonly_fields = fields
    verbose_name_plural = "status history"

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("actor").order_by("created_at", "id")


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(BoundedDateHierarchyMixin, OrderColumnsMixin, admin.ModelAdmin):
    change_form_template = "admin/orders/purchaseorder/change_form.html"
    status_colours = PO_STATUS_COLOURS
    inlines = [
        PurchaseOrderItemInline,
        StatusChangeInline,
        *exchange_inlines(PurchaseOrderExchangeInline),
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
        if is_changelist(request, PurchaseOrder):
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

    @admin.display(description="cost total")
    def total_cost_display(self, po: PurchaseOrder) -> str:
        return annotated_amount(po, "total_cost")

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
        return reason_page(
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
        return reason_page(
            request, self, title=f"Reject or cancel {po}", objects=[po], form=form, verb="Reject"
        )
