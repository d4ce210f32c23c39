"""Admin forms for prebook entry and PO decisions; the rules come from the services."""

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect
from django.forms.models import BaseInlineFormSet

from orders.models import Prebook, PrebookBreakdown, PrebookItem
from orders.services.prebooks import (
    breakdown_total_error,
    ordered_boxes_error,
    prebook_header_errors,
    prebook_item_errors,
    prebook_items_ordered_boxes,
    vendor_ship_date_error,
)


class PrebookForm(forms.ModelForm):
    class Meta:
        model = Prebook
        fields = [
            "customer",
            "truck_date",
            "carrier",
            "ship_via",
            "customer_po",
            "comments",
            "is_ecommerce",
        ]

    def clean(self) -> dict:
        cleaned = super().clean()
        probe = Prebook(
            customer=cleaned.get("customer"),
            truck_date=cleaned.get("truck_date"),
            carrier=cleaned.get("carrier"),
        )
        changed = self.instance.pk is None or "truck_date" in self.changed_data
        for name, message in prebook_header_errors(
            prebook=probe, truck_date_changed=changed
        ).items():
            if name in self.fields and name not in self.errors:
                self.add_error(name, message)
        return cleaned


# Packing and cost fields that prebook lines and PO lines both carry.
LINE_PACKING_FIELDS = ("box_type", "boxes", "bunches", "stems_per_bunch", "unit_type", "cost")

# The line fields that prebook_item_errors checks. Line forms and inlines list them first.
LINE_RULE_FIELDS = ("vendor", "product", *LINE_PACKING_FIELDS, "price")


class PrebookItemForm(forms.ModelForm):
    class Meta:
        model = PrebookItem
        fields = [*LINE_RULE_FIELDS, "mark_code", "vendor_ship_date", "notes"]

    def clean(self) -> dict:
        cleaned = super().clean()
        probe = PrebookItem(**{name: cleaned.get(name) for name in LINE_RULE_FIELDS})
        for name, message in prebook_item_errors(item=probe).items():
            if name in self.fields and name not in self.errors:
                self.add_error(name, message)
        if self.instance.pk and not self.has_error("bunches"):
            self._check_breakdowns(cleaned)
        if self.instance.pk is None or "vendor_ship_date" in self.changed_data:
            message = vendor_ship_date_error(vendor_ship_date=cleaned.get("vendor_ship_date"))
            if message and not self.has_error("vendor_ship_date"):
                self.add_error("vendor_ship_date", message)
        if self.instance.pk and not self.has_error("boxes"):
            self._check_ordered_boxes(cleaned)
        return cleaned

    def _check_ordered_boxes(self, cleaned: dict) -> None:
        boxes = cleaned.get("boxes")
        if boxes is None or boxes >= self.instance.boxes:
            return
        ordered = prebook_items_ordered_boxes(prebook_item_ids=[self.instance.pk])
        message = ordered_boxes_error(
            item_id=self.instance.pk, boxes=boxes, ordered=ordered.get(self.instance.pk)
        )
        if message:
            self.add_error("boxes", message)

    def _check_breakdowns(self, cleaned: dict) -> None:
        breakdowns = list(self.instance.breakdowns.all())
        probe = PrebookItem(bunches=cleaned.get("bunches"))
        message = breakdown_total_error(item=probe, breakdowns=breakdowns)
        if message:
            self.add_error("bunches", message + " Edit the line's breakdowns first.")


class PrebookItemFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        # This runs first because the admin's own check of protected rows, run from
        # super().clean(), would otherwise reject the delete without naming the boxes.
        self._check_deleted_lines_not_ordered()
        super().clean()
        if any(self.errors):
            return
        kept = [
            form
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE", False)
        ]
        if not kept:
            raise forms.ValidationError("A prebook needs at least one line.")
        truck_date = getattr(self.instance, "truck_date", None)
        for form in kept:
            ship_date = form.cleaned_data.get("vendor_ship_date")
            if truck_date and ship_date and ship_date > truck_date:
                form.add_error(
                    "vendor_ship_date",
                    f"The farm would ship on {ship_date:%Y-%m-%d}, after the truck date "
                    f"{truck_date:%Y-%m-%d}; choose a date on or before the truck date.",
                )

    def _check_deleted_lines_not_ordered(self) -> None:
        """Reject deleting a line that PO lines still link.

        Django ignores the errors of a form marked for deletion, so the message is a
        formset error.
        """
        deleted_ids = [
            form.instance.pk
            for form in self.forms
            if form.instance.pk and self._should_delete_form(form)
        ]
        ordered = prebook_items_ordered_boxes(prebook_item_ids=deleted_ids)
        messages = [
            ordered_boxes_error(item_id=item_id, boxes=None, ordered=ordered.get(item_id))
            for item_id in deleted_ids
        ]
        messages = [message for message in messages if message]
        if messages:
            raise forms.ValidationError(messages)


class PrebookBreakdownFormSet(BaseInlineFormSet):
    """Breakdowns of one mixed box; their bunches must add up to the line's bunches per box."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        rows = [
            PrebookBreakdown(bunches=form.cleaned_data.get("bunches") or 0)
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE", False)
        ]
        for form in self.forms:
            bunches = form.cleaned_data.get("bunches") if form.cleaned_data else None
            if bunches is not None and bunches < 1:
                form.add_error("bunches", "Bunches must be a positive whole number.")
        message = breakdown_total_error(item=self.instance, breakdowns=rows)
        if message:
            raise forms.ValidationError(message)


class ReasonForm(forms.Form):
    """The reason asked on the intermediate page before rejecting POs or cancelling prebooks."""

    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Recorded on each record's history and sent to the farm with a cancellation.",
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("A reason is required.")
        return reason


class PrefetchedAutocompleteSelect(AutocompleteSelect):
    """An autocomplete select that labels its chosen value from labels loaded once per page.

    The stock widget runs one query per rendered field to label the chosen value, so an
    inline of N lines costs N queries; `labels` ({id as text: label}) removes them. A
    value missing from `labels` falls back to the stock query.
    """

    def __init__(self, field, admin_site, labels: dict[str, str], attrs=None) -> None:
        super().__init__(field, admin_site, attrs=attrs)
        self.labels = labels

    def optgroups(self, name, value, attr=None):
        empty_values = self.choices.field.empty_values
        chosen = [str(item) for item in value if str(item) not in empty_values]
        if any(item not in self.labels for item in chosen):
            return super().optgroups(name, value, attr)
        options = []
        if not self.is_required and not self.allow_multiple_selected:
            options.append(self.create_option(name, "", "", False, 0))
        for item in chosen:
            options.append(self.create_option(name, item, self.labels[item], True, len(options)))
        return [(None, options, 0)]
