"""Admin for prebooks, the sales side: a sales rep enters the lines a customer ordered.

Saves go through `orders.services.prebooks`. This module only turns requests into service
calls and results into messages.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from catalog.models import BoxType, Vendor
from core.admin import BoundedDateHierarchyMixin
from orders.admin.common import (
    LineHoldMixin,
    OrderColumnsMixin,
    PrebookExchangeInline,
    annotated_amount,
    cached_choices,
    exchange_inlines,
    is_changelist,
    line_fbe,
    reason_page,
)
from orders.forms import (
    LINE_RULE_FIELDS,
    PrebookBreakdownFormSet,
    PrebookForm,
    PrebookItemForm,
    PrebookItemFormSet,
    PrefetchedAutocompleteSelect,
    ReasonForm,
)
from orders.models import Prebook, PrebookBreakdown, PrebookItem
from orders.selectors import prebook_totals, prebooks_with_totals
from orders.services.prebooks import prebook_cancel, prebook_create, prebook_update

PREBOOK_STATUS_COLOURS = {Prebook.Status.OPEN: "blue", Prebook.Status.CANCELLED: "grey"}


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


class PrebookItemInline(LineHoldMixin, admin.TabularInline):
    model = PrebookItem
    form = PrebookItemForm
    formset = PrebookItemFormSet
    extra = 1
    fields = (
        *LINE_RULE_FIELDS,
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
        cached_choices(request, field)
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

    @admin.display(description="mixed box")
    def breakdown_link(self, item: PrebookItem) -> str:
        if item.pk is None:
            return "—"
        url = reverse("admin:orders_prebookitem_change", args=[item.pk])
        count = len(item.breakdowns.all())
        label = f"{count} breakdown(s)" if count else "add breakdown"
        return format_html('<a href="{}">{}</a>', url, label)


@admin.register(Prebook)
class PrebookAdmin(BoundedDateHierarchyMixin, OrderColumnsMixin, admin.ModelAdmin):
    form = PrebookForm
    status_colours = PREBOOK_STATUS_COLOURS
    inlines = [PrebookItemInline, *exchange_inlines(PrebookExchangeInline)]
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
        if is_changelist(request, Prebook):
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

    @admin.display(description="sale total")
    def total_price_display(self, prebook: Prebook) -> str:
        return annotated_amount(prebook, "total_price")

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
        return reason_page(
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
        return reason_page(
            request, self, title=f"Cancel {prebook}", objects=[prebook], form=form, verb="Cancel"
        )


def _breakdown_product_labels(item: PrebookItem | None) -> dict[str, str]:
    if item is None or item.pk is None:
        return {}
    from catalog.models import Product

    products = Product.objects.filter(prebookbreakdown__item=item).distinct()
    return {str(product.pk): str(product) for product in products}


@admin.register(PrebookItem)
class PrebookItemAdmin(LineHoldMixin, admin.ModelAdmin):
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
