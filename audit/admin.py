"""The audit trail in the admin: read-only, filterable, and shown on each audited record."""

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from audit.models import AuditEntry

TRAIL_LIMIT = 50


def audit_entries_for(obj: models.Model, *, limit: int = TRAIL_LIMIT) -> list[AuditEntry]:
    """Return the newest audit entries of one record, in one query."""
    content_type = ContentType.objects.get_for_model(obj, for_concrete_model=False)
    return list(
        AuditEntry.objects.filter(content_type=content_type, object_id=str(obj.pk))
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )


def audit_trail_html(obj: models.Model | None) -> SafeString | str:
    """Render the record's audit trail as a table for a read-only admin field."""
    if obj is None or obj.pk is None:
        return "—"
    entries = audit_entries_for(obj)
    return render_to_string(
        "admin/audit/trail.html", {"entries": entries, "limit": TRAIL_LIMIT}
    )


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor_label", "action", "content_type", "object_repr", "reason")
    list_filter = ("action", "content_type", ("created_at", admin.DateFieldListFilter))
    search_fields = ("object_repr", "actor_label", "object_id", "reason")
    list_select_related = ("content_type", "actor")
    date_hierarchy = "created_at"
    show_full_result_count = False
    readonly_fields = [field.name for field in AuditEntry._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
