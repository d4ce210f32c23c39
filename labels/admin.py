from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from core.admin import BoundedDateHierarchyMixin
from core.badges import badge
from labels.models import LabelBatch

STATE_COLOURS = {
    LabelBatch.State.PENDING: "grey",
    LabelBatch.State.RUNNING: "blue",
    LabelBatch.State.DONE: "green",
    LabelBatch.State.FAILED: "red",
}


@admin.register(LabelBatch)
class LabelBatchAdmin(BoundedDateHierarchyMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "description",
        "state_badge",
        "progress_display",
        "format",
        "requested_by",
        "created_at",
        "page_link",
    )
    list_filter = ("state", "format")
    list_select_related = ("requested_by",)
    search_fields = ("description",)
    date_hierarchy = "created_at"
    exclude = ("box_ids",)
    readonly_fields = (
        "description",
        "state",
        "format",
        "stock",
        "size",
        "dpi",
        "total",
        "progress",
        "file",
        "requested_by",
        "error",
        "skipped_box_codes",
        "started_at",
        "finished_at",
    )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).defer("box_ids")

    @admin.display(description="state", ordering="state")
    def state_badge(self, batch: LabelBatch) -> str:
        return badge(batch.get_state_display(), STATE_COLOURS[batch.state], title=batch.error)

    @admin.display(description="progress")
    def progress_display(self, batch: LabelBatch) -> str:
        return f"{batch.progress} / {batch.total} ({batch.percent} %)"

    @admin.display(description="page")
    def page_link(self, batch: LabelBatch) -> str:
        return format_html('<a href="{}">Open</a>', reverse("labels:batch", args=[batch.pk]))
