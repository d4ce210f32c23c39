"""The exchange ledger: one row per inbound API call and per outbound push to a farm.

Outbound rows double as the outbox: a push is written in the same transaction as the
change that causes it, and the delivery task and the periodic sweep work from the row.
"""

import hashlib
import json

from django.conf import settings
from django.db import models

from catalog.models import Vendor
from core.models import TimestampedModel


class Direction(models.TextChoices):
    INBOUND = "in", "Inbound"
    OUTBOUND = "out", "Outbound"


class ExchangeKind(models.TextChoices):
    # Inbound: one kind per API method family.
    API_CALL = "api.call", "API call received"
    PREBOOK_RECEIVED = "prebook.received", "Prebook received"
    PO_RECEIVED = "purchase_order.received", "PO received"
    SHIPMENT_RECEIVED = "shipment.received", "Shipment received"
    # Outbound pushes; the value is the event type sent to the farm.
    PO_APPROVED = "purchase_order.approved", "PO approved pushed"
    PO_CHANGED = "purchase_order.changed", "PO changed pushed"
    PO_CANCELLED = "purchase_order.cancelled", "PO cancelled pushed"
    PREBOOK_CREATED = "prebook.created", "Prebook created pushed"
    PREBOOK_CHANGED = "prebook.changed", "Prebook changed pushed"
    PREBOOK_CANCELLED = "prebook.cancelled", "Prebook cancelled pushed"


class ExchangeState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent (in flight)"
    PROCESSED = "processed", "Processed"
    FAILED = "failed", "Failed, will retry"
    NEEDS_ATTENTION = "needs_attention", "Needs attention"
    HELD = "held", "Held by mapping"
    CANCELLED = "cancelled", "Cancelled"
    REJECTED = "rejected", "Rejected"


def payload_digest(payload: object) -> str:
    """Return the SHA-256 of the payload's canonical JSON (sorted keys, no spaces)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class Exchange(TimestampedModel):
    direction = models.CharField(max_length=3, choices=Direction.choices)
    kind = models.CharField(max_length=40, choices=ExchangeKind.choices)
    method = models.CharField(
        max_length=60, blank=True, help_text="API method of an inbound call."
    )
    vendor = models.ForeignKey(
        Vendor, null=True, blank=True, on_delete=models.PROTECT, related_name="exchanges"
    )
    prebook = models.ForeignKey(
        "orders.Prebook", null=True, blank=True, on_delete=models.SET_NULL, related_name="exchanges"
    )
    purchase_order = models.ForeignKey(
        "orders.PurchaseOrder",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="exchanges",
    )
    document_key = models.CharField(
        max_length=40,
        blank=True,
        db_index=True,
        help_text="Pushes with the same key (one document) are delivered in order.",
    )
    external_id = models.CharField(
        max_length=100, help_text="Event id of a push, or request id of an inbound call."
    )
    payload = models.JSONField(default=dict, blank=True)
    payload_sha256 = models.CharField(max_length=64, blank=True)
    state = models.CharField(
        max_length=20, choices=ExchangeState.choices, default=ExchangeState.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    remote_address = models.GenericIPAddressField(null=True, blank=True)
    token_prefix = models.CharField(max_length=16, blank=True)
    occurred_at = models.DateTimeField(
        null=True, blank=True, help_text="When the change that caused a push was made (UTC)."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "kind", "external_id"], name="unique_exchange_external_id"
            )
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["document_key", "id"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.kind} #{self.pk}"

    def save(self, *args, **kwargs) -> None:
        if not self.payload_sha256:
            self.payload_sha256 = payload_digest(self.payload)
        super().save(*args, **kwargs)


class ExchangeAttempt(models.Model):
    """One delivery attempt of a push: when it started and ended, and what the farm returned.

    An attempt whose worker died has no `finished_at` until the sweep closes it.
    """

    exchange = models.ForeignKey(Exchange, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField(help_text="1 for the first try, counted per row.")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)

    class Meta:
        ordering = ["exchange", "started_at", "id"]

    def __str__(self) -> str:
        return f"Attempt {self.number} of exchange #{self.exchange_id}"


class ExchangeAction(models.Model):
    """A person's action on a ledger row (retry now, cancel), kept for the record."""

    exchange = models.ForeignKey(Exchange, on_delete=models.CASCADE, related_name="actions")
    action = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["exchange", "created_at"]

    def __str__(self) -> str:
        return f"{self.action} on exchange #{self.exchange_id}"
