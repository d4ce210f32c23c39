"""The scan log: every code scanned at receiving, whatever the outcome."""

from django.conf import settings
from django.db import models

from orders.models import Box


class BoxScan(models.Model):
    """One scan of a box code at the warehouse, from the scan page or the API."""

    class Outcome(models.TextChoices):
        RECEIVED = "received", "Received"
        UNKNOWN = "unknown", "Unknown code"
        ALREADY_RECEIVED = "already_received", "Already received"
        OTHER_AWB = "other_awb", "Other AWB"

    code = models.CharField(max_length=64, help_text="The code as read, after cleaning.")
    box = models.ForeignKey(
        Box, null=True, blank=True, on_delete=models.SET_NULL, related_name="scans"
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=100, blank=True, help_text="User, token or system.")
    location = models.CharField(max_length=20, blank=True)
    expected_awb = models.CharField("receiving AWB", max_length=25, blank=True)
    message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.code}: {self.get_outcome_display()}"
