"""Admin pages of the mapping app: the four queues, releases and waiting approvals."""

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.html import format_html

from core.badges import badge
from mapping.kinds import SPECS
from mapping.models import (
    ApprovalWaiting,
    MappingKind,
    MappingRelease,
    VendorBoxType,
    VendorCarrier,
    VendorCustomer,
    VendorProduct,
)
from mapping.permissions import user_can_map
from mapping.queue_admin import VendorCodeAdmin
from mapping.release import mapping_release_retry
from mapping.services import MappingError, approval_waiting_cancel


@admin.register(VendorProduct)
class VendorProductAdmin(VendorCodeAdmin):
    spec = SPECS[MappingKind.PRODUCT]
    target_label = "product"


@admin.register(VendorBoxType)
class VendorBoxTypeAdmin(VendorCodeAdmin):
    spec = SPECS[MappingKind.BOX_TYPE]
    target_label = "box type"


@admin.register(VendorCarrier)
class VendorCarrierAdmin(VendorCodeAdmin):
    spec = SPECS[MappingKind.CARRIER]
    target_label = "carrier"


@admin.register(VendorCustomer)
class VendorCustomerAdmin(VendorCodeAdmin):
    spec = SPECS[MappingKind.CUSTOMER]
    target_label = "customer"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by services only, so the admin cannot add, edit or delete them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return user_can_map(request.user) or super().has_view_permission(request, obj)

    def has_map_permission(self, request: HttpRequest) -> bool:
        return user_can_map(request.user)


RELEASE_COLOURS = {
    MappingRelease.State.PENDING: "grey",
    MappingRelease.State.RUNNING: "blue",
    MappingRelease.State.DONE: "green",
    MappingRelease.State.FAILED: "red",
}


@admin.register(MappingRelease)
class MappingReleaseAdmin(ReadOnlyAdmin):
    list_display = [
        "code_label",
        "kind",
        "state_badge",
        "progress",
        "released_pushes",
        "approved_orders",
        "changed_pushes",
        "created_by",
        "created_at",
        "finished_at",
    ]
    list_select_related = ["created_by"]
    list_filter = ["state", "kind"]
    search_fields = ["code_label"]
    show_full_result_count = False
    actions = ["retry"]
    fields = [
        "code_label",
        "kind",
        "state_badge",
        "progress",
        "is_remap",
        "released_pushes",
        "approved_orders",
        "changed_pushes",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
        "last_error",
        "documents",
    ]
    readonly_fields = fields

    @admin.display(description="state", ordering="state")
    def state_badge(self, obj: MappingRelease) -> str:
        return badge(obj.get_state_display(), RELEASE_COLOURS[obj.state], title=obj.last_error)

    @admin.display(description="progress")
    def progress(self, obj: MappingRelease) -> str:
        return format_html(
            '<progress max="100" value="{}" style="width:8em"></progress> {} / {}',
            obj.percent,
            obj.done,
            obj.total,
        )

    @admin.action(description="Run the selected failed releases again", permissions=["map"])
    def retry(self, request: HttpRequest, queryset) -> None:
        failed = list(queryset.filter(state=MappingRelease.State.FAILED))
        for release in failed:
            mapping_release_retry(release=release)
        self.message_user(request, f"Queued {len(failed)} failed release(s) again.")


WAITING_COLOURS = {
    ApprovalWaiting.State.WAITING: "amber",
    ApprovalWaiting.State.APPROVED: "green",
    ApprovalWaiting.State.FAILED: "red",
    ApprovalWaiting.State.CANCELLED: "grey",
}


@admin.register(ApprovalWaiting)
class ApprovalWaitingAdmin(ReadOnlyAdmin):
    list_display = [
        "purchase_order",
        "state_badge",
        "held_lines",
        "requested_by",
        "created_at",
        "resolved_at",
        "release",
        "last_error",
    ]
    list_select_related = ["purchase_order", "requested_by", "release"]
    list_filter = ["state"]
    search_fields = ["purchase_order__number"]
    show_full_result_count = False
    actions = ["cancel"]
    fields = list_display
    readonly_fields = list_display

    @admin.display(description="state", ordering="state")
    def state_badge(self, obj: ApprovalWaiting) -> str:
        return badge(obj.get_state_display(), WAITING_COLOURS[obj.state], title=obj.last_error)

    @admin.display(description="held lines")
    def held_lines(self, obj: ApprovalWaiting) -> int:
        return obj.purchase_order.held_line_count

    @admin.action(description="Withdraw the selected waiting approvals", permissions=["map"])
    def cancel(self, request: HttpRequest, queryset) -> None:
        cancelled = 0
        for waiting in queryset.filter(state=ApprovalWaiting.State.WAITING):
            try:
                approval_waiting_cancel(waiting=waiting, actor=request.user)
            except MappingError as error:
                self.message_user(request, str(error), messages.WARNING)
                continue
            cancelled += 1
        self.message_user(request, f"Withdrew {cancelled} waiting approval(s).")
