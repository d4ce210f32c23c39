"""Receiving labels: turn shipped boxes into ``LabelData`` and render them as PDF or ZPL.

Every render counts as a print: ``Box.labels_printed`` goes up by one for each box, and
a box printed before gets the reprint marker on its next label. A box whose stored code
cannot be encoded in a barcode (data from before box codes were checked) is skipped and
reported, so that it does not block the labels of every other box. Downloads of more than
``settings.LABELS_INLINE_MAX_BOXES`` boxes become a ``LabelBatch`` rendered by a worker.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, F, Max, QuerySet
from django.utils import timezone
from django.utils.text import get_valid_filename

from labels.models import LabelBatch
from labels.render.data import LabelData
from labels.render.pdf import STOCKS, render_pdf
from labels.render.zpl import ZPL_DPIS, ZPL_SIZES, render_zpl
from orders.models import Box

logger = logging.getLogger(__name__)

# Columns one label reads, under short names. Labels are built from these plain rows
# rather than model instances: creating nine model objects per box took most of the
# time of a ten-thousand-box download.
LABEL_COLUMNS = {
    "pk": "pk",
    "po_item_id": "po_item_id",
    "code": "code",
    "sequence": "sequence",
    "awb": "awb",
    "house_awb": "house_awb",
    "lot_number": "lot_number",
    "ship_date": "ship_date",
    "labels_printed": "labels_printed",
    "bunches": "po_item__bunches",
    "stems_per_bunch": "po_item__stems_per_bunch",
    "line_mark_code": "po_item__mark_code",
    "po_number": "po_item__purchase_order__number",
    "po_ship_date": "po_item__purchase_order__ship_date",
    "vendor_name": "po_item__purchase_order__vendor__name",
    "product": "po_item__product__description",
    "farm_product_code": "po_item__vendor_product__code",
    "farm_product": "po_item__vendor_product__description",
    "box_type": "po_item__box_type__code",
    "farm_box_type": "po_item__vendor_box_type__code",
    "prebook_item_id": "po_item__prebook_item_id",
    "prebook_mark_code": "po_item__prebook_item__mark_code",
    "customer": "po_item__prebook_item__prebook__customer__name",
    "farm_customer_code": "po_item__prebook_item__prebook__vendor_customer__code",
    "farm_customer": "po_item__prebook_item__prebook__vendor_customer__description",
}

# Boxes read, rendered and updated at a time by batches and by the print counter.
CHUNK_SIZE = 1000

# A running batch whose row has not changed for this long is taken to belong to a
# worker that died, and a redelivered task may start it again.
STALE_BATCH_AFTER = datetime.timedelta(minutes=15)

# A pending batch this old has most likely lost its task message, so the sweep queues it
# again. Rendering it twice is harmless because only one run can claim it.
PENDING_BATCH_REQUEUE_AFTER = datetime.timedelta(minutes=5)

CONTENT_TYPES = {"pdf": "application/pdf", "zpl": "text/plain; charset=utf-8"}


class LabelError(ValueError):
    """Labels cannot be rendered: invalid options or a box code that cannot be encoded."""


@dataclass(frozen=True, slots=True)
class LabelOptions:
    """Output format of a download: a PDF stock, or a ZPL label size and printer resolution."""

    format: str = "pdf"
    stock: str = "4x2"
    size: str = "4x2"
    dpi: int = 203

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> LabelOptions:
        """Read ``format``, ``stock``, ``size`` and ``dpi`` from query parameters.

        Missing values take the defaults: PDF on 4x2 stock, or ZPL 4x2 at 203 dpi.
        Raises LabelError naming the invalid parameter and the accepted values.
        """
        defaults = cls()
        output_format = (query.get("format") or defaults.format).lower()
        stock = (query.get("stock") or defaults.stock).lower()
        size = (query.get("size") or defaults.size).lower()
        dpi_text = query.get("dpi") or str(defaults.dpi)
        if output_format not in CONTENT_TYPES:
            raise LabelError(f"Invalid format {output_format!r}: expected pdf or zpl.")
        if stock not in STOCKS:
            raise LabelError(f"Invalid stock {stock!r}: expected one of {', '.join(STOCKS)}.")
        if size not in ZPL_SIZES:
            raise LabelError(f"Invalid size {size!r}: expected one of {', '.join(ZPL_SIZES)}.")
        # Compared as text, so that int() never parses a huge or non-ASCII number.
        dpi_by_text = {str(dpi): dpi for dpi in ZPL_DPIS}
        dpi = dpi_by_text.get(dpi_text.lstrip("0"))
        if dpi is None:
            accepted = ", ".join(dpi_by_text)
            raise LabelError(f"Invalid dpi {dpi_text[:20]!r}: expected one of {accepted}.")
        return cls(format=output_format, stock=stock, size=size, dpi=dpi)

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]

    @property
    def suffix(self) -> str:
        """File name ending, such as "4x2.pdf" or "4x6-300dpi.zpl"."""
        if self.format == "pdf":
            return f"{self.stock}.pdf"
        return f"{self.size}-{self.dpi}dpi.zpl"


@dataclass(frozen=True, slots=True)
class RenderedLabels:
    """A rendered download: the file's bytes, its MIME type, a file name and skipped codes."""

    content: bytes
    content_type: str
    filename: str
    count: int
    skipped_codes: tuple[str, ...] = ()


