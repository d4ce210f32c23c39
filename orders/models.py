"""Prebooks (what the importer sold), purchase orders (what it buys) and shipped boxes.

A prebook line names the farm that will supply it; the farm's PO lines point back to
the prebook lines they fill, and each shipped box belongs to one PO line. Lines whose
product, box type, carrier or customer is a farm code nobody has mapped yet are kept
with a `hold_reason` until the mapping is made.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Upper

from catalog.models import BoxType, Carrier, Customer, Product, Vendor
from core.models import TimestampedModel
from mapping.models import (
    HoldReason,
    VendorBoxType,
    VendorCarrier,
    VendorCustomer,
    VendorProduct,
)


class UnitType(models.TextChoices):
    STEM = "Stem", "Stem"
    BUNCH = "Bunch", "Bunch"


class Source(models.TextChoices):
    PORTAL = "portal", "Entered in the portal"
    API = "api", "Received through the API"


class PriceMath:
    """Komet's pricing: per bunch, total = bunches × price; per stem, × stems per bunch."""

    @staticmethod
    def units_per_box(unit_type: str, bunches: int, stems_per_bunch: int | None) -> int:
        if unit_type == UnitType.STEM:
            return bunches * (stems_per_bunch or 0)
        return bunches


class Prebook(TimestampedModel):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CANCELLED = "cancelled", "Cancelled"

    class ShipVia(models.IntegerChoices):
        WAREHOUSE = 0, "Warehouse"
        GROWER = 1, "Grower"

    number = models.PositiveIntegerField(unique=True)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="prebooks"
    )
    vendor_customer = models.ForeignKey(
        VendorCustomer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="prebooks",
        help_text="The farm's customer code, while it is not mapped.",
    )
    truck_date = models.DateField(db_index=True)
    carrier = models.ForeignKey(
        Carrier, null=True, blank=True, on_delete=models.PROTECT, related_name="prebooks"
    )
    vendor_carrier = models.ForeignKey(
        VendorCarrier, null=True, blank=True, on_delete=models.PROTECT, related_name="prebooks"
    )
    ship_via = models.PositiveSmallIntegerField(choices=ShipVia.choices, default=ShipVia.WAREHOUSE)
    customer_po = models.CharField("customer PO", max_length=20, blank=True)
    comments = models.CharField(max_length=200, blank=True)
    is_ecommerce = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.PORTAL)
    origin_vendor = models.ForeignKey(
        Vendor,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The farm whose system created this prebook through the API.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    held_line_count = models.PositiveIntegerField(
        default=0, help_text="Lines held by an unmapped code (kept up to date by the services)."
    )

    class Meta:
        ordering = ["-truck_date", "-number"]
        indexes = [models.Index(fields=["-truck_date", "-number"])]

    def __str__(self) -> str:
        return f"Prebook {self.number}"


class PrebookItem(TimestampedModel):
    prebook = models.ForeignKey(Prebook, on_delete=models.CASCADE, related_name="items")
    vendor = models.ForeignKey(
        Vendor, null=True, blank=True, on_delete=models.PROTECT, related_name="prebook_items"
    )
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.PROTECT, related_name="prebook_items"
    )
    vendor_product = models.ForeignKey(
        VendorProduct, null=True, blank=True, on_delete=models.PROTECT, related_name="prebook_items"
    )
    box_type = models.ForeignKey(
        BoxType, null=True, blank=True, on_delete=models.PROTECT, related_name="prebook_items"
    )
    vendor_box_type = models.ForeignKey(
        VendorBoxType, null=True, blank=True, on_delete=models.PROTECT, related_name="prebook_items"
    )
    unit_type = models.CharField(max_length=5, choices=UnitType.choices, default=UnitType.STEM)
    boxes = models.PositiveIntegerField(validators=[MinValueValidator(0)])
    bunches = models.PositiveIntegerField("bunches per box")
    stems_per_bunch = models.PositiveIntegerField(null=True, blank=True)
    cost = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    mark_code = models.CharField(max_length=20, blank=True)
    notes = models.CharField(max_length=200, blank=True)
    vendor_ship_date = models.DateField(null=True, blank=True, db_index=True)
    hold_reason = models.CharField(
        max_length=24,
        choices=HoldReason.choices,
        default=HoldReason.NONE,
        blank=True,
        db_index=True,
    )

    class Meta:
        ordering = ["prebook", "id"]

    def __str__(self) -> str:
        return f"Prebook {self.prebook.number} line {self.pk}"

    @property
    def units_per_box(self) -> int:
        return PriceMath.units_per_box(self.unit_type, self.bunches, self.stems_per_bunch)

    @property
    def total_units(self) -> int:
        return self.boxes * self.units_per_box

    @property
    def total_price(self) -> Decimal:
        return (self.price or Decimal("0")) * self.total_units

    @property
    def total_cost(self) -> Decimal:
        return (self.cost or Decimal("0")) * self.total_units


class PrebookBreakdown(models.Model):
    """One product inside a mixed box of a prebook line."""

    item = models.ForeignKey(PrebookItem, on_delete=models.CASCADE, related_name="breakdowns")
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.PROTECT)
    vendor_product = models.ForeignKey(
        VendorProduct, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    bunches = models.PositiveIntegerField()
    stems_per_bunch = models.PositiveIntegerField(null=True, blank=True)
    cost = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)

    class Meta:
        ordering = ["item", "id"]


