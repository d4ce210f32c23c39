"""The mapping queue: one admin changelist per kind of farm code, built on one base class.

Unknown codes are red and listed first by default, with what they hold back and their
suggestions. Mappers pick a suggestion with one click (a submit button named `map_to`
in the changelist or change form), type a target on the change page, or accept first
suggestions in bulk. Other staff with view permission get the same pages read-only.
"""

import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from core.badges import badge
from mapping.kinds import KindSpec
from mapping.models import VendorCode
from mapping.permissions import user_can_map
from mapping.selectors import held_line_exists, vendor_code_history
from mapping.services import (
    MappingError,
    vendor_code_map,
    vendor_code_shipped_boxes,
    vendor_codes_map_suggested,
    vendor_codes_suggestions_refresh,
)
from mapping.suggest import AUTO_ACCEPT_SCORE

MAPPING_ACTIONS = ("map_first_suggestion", "refresh_suggestions")


class MappedFilter(admin.SimpleListFilter):
    """Unknown codes by default; mapped codes on request."""

    title = "mapping"
    parameter_name = "mapped"

    def lookups(self, request, model_admin):
        return [("unknown", "Unknown"), ("mapped", "Mapped"), ("all", "All")]

    def choices(self, changelist):
        value = self.value() or "unknown"
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or "unknown"
        if value == "unknown":
            return queryset.filter(target__isnull=True)
        if value == "mapped":
            return queryset.filter(target__isnull=False)
        return queryset