class _SkippedBox(Exception):
    """A box whose code cannot be encoded, with the reason."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def _label_rows(boxes: QuerySet[Box]) -> list[dict]:
    """Read the label columns of ``boxes``, in the queryset's order, with one query."""
    names = list(LABEL_COLUMNS)
    rows = boxes.values_list(*LABEL_COLUMNS.values())
    return [dict(zip(names, row, strict=True)) for row in rows]


def _product_text(row: dict) -> str:
    if row["product"] is not None:
        return row["product"]
    # An unmapped product still prints under the farm's own description.
    return row["farm_product"] or row["farm_product_code"] or ""


def _customer_and_mark(row: dict) -> tuple[str, str]:
    """Return the customer and mark code of the prebook line the box was bought for."""
    if row["prebook_item_id"] is None:
        return "", row["line_mark_code"]
    if row["customer"] is not None:
        customer = row["customer"]
    else:
        customer = row["farm_customer"] or row["farm_customer_code"] or ""
    return customer, row["prebook_mark_code"] or row["line_mark_code"]


def _line_sizes(boxes: QuerySet[Box]) -> dict[int, int]:
    """Return N of "box n of N" for each PO line in ``boxes``: its shipped box count.

    A line whose sequence numbers run past its box count uses its largest sequence.
    """
    line_ids = boxes.order_by().values("po_item_id")
    rows = (
        Box.objects.filter(po_item_id__in=line_ids)
        .order_by()
        .values("po_item_id")
        .annotate(count=Count("id"), last=Max("sequence"))
    )
    return {row["po_item_id"]: max(row["count"], row["last"] or 0, 1) for row in rows}


def _label_data(row: dict, line_size: int) -> LabelData:
    customer, mark_code = _customer_and_mark(row)
    try:
        return LabelData(
            box_code=row["code"],
            vendor_name=row["vendor_name"],
            product=_product_text(row),
            box_type=row["box_type"] or row["farm_box_type"] or "",
            bunches=row["bunches"],
            stems_per_bunch=row["stems_per_bunch"],
            po_number=row["po_number"],
            customer=customer,
            mark_code=mark_code,
            awb=row["awb"],
            house_awb=row["house_awb"],
            lot_number=row["lot_number"],
            ship_date=row["ship_date"] or row["po_ship_date"],
            box_index=min(max(row["sequence"], 1), line_size),
            box_count=line_size,
            reprint=row["labels_printed"] > 0,
        )
    except ValueError as error:
        reason = f"Box {row['code']!r} of PO {row['po_number']}: {error}"
        raise _SkippedBox(row["code"], reason) from error


def _labels_with_ids(boxes: QuerySet[Box], skipped: list[str]) -> list[tuple[int, LabelData]]:
    """Build the labels of ``boxes``, appending the code of each box left out to ``skipped``."""
    line_sizes = _line_sizes(boxes)
    pairs = []
    for row in _label_rows(boxes):
        try:
            pairs.append((row["pk"], _label_data(row, line_sizes[row["po_item_id"]])))
        except _SkippedBox as error:
            logger.warning("Label skipped: %s", error.reason)
            skipped.append(error.code)
    return pairs


def label_data_for_boxes(boxes: QuerySet[Box]) -> list[LabelData]:
    """Build one ``LabelData`` per box, in the queryset's order, with two queries.

    Raises LabelError naming the first box whose code cannot be encoded in the barcode.
    """
    line_sizes = _line_sizes(boxes)
    try:
        return [_label_data(row, line_sizes[row["po_item_id"]]) for row in _label_rows(boxes)]
    except _SkippedBox as error:
        raise LabelError(error.reason) from error


def skipped_codes_message(codes: Sequence[str]) -> str:
    """Describe skipped boxes for a person, showing each code with escapes (at most 20)."""
    listed = ", ".join(repr(code) for code in codes[:20])
    more = f" and {len(codes) - 20} more" if len(codes) > 20 else ""
    return (
        f"{len(codes)} box label(s) were left out because their box code cannot be "
        f"printed as a barcode: {listed}{more}. Change these codes with box.code.change "
        "and download their labels again."
    )


