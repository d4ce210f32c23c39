"""Abstract models shared by the portal's apps."""

from django.db import models


class TimestampedModel(models.Model):
    """A row that records when it was created and last changed (both UTC)."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True
