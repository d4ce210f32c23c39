"""A farm's own codes for products, box types, carriers and customers.

Every code a farm sends is stored here the first time it is seen. While `target` is
empty the code is unknown: the order lines that use it are kept but held, with a typed
reason, until a person maps it. Later orders with the same code map themselves.
"""

from django.conf import settings
from django.db import models

from catalog.models import BoxType, Carrier, Customer, Product, Vendor
from core.models import TimestampedModel


class HoldReason(models.TextChoices):
    """Why an order line cannot move on yet; empty when nothing holds it."""

    NONE = "", "—"
    PRODUCT_NOT_MAPPED = "product_not_mapped", "Product not mapped"
    BOX_TYPE_NOT_MAPPED = "box_type_not_mapped", "Box type not mapped"
    CARRIER_NOT_MAPPED = "carrier_not_mapped", "Carrier not mapped"
    CUSTOMER_NOT_MAPPED = "customer_not_mapped", "Customer not mapped"


class VendorCode(TimestampedModel):
    """One code as one farm writes it, and what it means in the importer's catalogue."""

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT)
    code = models.CharField(
        max_length=100, help_text="The farm's code, or its description when it sends no code."
    )
    description = models.CharField(max_length=200, blank=True)
    mapped_at = models.DateTimeField(null=True, blank=True)
    mapped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Best catalogue matches, computed when the code is first seen:
    # [{"id": 12, "score": 93.5, "matched": ["species", "colour"]}, ...]
    suggestions = models.JSONField(default=list, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    @property
    def is_mapped(self) -> bool:
        return self.target_id is not None  # type: ignore[attr-defined]

    def __str__(self) -> str:
        text = f"{self.vendor.code}: {self.code}"
        if self.description and self.description != self.code:
            text += f" ({self.description})"
        return text


class VendorProduct(VendorCode):
    target = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.PROTECT, related_name="vendor_products"
    )

    class Meta(VendorCode.Meta):
        constraints = [
            models.UniqueConstraint(fields=["vendor", "code"], name="unique_vendor_product_code")
        ]
        indexes = [models.Index(fields=["target", "-created_at"])]


class VendorBoxType(VendorCode):
    target = models.ForeignKey(
        BoxType, null=True, blank=True, on_delete=models.PROTECT, related_name="vendor_codes"
    )

    class Meta(VendorCode.Meta):
        constraints = [
            models.UniqueConstraint(fields=["vendor", "code"], name="unique_vendor_box_type_code")
        ]


class VendorCarrier(VendorCode):
    target = models.ForeignKey(
        Carrier, null=True, blank=True, on_delete=models.PROTECT, related_name="vendor_codes"
    )

    class Meta(VendorCode.Meta):
        constraints = [
            models.UniqueConstraint(fields=["vendor", "code"], name="unique_vendor_carrier_code")
        ]


class VendorCustomer(VendorCode):
    target = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="vendor_codes"
    )

    class Meta(VendorCode.Meta):
        constraints = [
            models.UniqueConstraint(fields=["vendor", "code"], name="unique_vendor_customer_code")
        ]