def _render(labels: Iterable[LabelData], options: LabelOptions) -> bytes:
    if options.format == "pdf":
        return render_pdf(labels, stock=options.stock)
    return render_zpl(labels, size=options.size, dpi=options.dpi).encode("utf-8")


def boxes_mark_printed(*, box_ids: Sequence[int]) -> None:
    """Add one print to each box, so its next label carries the reprint marker."""
    for start in range(0, len(box_ids), CHUNK_SIZE):
        chunk = box_ids[start : start + CHUNK_SIZE]
        Box.objects.filter(pk__in=chunk).update(labels_printed=F("labels_printed") + 1)


def labels_render(*, boxes: QuerySet[Box], options: LabelOptions, name: str) -> RenderedLabels:
    """Render the labels of ``boxes`` and count the print on each printed box.

    ``name`` goes into the file name (such as "PO-P200001"). Boxes whose code cannot be
    encoded are left out and listed in ``skipped_codes``. Raises LabelError when no box
    is left to print.
    """
    skipped: list[str] = []
    pairs = _labels_with_ids(boxes, skipped)
    if not pairs:
        raise LabelError(skipped_codes_message(skipped))
    labels = [label for _box_id, label in pairs]
    content = _render(labels, options)
    boxes_mark_printed(box_ids=[box_id for box_id, _label in pairs])
    return RenderedLabels(
        content=content,
        content_type=options.content_type,
        filename=get_valid_filename(f"labels-{name}-{options.suffix}"),
        count=len(labels),
        skipped_codes=tuple(skipped),
    )


def label_batch_create(
    *,
    boxes: QuerySet[Box],
    options: LabelOptions,
    description: str,
    requested_by=None,
) -> LabelBatch:
    """Record a batch for ``boxes`` and queue its rendering once the transaction commits."""
    from labels.tasks import label_batch_render

    box_ids = list(boxes.values_list("pk", flat=True))
    batch = LabelBatch.objects.create(
        description=description[:200],
        format=options.format,
        stock=options.stock if options.format == "pdf" else "",
        size=options.size if options.format == "zpl" else "",
        dpi=options.dpi if options.format == "zpl" else None,
        box_ids=box_ids,
        total=len(box_ids),
        requested_by=requested_by if getattr(requested_by, "is_authenticated", False) else None,
    )
    transaction.on_commit(lambda: label_batch_render.delay(batch.pk))
    logger.info("Label batch %s queued: %s, %s boxes", batch.pk, batch.description, batch.total)
    return batch


def _batch_options(batch: LabelBatch) -> LabelOptions:
    defaults = LabelOptions()
    return LabelOptions(
        format=batch.format,
        stock=batch.stock or defaults.stock,
        size=batch.size or defaults.size,
        dpi=batch.dpi or defaults.dpi,
    )


def _batch_claim(batch_id: int) -> bool:
    """Move a pending (or stale running) batch to running. Return False if another run owns it."""
    now = timezone.now()
    claimed = LabelBatch.objects.filter(pk=batch_id, state=LabelBatch.State.PENDING).update(
        state=LabelBatch.State.RUNNING, started_at=now, progress=0, updated_at=now
    )
    if claimed:
        return True
    return bool(
        LabelBatch.objects.filter(
            pk=batch_id,
            state=LabelBatch.State.RUNNING,
            updated_at__lt=now - STALE_BATCH_AFTER,
        ).update(started_at=now, progress=0, updated_at=now)
    )


def _batch_labels(batch: LabelBatch, skipped: list[str]) -> Iterator[LabelData]:
    """Yield the batch's labels in its stored order, saving progress after every chunk.

    Boxes whose code cannot be encoded are left out and their codes appended to ``skipped``.
    """
    done = 0
    for start in range(0, len(batch.box_ids), CHUNK_SIZE):
        chunk_ids = batch.box_ids[start : start + CHUNK_SIZE]
        position = {box_id: index for index, box_id in enumerate(chunk_ids)}
        boxes = Box.objects.filter(pk__in=chunk_ids)
        line_sizes = _line_sizes(boxes)
        rows = sorted(_label_rows(boxes), key=lambda row: position[row["pk"]])
        for row in rows:
            try:
                yield _label_data(row, line_sizes[row["po_item_id"]])
            except _SkippedBox as error:
                logger.warning("Label batch %s skipped a box: %s", batch.pk, error.reason)
                skipped.append(error.code)
        done += len(chunk_ids)
        LabelBatch.objects.filter(pk=batch.pk).update(progress=done, updated_at=timezone.now())


