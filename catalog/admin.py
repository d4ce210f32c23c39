"""Admin for the master data: farms, customers, carriers and cut-offs, box types, products."""

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from catalog.models import BoxType, Carrier, CarrierCutoff, Customer, Product, Vendor
from core.badges import badge


def mask_secret(secret: str) -> str:
    """Show only the last four characters of a secret, so a screen share does not leak it."""
    if not secret:
        return "—"
    return f"{'•' * 8}{secret[-4:]}" if len(secret) > 8 else "•" * 8


class VendorForm(forms.ModelForm):
    """Vendor form whose signing secret is write-only: left empty, the stored one is kept."""

    new_signing_secret = forms.CharField(
        label="New signing secret",
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Leave empty to keep the current secret. At least 16 characters.",
    )

    class Meta:
        model = Vendor
        fields = [
            "code",
            "name",
            "port_origin",
            "active",
            "time_zone",
            "transit_days",
            "is_axerrio",
            "push_url",
        ]

    def clean_new_signing_secret(self) -> str:
        secret = self.cleaned_data["new_signing_secret"].strip()
        if secret and len(secret) < 16:
            raise forms.ValidationError(
                f"The signing secret must have at least 16 characters, got {len(secret)}."
            )
        return secret

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("is_axerrio") and not cleaned.get("push_url"):
            self.add_error("push_url", "A farm that runs Axerrio needs a push URL.")
        return cleaned

    def save(self, commit: bool = True) -> Vendor:
        vendor = super().save(commit=False)
        if self.cleaned_data.get("new_signing_secret"):
            vendor.signing_secret = self.cleaned_data["new_signing_secret"]
        if commit:
            vendor.save()
        return vendor


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    form = VendorForm
    list_display = ("code", "name", "port_origin", "axerrio", "push_url", "time_zone", "active")
    list_filter = ("active", "is_axerrio", "port_origin", "time_zone")
    search_fields = ("code", "name")
    readonly_fields = ("masked_secret", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("code", "name", "port_origin", "active", "time_zone", "transit_days")}),
        (
            "Axerrio",
            {"fields": ("is_axerrio", "push_url", "masked_secret", "new_signing_secret")},
        ),
        ("Record", {"classes": ("collapse",), "fields": ("created_at", "updated_at")}),
    )

    @admin.display(description="Axerrio", boolean=True, ordering="is_axerrio")
    def axerrio(self, vendor: Vendor) -> bool:
        return vendor.is_axerrio

    @admin.display(description="signing secret")
    def masked_secret(self, vendor: Vendor) -> str:
        return mask_secret(vendor.signing_secret)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "accounting_code", "sales_person", "customer_type", "active")
    list_filter = ("active", "customer_type")
    search_fields = ("code", "name", "accounting_code")


class CarrierCutoffInline(admin.TabularInline):
    model = CarrierCutoff
    extra = 0
    fields = ("weekday", "cutoff_time")
    verbose_name = "cut-off (Eastern time)"
    verbose_name_plural = "cut-offs per weekday (Eastern time)"


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    inlines = [CarrierCutoffInline]
    list_display = ("code", "name", "kind_badge", "city", "phone", "active")
    list_filter = ("kind", "active")
    search_fields = ("code", "name")

    @admin.display(description="kind", ordering="kind")
    def kind_badge(self, carrier: Carrier) -> str:
        colour = "blue" if carrier.kind == Carrier.Kind.INBOUND else "grey"
        return badge(carrier.get_kind_display(), colour)


@admin.register(BoxType)
class BoxTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "description", "fbe", "komet_network_name")
    search_fields = ("code", "description")


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("legacy_code", "description", "category", "variety", "color", "grade", "active")
    list_filter = ("active", "category", "division_description")
    search_fields = ("description", "legacy_code", "variety", "color", "category")
    list_per_page = 50

    def get_search_results(self, request: HttpRequest, queryset, search_term: str):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if request.path.endswith("/autocomplete/"):
            queryset = queryset.filter(active=True)
        return queryset, may_have_duplicates
