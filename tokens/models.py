"""API tokens: the keys farms' systems (and the importer's own tools) call the API with.

A token is shown once, at creation. The database keeps only its public prefix and a
peppered HMAC-SHA256 of the secret part, so a copy of the database reveals no token.
"""

from django.conf import settings
from django.db import models

from catalog.models import Vendor


class ApiToken(models.Model):
    class TokenType(models.TextChoices):
        COMPANY = "company", "Company"
        VENDOR = "vendor", "Vendor"

    prefix = models.CharField(max_length=12, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    token_type = models.CharField(max_length=10, choices=TokenType.choices)
    vendor = models.ForeignKey(
        Vendor, null=True, blank=True, on_delete=models.PROTECT, related_name="api_tokens"
    )
    description = models.CharField(max_length=200)
    methods = models.JSONField(default=list, help_text="API methods this token may call.")
    expires_at = models.DateTimeField(null=True, blank=True)
    daily_quota = models.PositiveIntegerField(default=1000)
    allowed_networks = models.TextField(
        blank=True, help_text="Optional IP ranges in CIDR form, one per line; empty allows any."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… {self.description}"


class ApiTokenDailyUsage(models.Model):
    """Requests made with one token on one UTC day, for the daily quota."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="daily_usage")
    day = models.DateField()
    requests = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "day"], name="unique_token_usage_day")
        ]