def label_batch_run(*, batch_id: int) -> LabelBatch | None:
    """Render a batch into its file and count the print on its boxes.

    Boxes deleted since the batch was created are left out, and so are boxes whose code
    cannot be encoded: their codes go to ``skipped_box_codes``, which the batch page shows.
    Any error marks the batch failed with the reason, which its page shows too. Returns
    None when the batch does not exist or another run owns it.
    """
    if not _batch_claim(batch_id):
        logger.info("Label batch %s is not waiting to run; nothing to do", batch_id)
        return None
    batch = LabelBatch.objects.get(pk=batch_id)
    logger.info("Label batch %s started: %s boxes", batch.pk, batch.total)
    skipped: list[str] = []
    try:
        content = _render(_batch_labels(batch, skipped), _batch_options(batch))
        printed_ids = batch.box_ids
        if skipped:
            printed = Box.objects.filter(pk__in=batch.box_ids).exclude(code__in=skipped)
            printed_ids = list(printed.values_list("pk", flat=True))
            if not printed_ids:
                raise LabelError(skipped_codes_message(skipped))
        filename = get_valid_filename(f"labels-batch-{batch.pk}-{_batch_options(batch).suffix}")
        with transaction.atomic():
            batch.file.save(filename, ContentFile(content), save=False)
            boxes_mark_printed(box_ids=printed_ids)
            batch.state = LabelBatch.State.DONE
            batch.progress = batch.total
            batch.finished_at = timezone.now()
            batch.skipped_box_codes = skipped
            batch.save(
                update_fields=[
                    "file",
                    "state",
                    "progress",
                    "finished_at",
                    "skipped_box_codes",
                    "updated_at",
                ]
            )
    except Exception as error:  # noqa: BLE001 - any failure must reach the batch page
        logger.exception("Label batch %s failed", batch.pk)
        batch.state = LabelBatch.State.FAILED
        batch.error = _failure_reason(error)[:500]
        batch.finished_at = timezone.now()
        batch.skipped_box_codes = skipped
        batch.save(
            update_fields=["state", "error", "finished_at", "skipped_box_codes", "updated_at"]
        )
        return batch
    logger.info("Label batch %s done: %s labels in %s", batch.pk, batch.total, batch.file.name)
    return batch


def _failure_reason(error: Exception) -> str:
    if isinstance(error, LabelError):
        return str(error)
    from celery.exceptions import SoftTimeLimitExceeded

    if isinstance(error, SoftTimeLimitExceeded):
        return (
            "Rendering timed out. Download the labels in smaller parts, for example "
            "per PO instead of per ship date."
        )
    return f"Rendering failed ({type(error).__name__}: {error}). Try again or ask an admin."


def label_batches_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Requeue batches whose task was lost and delete batches past their retention.

    A pending batch older than ``PENDING_BATCH_REQUEUE_AFTER`` or a running batch whose
    row has not changed for ``STALE_BATCH_AFTER`` is queued again. Finished batches older
    than ``settings.LABELS_BATCH_RETENTION_DAYS`` days are deleted with their files.
    Returns the number of batches requeued and deleted.
    """
    from labels.tasks import label_batch_render

    now = now or timezone.now()
    stuck = LabelBatch.objects.filter(
        state=LabelBatch.State.PENDING, created_at__lt=now - PENDING_BATCH_REQUEUE_AFTER
    ) | LabelBatch.objects.filter(
        state=LabelBatch.State.RUNNING, updated_at__lt=now - STALE_BATCH_AFTER
    )
    stuck_ids = list(stuck.values_list("pk", flat=True))
    for batch_id in stuck_ids:
        logger.warning("Label batch %s was not rendered in time; queued again", batch_id)
        label_batch_render.delay(batch_id)

    retention = datetime.timedelta(days=getattr(settings, "LABELS_BATCH_RETENTION_DAYS", 7))
    expired = LabelBatch.objects.filter(
        state__in=[LabelBatch.State.DONE, LabelBatch.State.FAILED],
        finished_at__lt=now - retention,
    ).defer("box_ids")
    deleted = 0
    for batch in expired:
        if batch.file:
            batch.file.delete(save=False)
        batch.delete()
        deleted += 1
    if deleted:
        logger.info("Deleted %s label batches finished more than %s ago", deleted, retention)
    return {"requeued": len(stuck_ids), "deleted": deleted}


def inline_max_boxes() -> int:
    """Largest download rendered inside the request; larger ones become batches."""
    return getattr(settings, "LABELS_INLINE_MAX_BOXES", 500)
