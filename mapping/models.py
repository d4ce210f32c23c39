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
    """The reason an order line cannot move on yet, or empty when the line is free to go."""

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
    # Best catalogue matches, computed when the code is first seen (see mapping.suggestions):
    # [{"id": 12, "label": "Rose Freedom Red 50cm [RS-FREEDOM-50]", "score": 93.5,
    #   "matched": ["species", "colour"]}, ...]
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


class MappingKind(models.TextChoices):
    """The four kinds of farm code a person maps, named as in the admin queues."""

    PRODUCT = "product", "Product"
    BOX_TYPE = "box_type", "Box type"
    CARRIER = "carrier", "Carrier"
    CUSTOMER = "customer", "Customer"


class MappingRelease(TimestampedModel):
    """The re-drive of every document a code held, run by a Celery task after a mapping.

    `documents` is fixed when the release is created ([{"type": "prebook" or
    "purchase_order", "id": 12}, ...]) and the task works through it in order, so `done`
    is also the position to resume from after a crash.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=10, choices=MappingKind.choices)
    code_id = models.PositiveBigIntegerField(help_text="Primary key of the farm code row.")
    code_label = models.CharField(max_length=200)
    documents = models.JSONField(default=list, blank=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.PENDING, db_index=True
    )
    is_remap = models.BooleanField(
        default=False,
        help_text="The code was mapped before, so approved POs get a changed push.",
    )
    released_pushes = models.PositiveIntegerField(
        default=0, help_text="Held pushes sent on to the farm."
    )
    changed_pushes = models.PositiveIntegerField(
        default=0, help_text="Changed pushes written for approved POs after a remap."
    )
    approved_orders = models.PositiveIntegerField(
        default=0, help_text="Purchase orders approved because an approval was waiting."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "code_id"])]

    def __str__(self) -> str:
        return f"Release after mapping {self.code_label}"

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if self.state == self.State.DONE else 0
        return round(100 * self.done / self.total)


class ApprovalWaiting(TimestampedModel):
    """A request to approve a PO that still had held lines, carried out by a release."""

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting for mapping"
        APPROVED = "approved", "Approved"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    purchase_order = models.ForeignKey(
        "orders.PurchaseOrder", on_delete=models.CASCADE, related_name="approvals_waiting"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.WAITING, db_index=True
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    release = models.ForeignKey(
        MappingRelease, null=True, blank=True, on_delete=models.SET_NULL, related_name="approvals"
    )
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "approval waiting for mapping"
        verbose_name_plural = "approvals waiting for mapping"
        constraints = [
            models.UniqueConstraint(
                fields=["purchase_order"],
                condition=models.Q(state="waiting"),
                name="unique_waiting_approval_per_po",
            )
        ]

    def __str__(self) -> str:
        return f"Approval of PO {self.purchase_order.number} ({self.get_state_display()})"
