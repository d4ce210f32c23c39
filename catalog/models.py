"""Master data: farms (vendors), customers, carriers, box types and the product catalogue.

Field names follow the matching Komet list methods (`vendor.list`, `customer.list`,
`carrier.list`, `boxtype.list`, `product.list`); the API serialises them back under
those names.
"""

import zoneinfo
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models

from core.models import TimestampedModel


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone such as America/Bogota.")


class Vendor(TimestampedModel):
    """A farm the importer buys from; Axerrio farms receive pushes at `push_url`."""

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    port_origin = models.CharField(max_length=4, blank=True, help_text="Origin port, e.g. BOG.")
    active = models.BooleanField(default=True)
    is_axerrio = models.BooleanField(
        "runs Axerrio", default=False, help_text="Prebooks naming this farm are pushed to it."
    )
    push_url = models.URLField("Axerrio push URL", blank=True)
    signing_secret = models.CharField(
        max_length=128,
        blank=True,
        help_text="Shared secret for the HMAC-SHA256 signature on every push to this farm.",
    )
    time_zone = models.CharField(
        max_length=64, default="America/Bogota", validators=[validate_time_zone]
    )
    transit_days = models.PositiveSmallIntegerField(
        default=2, help_text="Days between the farm's ship date and the truck date in Miami."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Customer(TimestampedModel):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    accounting_code = models.CharField(max_length=20, blank=True)
    active = models.BooleanField(default=True)
    sales_person = models.CharField(max_length=200, blank=True)
    sales_person_id = models.BigIntegerField(null=True, blank=True)
    customer_type = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Carrier(TimestampedModel):
    """An inbound freight forwarder (on POs) or an outbound truck line (on prebooks)."""

    class Kind(models.TextChoices):
        INBOUND = "inbound", "Inbound (freight forwarder)"
        OUTBOUND = "outbound", "Outbound (truck line)"

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.OUTBOUND)
    active = models.BooleanField(default=True)
    street = models.CharField(max_length=50, blank=True)
    city = models.CharField(max_length=50, blank=True)
    state = models.CharField(max_length=50, blank=True)
    zip_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=50, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    komet_network_name = models.CharField(max_length=20, blank=True)
    komet_network_id = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class CarrierCutoff(models.Model):
    """The latest time, in the portal's time zone, to book or approve for a weekday."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    carrier = models.ForeignKey(Carrier, on_delete=models.CASCADE, related_name="cutoffs")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    cutoff_time = models.TimeField()

    class Meta:
        ordering = ["carrier", "weekday"]
        constraints = [
            models.UniqueConstraint(fields=["carrier", "weekday"], name="unique_carrier_weekday")
        ]

    def __str__(self) -> str:
        return f"{self.carrier.code} {self.get_weekday_display()} {self.cutoff_time:%H:%M}"


class BoxType(TimestampedModel):
    code = models.CharField(max_length=3, unique=True)
    description = models.CharField(max_length=100, blank=True)
    fbe = models.DecimalField(
        "full-box equivalent", max_digits=6, decimal_places=3, default=Decimal("1")
    )
    komet_network_name = models.CharField(max_length=5, blank=True)
    komet_network_id = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Product(TimestampedModel):
    description = models.CharField(max_length=200)
    active = models.BooleanField(default=True)
    category = models.CharField(max_length=200, blank=True)
    division_id = models.BigIntegerField(null=True, blank=True)
    division_description = models.CharField(max_length=20, blank=True, default="FreshCutFlowers")
    variety = models.CharField(max_length=200, blank=True)
    color = models.CharField(max_length=200, blank=True)
    grade = models.CharField(max_length=200, blank=True, help_text="Grade or length, e.g. 50cm.")
    legacy_code = models.CharField("product code", max_length=20, unique=True)
    tags = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["description"]
        indexes = [models.Index(fields=["description"])]

    def __str__(self) -> str:
        return f"{self.description} [{self.legacy_code}]"
