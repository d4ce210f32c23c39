"""Admin for shipped boxes, the receiving scan log, and label actions on boxes and POs."""

import datetime
import re

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from core.badges import badge
from labels.services import LabelOptions
from labels.views import labels_download
from orders.awb import awb_error, awb_format, awb_normalize
from orders.models import Box, PurchaseOrder
from orders.services.boxes import box_code_normalize
from receiving.models import BoxScan
from receiving.selectors import BOX_SHIPMENT_ORDER, boxes_for_ids
from receiving.services import scanned_code_clean

# Days back from today whose AWBs the AWB filter offers.
AWB_FILTER_DAYS = 30
AWB_FILTER_MAX_CHOICES = 60

_AWB_WITH_SEPARATORS = re.compile(r"^\d{3}[-\s]\d{4}[-\s]?\d{4}$")


class AwbFilter(admin.SimpleListFilter):
    """AWBs shipped in the last 30 days. ``?awb=`` also takes any other AWB, with separators."""

    title = "AWB"
    parameter_name = "awb"

    def lookups(self, request, model_admin):
        since = timezone.localdate() - datetime.timedelta(days=AWB_FILTER_DAYS)
        awbs = (
            Box.objects.filter(ship_date__gte=since)
            .exclude(awb="")
            .order_by("-awb")
            .values_list("awb", flat=True)
            .distinct()[:AWB_FILTER_MAX_CHOICES]
        )
        return [(awb, awb_format(awb)) for awb in awbs]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(awb=awb_normalize(self.value()))
        return queryset


class ReceivedFilter(admin.SimpleListFilter):
    title = "received"
    parameter_name = "received"

    def lookups(self, request, model_admin):
        return [("yes", "Received"), ("no", "Not received")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(received_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(received_at__isnull=True)
        return queryset


def _download(request: HttpRequest, boxes: QuerySet, options: LabelOptions) -> HttpResponse:
    box_ids = list(boxes.values_list("pk", flat=True))
    return labels_download(
        request,
        boxes=boxes_for_ids(box_ids=box_ids),
        name=f"{len(box_ids)}-boxes",
        description=f"{len(box_ids)} selected boxes",
        options=options,
    )


@admin.action(description="Download labels: PDF, 4x2 thermal", permissions=["view"])
def download_labels_pdf(modeladmin, request, queryset):
    return _download(request, queryset, LabelOptions())


@admin.action(description="Download labels: PDF, letter sheets", permissions=["view"])
def download_labels_letter(modeladmin, request, queryset):
    return _download(request, queryset, LabelOptions(stock="letter"))


@admin.action(description="Download labels: ZPL, 4x2 at 203 dpi", permissions=["view"])
def download_labels_zpl(modeladmin, request, queryset):
    return _download(request, queryset, LabelOptions(format="zpl"))


@admin.register(Box)
class BoxAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "purchase_order_link",
        "vendor",
        "product",
        "box_type",
        "awb_display",
        "ship_date",
        "received_badge",
        "labels_printed",
    )
    list_filter = (AwbFilter, "ship_date", ReceivedFilter, "po_item__purchase_order__vendor")
    list_select_related = (
        "po_item__purchase_order__vendor",
        "po_item__product",
        "po_item__vendor_product",
        "po_item__box_type",
        "po_item__vendor_box_type",
        "received_by",
    )
    search_fields = ("^code", "=po_item__purchase_order__number", "=awb")
    search_help_text = "Box code (or its start), PO number or AWB."
    actions = (download_labels_pdf, download_labels_letter, download_labels_zpl)
    ordering = BOX_SHIPMENT_ORDER
    show_full_result_count = False
    list_per_page = 100
    fields = (
        "code",
        "po_item",
        "sequence",
        "awb",
        "house_awb",
        "lot_number",
        "ship_date",
        "received_at",
        "received_by",
        "received_location",
        "labels_printed",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        # Boxes come from the farms' shipments (purchase.order.items.awb.add).
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # Receiving goes through the scan page, so the form only shows the box.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def get_search_results(self, request, queryset, search_term):
        # Box codes are stored in upper case. PO numbers and AWBs match ignoring case.
        term = box_code_normalize(scanned_code_clean(search_term))
        if _AWB_WITH_SEPARATORS.match(term):
            term = awb_normalize(term)
        return super().get_search_results(request, queryset, term)

    @admin.display(description="PO", ordering="po_item__purchase_order__number")
    def purchase_order_link(self, box: Box) -> str:
        purchase_order = box.po_item.purchase_order
        url = reverse("admin:orders_purchaseorder_change", args=[purchase_order.pk])
        return format_html('<a href="{}">{}</a>', url, purchase_order.number)

    @admin.display(description="vendor", ordering="po_item__purchase_order__vendor__name")
    def vendor(self, box: Box) -> str:
        return box.po_item.purchase_order.vendor.name

    @admin.display(description="product")
    def product(self, box: Box) -> str:
        item = box.po_item
        if item.product is not None:
            return item.product.description
        if item.vendor_product is not None:
            return badge(
                item.vendor_product.description or item.vendor_product.code,
                "red",
                title="Farm product not mapped yet",
            )
        return ""

    @admin.display(description="box type")
    def box_type(self, box: Box) -> str:
        item = box.po_item
        if item.box_type is not None:
            return item.box_type.code
        return item.vendor_box_type.code if item.vendor_box_type is not None else ""

    @admin.display(description="AWB", ordering="awb")
    def awb_display(self, box: Box) -> str:
        if not box.awb:
            return ""
        problem = awb_error(box.awb)
        if not problem:
            return awb_format(box.awb)
        return badge(awb_format(box.awb), "red", title=f"Invalid AWB: {problem}.")

    @admin.display(description="received", ordering="received_at")
    def received_badge(self, box: Box) -> str:
        if box.received_at is None:
            return badge("Not received", "grey")
        when = timezone.localtime(box.received_at).strftime("%Y-%m-%d %H:%M")
        receiver = (
            box.received_by.get_username() if box.received_by else "an API token or a deleted user"
        )
        where = f" at {box.received_location}" if box.received_location else ""
        return badge("Received", "green", title=f"{when} by {receiver}{where}")


@admin.register(BoxScan)
class BoxScanAdmin(admin.ModelAdmin):
    list_display = ("created_at", "code", "outcome", "actor_label", "location", "expected_awb")
    list_filter = ("outcome", "created_at")
    list_select_related = ("box", "user")
    search_fields = ("code",)
    readonly_fields = (
        "created_at",
        "code",
        "box",
        "outcome",
        "user",
        "actor_label",
        "location",
        "expected_awb",
        "message",
    )
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.action(description="Download labels of the selected POs (PDF, 4x2)", permissions=["view"])
def download_purchase_order_labels(modeladmin, request, queryset):
    boxes = Box.objects.filter(po_item__purchase_order__in=queryset).order_by(*BOX_SHIPMENT_ORDER)
    count = queryset.count()
    return labels_download(
        request,
        boxes=boxes,
        name=f"{count}-POs",
        description=f"{count} selected POs",
        options=LabelOptions(),
    )


# The PO changelist belongs to the orders app. Its label action is added here so that
# the label code stays in one place.
if admin.site.is_registered(PurchaseOrder):
    _purchase_order_admin = admin.site.get_model_admin(PurchaseOrder)
    _purchase_order_admin.actions = [
        *(_purchase_order_admin.actions or []),
        download_purchase_order_labels,
    ]