class PurchaseOrder(TimestampedModel):
    class Status(models.TextChoices):
        PENDING_APPROVAL = "Pending Approval", "Pending Approval"
        APPROVED = "Approved", "Approved"
        CONFIRMED = "Confirmed by Farm", "Confirmed by Farm"
        SHIPPED = "Shipped", "Shipped"
        CANCELLED = "Cancelled", "Cancelled"

    number = models.CharField(max_length=10, unique=True)
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="purchase_orders")
    ship_date = models.DateField("vendor ship date", db_index=True)
    carrier = models.ForeignKey(
        Carrier,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="purchase_orders",
        help_text="Inbound freight forwarder.",
    )
    vendor_carrier = models.ForeignKey(
        VendorCarrier, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING_APPROVAL, db_index=True
    )
    comments = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.API)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    held_line_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-ship_date", "-id"]
        indexes = [
            models.Index(fields=["vendor", "ship_date"]),
            models.Index(fields=["-ship_date", "-id"]),
        ]
        permissions = [("approve_purchaseorder", "Can approve or reject purchase orders")]

    def __str__(self) -> str:
        return f"PO {self.number}"


class PurchaseOrderItem(TimestampedModel):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        SHIPPED = "shipped", "Shipped"
        DELETED = "deleted", "Deleted"

    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.CASCADE, related_name="items"
    )
    prebook_item = models.ForeignKey(
        PrebookItem, null=True, blank=True, on_delete=models.PROTECT, related_name="po_items"
    )
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.PROTECT, related_name="po_items"
    )
    vendor_product = models.ForeignKey(
        VendorProduct, null=True, blank=True, on_delete=models.PROTECT, related_name="po_items"
    )
    box_type = models.ForeignKey(
        BoxType, null=True, blank=True, on_delete=models.PROTECT, related_name="po_items"
    )
    vendor_box_type = models.ForeignKey(
        VendorBoxType, null=True, blank=True, on_delete=models.PROTECT, related_name="po_items"
    )
    unit_type = models.CharField(max_length=5, choices=UnitType.choices, default=UnitType.STEM)
    boxes = models.PositiveIntegerField()
    bunches = models.PositiveIntegerField("bunches per box")
    stems_per_bunch = models.PositiveIntegerField(null=True, blank=True)
    cost = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    mark_code = models.CharField(max_length=20, blank=True)
    notes = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    split_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="splits",
        help_text="The line this one was split from by a partial shipment.",
    )
    hold_reason = models.CharField(
        max_length=24,
        choices=HoldReason.choices,
        default=HoldReason.NONE,
        blank=True,
        db_index=True,
    )

    class Meta:
        ordering = ["purchase_order", "id"]

    def __str__(self) -> str:
        return f"PO {self.purchase_order.number} line {self.pk}"

    @property
    def units_per_box(self) -> int:
        return PriceMath.units_per_box(self.unit_type, self.bunches, self.stems_per_bunch)

    @property
    def total_cost(self) -> Decimal:
        return (self.cost or Decimal("0")) * self.boxes * self.units_per_box


class PurchaseOrderBreakdown(models.Model):
    po_item = models.ForeignKey(
        PurchaseOrderItem, on_delete=models.CASCADE, related_name="breakdowns"
    )
    prebook_item = models.ForeignKey(
        PrebookItem, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.PROTECT)
    vendor_product = models.ForeignKey(
        VendorProduct, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    bunches = models.PositiveIntegerField()
    stems_per_bunch = models.PositiveIntegerField(null=True, blank=True)
    cost = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)

    class Meta:
        ordering = ["po_item", "id"]


class PurchaseOrderStatusChange(models.Model):
    """One step of a PO's life cycle: who moved it, when, from what, to what and why."""

    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=100, blank=True, help_text="User, token or system.")
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["purchase_order", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or 'created'} → {self.to_status} by {self.actor_label}"


class Box(TimestampedModel):
    """A shipped box; its code is the farm's label barcode and the importer's receiving label."""

    code = models.CharField(max_length=20, unique=True)
    po_item = models.ForeignKey(
        PurchaseOrderItem, on_delete=models.PROTECT, related_name="shipped_boxes"
    )
    sequence = models.PositiveIntegerField(default=1, help_text="Position n of the line's N boxes.")
    lot_number = models.CharField(max_length=20, blank=True)
    awb = models.CharField(
        "AWB", max_length=11, blank=True, db_index=True, help_text="11 digits, no separators."
    )
    house_awb = models.CharField("house AWB", max_length=25, blank=True)
    ship_date = models.DateField(null=True, blank=True, db_index=True)
    received_at = models.DateTimeField(null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_location = models.CharField(max_length=20, blank=True)
    labels_printed = models.PositiveIntegerField(
        default=0, help_text="How many times a label was rendered; later prints are reprints."
    )

    class Meta:
        ordering = ["po_item", "sequence", "id"]
        verbose_name_plural = "boxes"
        constraints = [
            # Box codes are unique across the importer without regard to case. The services
            # store them upper-cased, and this index also rejects writes that bypass them.
            models.UniqueConstraint(
                Upper("code"),
                name="unique_box_code_upper",
                violation_error_message="A box with this code already exists (case is ignored).",
            )
        ]

    def __str__(self) -> str:
        return self.code


class DocumentCounter(models.Model):
    """The last number handed out for one kind of document, locked while allocating."""

    name = models.CharField(max_length=30, unique=True)
    last_value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.last_value}"