class ShipDateFilter(admin.SimpleListFilter):
    """Codes holding at least one line whose farm ship date falls in the chosen range.

    A code with lines on several dates appears under each of them. The filter uses
    EXISTS on the lines rather than the `earliest_ship_date` annotation, so PostgreSQL
    does not compute the annotation for every code in the queue.
    """

    title = "ship date of a held line"
    parameter_name = "ship_date"

    def lookups(self, request, model_admin):
        return [
            ("past", "Already past"),
            ("today", "Today"),
            ("next7", "Next 7 days"),
            ("later", "Later"),
            ("none", "No dated held line"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value not in {"past", "today", "next7", "later", "none"}:
            return queryset
        today = timezone.localdate()
        week = today + datetime.timedelta(days=7)
        ranges = {
            "past": {"lt": today},
            "today": {"exact": today},
            "next7": {"gt": today, "lte": week},
            "later": {"gt": week},
            "none": {"isnull": False},
        }
        condition = held_line_exists(model_admin_spec(queryset), ranges[value])
        return queryset.filter(~condition if value == "none" else condition)


def model_admin_spec(queryset) -> KindSpec:
    from mapping.kinds import spec_for

    return spec_for(queryset.model)


class QueueChangeList(ChangeList):
    """Annotate only the rows of the current page with what they hold.

    PostgreSQL computes select-list subqueries for every row it sorts, so the page is
    first chosen by primary key without the annotations (one query) and then loaded
    with them (one more). Sorting by an annotated column still computes it for all rows.
    """

    def get_results(self, request):
        super().get_results(request)
        page_ids = list(self.result_list.values_list("pk", flat=True))
        rows = self.model_admin.get_queryset(request).filter(pk__in=page_ids).order_by()
        by_id = {row.pk: row for row in rows}
        self.result_list = [by_id[pk] for pk in page_ids if pk in by_id]


class VendorCodeForm(forms.ModelForm):
    """The change form: only the target is editable, and the shipping rule is checked here."""

    class Meta:
        fields = ["target"]

    def clean_target(self):
        target = self.cleaned_data.get("target")
        code = self.instance
        if code.pk and code.target_id is not None and target != code.target:
            shipped = vendor_code_shipped_boxes(code=code)
            if shipped:
                raise ValidationError(
                    f"This code cannot be remapped or unmapped: {shipped} box(es) of lines "
                    "using it have already shipped."
                )
        if target is not None and getattr(target, "active", True) is False:
            raise ValidationError(f"{target} is inactive; choose an active record.")
        return target


class VendorCodeAdmin(admin.ModelAdmin):
    """Base admin of a mapping queue; subclasses set `spec`, `target_label` and the model."""

    spec: KindSpec
    target_label = "catalogue record"
    form = VendorCodeForm
    list_select_related = ("vendor", "target")
    list_filter = [MappedFilter, "vendor", ShipDateFilter]
    search_fields = ["code", "description"]
    ordering = ["-created_at", "-id"]
    list_per_page = 100
    show_full_result_count = False
    actions = ["map_first_suggestion", "refresh_suggestions"]
    autocomplete_fields = ["target"]
    readonly_fields = [
        "vendor",
        "code",
        "description",
        "status_badge",
        "mapped_at",
        "mapped_by",
        "held_summary",
        "suggestion_panel",
        "history",
    ]

    def get_fieldsets(self, request, obj=None):
        mapping_fields = ["status_badge", "target", "suggestion_panel", "mapped_at", "mapped_by"]
        return [
            (None, {"fields": ["vendor", "code", "description"]}),
            ("Mapping", {"fields": mapping_fields}),
            ("Lines held", {"fields": ["held_summary"]}),
            ("History", {"fields": ["history"]}),
        ]

    # --- Permissions ---------------------------------------------------------------------

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # Codes are created when a farm first sends them.

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # Order lines keep pointing at their code.

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return user_can_map(request.user)

    def has_map_permission(self, request: HttpRequest) -> bool:
        return user_can_map(request.user)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return user_can_map(request.user) or super().has_view_permission(request, obj)

    # --- Changelist ----------------------------------------------------------------------

    def get_changelist(self, request: HttpRequest, **kwargs):
        return QueueChangeList

    def get_queryset(self, request: HttpRequest):
        from mapping.selectors import vendor_code_queue

        return vendor_code_queue(self.spec)

    def get_list_display(self, request: HttpRequest):
        suggestions = "suggestion_buttons" if user_can_map(request.user) else "suggestion_list"
        return [
            "status_badge",
            "vendor",
            "code",
            "description",
            suggestions,
            "prebook_lines",
            "po_lines",
            "boxes",
            "earliest_ship_date_display",
            "target_display",
            "created_at",
        ]

    def get_list_display_links(self, request, list_display):
        return ["code"]

    @admin.display(description="status")
    def status_badge(self, obj: VendorCode) -> str:
        if obj.target_id is None:
            return badge("Unknown", "red", title=f"{self.spec.kind.replace('_', ' ')} not mapped")
        return badge("Mapped", "green")

    @admin.display(description="prebook lines held", ordering="held_prebook_lines")
    def prebook_lines(self, obj) -> int:
        return obj.held_prebook_lines

    @admin.display(description="PO lines held", ordering="held_po_lines")
    def po_lines(self, obj) -> int:
        return obj.held_po_lines

    @admin.display(description="boxes held", ordering="held_boxes")
    def boxes(self, obj) -> int:
        return obj.held_boxes

    @admin.display(description="earliest ship date", ordering="earliest_ship_date")
    def earliest_ship_date_display(self, obj):
        return obj.earliest_ship_date or "—"

    @admin.display(description="mapped to", ordering="target")
    def target_display(self, obj) -> str:
        return str(obj.target) if obj.target_id else "—"

    @admin.display(description="suggestions")
    def suggestion_list(self, obj: VendorCode) -> str:
        if not obj.suggestions:
            return "—"
        return format_html_join(
            "",
            "<div>{} <small>{} · {}</small></div>",
            (
                (item["label"], item["score"], ", ".join(item.get("matched", [])) or "text")
                for item in obj.suggestions
            ),
        )

    @admin.display(description="suggestions (click to map)")
    def suggestion_buttons(self, obj: VendorCode) -> str:
        return self._buttons(obj, value_prefix=f"{obj.pk}:")

    def _buttons(self, obj: VendorCode, value_prefix: str) -> str:
        if not obj.suggestions:
            return "—"
        rows = []
        for item in obj.suggestions:
            current = obj.target_id == item["id"]
            matched = ", ".join(item.get("matched", [])) or "text"
            rows.append(
                format_html(
                    '<div><button type="submit" class="button" name="map_to" value="{}{}"{}'
                    ' title="Map to this {}">{}</button> <small>{} · {}</small></div>',
                    value_prefix,
                    item["id"],
                    " disabled" if current else "",
                    self.target_label,
                    item["label"],
                    item["score"],
                    matched,
                )
            )
        return format_html_join("", "{}", ((row,) for row in rows))

    # --- Change page ---------------------------------------------------------------------

    @admin.display(description="suggestions")
    def suggestion_panel(self, obj: VendorCode) -> str:
        # The change form shows buttons only to mappers; the view-only page renders the
        # read-only list because that form has no submit.
        if getattr(obj, "_show_buttons", False):
            return self._buttons(obj, value_prefix="")
        return self.suggestion_list(obj)

    @admin.display(description="lines held by this code")
    def held_summary(self, obj: VendorCode) -> str:
        from orders.models import PrebookItem, PurchaseOrderItem

        spec = self.spec
        prebook_items = PrebookItem.objects.filter(
            **{spec.prebook_code_path: obj, f"{spec.prebook_target_path}__isnull": True}
        ).select_related("prebook")[:50]
        rows = [
            (_admin_link(item.prebook), item.boxes, item.vendor_ship_date or "—")
            for item in prebook_items
        ]
        if spec.po_code_path:
            po_items = PurchaseOrderItem.objects.filter(
                **{spec.po_code_path: obj, f"{spec.po_target_path}__isnull": True}
            ).select_related("purchase_order")[:50]
            rows += [
                (_admin_link(item.purchase_order), item.boxes, item.purchase_order.ship_date)
                for item in po_items
            ]
        if not rows:
            return "Nothing is held by this code."
        return format_html(
            "<table><tr><th>Document</th><th>Boxes</th><th>Ship date</th></tr>{}</table>",
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )

    @admin.display(description="mapping history")
    def history(self, obj: VendorCode) -> str:
        entries = list(vendor_code_history(obj)[:50])
        if not entries:
            return "No mapping change yet."
        rows = [
            (
                timezone.localtime(entry.created_at).strftime("%Y-%m-%d %H:%M"),
                entry.actor_label,
                entry.action.removeprefix("mapping."),
                (entry.changes.get("target") or [None, None])[0] or "—",
                (entry.changes.get("target") or [None, None])[1] or "—",
                entry.reason,
            )
            for entry in entries
        ]
        return format_html(
            "<table><tr><th>When</th><th>Who</th><th>Action</th><th>From</th><th>To</th>"
            "<th>Reason</th></tr>{}</table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                rows,
            ),
        )

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj._show_buttons = user_can_map(request.user)
        return obj

    def save_model(self, request, obj, form, change) -> None:
        # The form has already put the new target on `obj`. The service reads the stored
        # target under a lock, so it still gets the old value and updates the lines too.
        try:
            release = vendor_code_map(code=obj, target=obj.target, actor=request.user)
        except MappingError as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        self._report_release(request, release)

    def save_related(self, request, form, formsets, change) -> None:
        pass  # Farm codes have no related objects edited on this page.

    # --- One-click mapping ---------------------------------------------------------------

    def changelist_view(self, request: HttpRequest, extra_context=None):
        if request.method == "POST":
            if "map_to" in request.POST:
                return self._map_from_button(request, request.POST["map_to"], code_id=None)
            if request.POST.get("action") in MAPPING_ACTIONS and not user_can_map(request.user):
                raise PermissionDenied
        return super().changelist_view(request, extra_context)

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        if request.method == "POST" and "map_to" in request.POST:
            return self._map_from_button(request, request.POST["map_to"], code_id=object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def _map_from_button(self, request: HttpRequest, value: str, code_id):
        """Map a code to the suggestion whose button was pressed ("<code id>:<target id>")."""
        if not user_can_map(request.user):
            raise PermissionDenied
        if code_id is None:
            code_id, _, value = value.partition(":")
        try:
            code = self.model.objects.get(pk=int(code_id))
            target = self.spec.target_model.objects.get(pk=int(value))
        except (ValueError, self.model.DoesNotExist, self.spec.target_model.DoesNotExist):
            self.message_user(
                request, f"Invalid mapping choice {value!r}; reload the page.", messages.ERROR
            )
            return HttpResponseRedirect(request.get_full_path())
        try:
            release = vendor_code_map(code=code, target=target, actor=request.user)
        except MappingError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(request, f"{code.code} mapped to {target}.", messages.SUCCESS)
            self._report_release(request, release)
        return HttpResponseRedirect(request.get_full_path())

    def _report_release(self, request: HttpRequest, release) -> None:
        if release is None:
            return
        url = reverse("admin:mapping_mappingrelease_change", args=[release.pk])
        self.message_user(
            request,
            format_html(
                'Releasing {} held document(s): <a href="{}">follow the progress</a>.',
                release.total,
                url,
            ),
            messages.INFO,
        )

    # --- Actions -------------------------------------------------------------------------

    @admin.action(
        description=f"Map to the first suggestion when it scores {AUTO_ACCEPT_SCORE:g} or more",
        permissions=["map"],
    )
    def map_first_suggestion(self, request: HttpRequest, queryset) -> None:
        mapped, skipped = vendor_codes_map_suggested(
            codes=list(queryset.filter(target__isnull=True)), actor=request.user
        )
        self.message_user(
            request,
            f"Mapped {mapped} code(s); {skipped} left for a person "
            f"(no suggestion scoring {AUTO_ACCEPT_SCORE:g} or more, or already mapped).",
            messages.SUCCESS if mapped else messages.WARNING,
        )

    @admin.action(description="Refresh suggestions", permissions=["map"])
    def refresh_suggestions(self, request: HttpRequest, queryset) -> None:
        count = vendor_codes_suggestions_refresh(codes=list(queryset))
        self.message_user(request, f"Refreshed the suggestions of {count} code(s).")


def _admin_link(obj) -> str:
    """Link to an object's admin page, or its name when no admin page exists for it."""
    opts = obj._meta
    try:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    except NoReverseMatch:
        return str(obj)
    return format_html('<a href="{}">{}</a>', url, obj)
