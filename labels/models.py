"""Label batches: large label downloads rendered by a Celery worker into a file."""

from django.conf import settings
from django.db import models

from core.models import TimestampedModel


class LabelBatch(TimestampedModel):
    """One large label download, rendered in the background and kept under MEDIA_ROOT.

    ``progress`` counts the labels rendered so far out of ``total``.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for a worker"
        RUNNING = "running", "Rendering"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    class Format(models.TextChoices):
        PDF = "pdf", "PDF"
        ZPL = "zpl", "ZPL"

    description = models.CharField(
        max_length=200, help_text="What the batch contains, such as an AWB or a PO number."
    )
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.PENDING, db_index=True
    )
    format = models.CharField(max_length=3, choices=Format.choices, default=Format.PDF)
    stock = models.CharField(max_length=10, blank=True, help_text="PDF stock.")
    size = models.CharField(max_length=10, blank=True, help_text="ZPL label size in inches.")
    dpi = models.PositiveSmallIntegerField(null=True, blank=True, help_text="ZPL resolution.")
    box_ids = models.JSONField(default=list, help_text="Ids of the boxes, in label order.")
    total = models.PositiveIntegerField(default=0)
    progress = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="labels/batches/%Y/%m/", blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="label_batches",
    )
    error = models.CharField(max_length=500, blank=True)
    skipped_box_codes = models.JSONField(
        default=list,
        blank=True,
        help_text="Codes of boxes left out because they cannot be encoded in a barcode.",
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "label batches"

    def __str__(self) -> str:
        return f"Label batch {self.pk}: {self.description}"

    @property
    def percent(self) -> int:
        """Share of the labels rendered, 0 to 100."""
        if self.state == self.State.DONE:
            return 100
        if not self.total:
            return 0
        return min(100, self.progress * 100 // self.total)

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)
