"""Label downloads for warehouse staff: by PO, AWB, ship date or a selection of boxes.

Each download takes ``?format=pdf|zpl&stock=4x2|4x6|letter|a4&size=4x2|4x6&dpi=203|300``.
Downloads larger than ``LABELS_INLINE_MAX_BOXES`` boxes redirect to a batch page that
follows the background rendering.
"""

import datetime
import json

from django.contrib import messages
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from labels.access import VIEW_BOXES, admin_page_context, staff_permission_required
from labels.models import LabelBatch
from labels.services import (
    LabelError,
    LabelOptions,
    inline_max_boxes,
    label_batch_create,
    labels_render,
    skipped_codes_message,
)
from orders.awb import awb_format, awb_normalize
from orders.models import Box, PurchaseOrder
from receiving.selectors import (
    boxes_for_awb,
    boxes_for_ids,
    boxes_for_purchase_order,
    boxes_for_ship_date,
)

# More ids than this in one selection are rejected. Larger sets are downloaded by AWB,
# PO or ship date.
MAX_SELECTED_BOXES = 20000

# Largest box id: the top of the signed 64-bit range of the BigAutoField primary key.
# Larger ids are rejected before the query, because SQLite cannot bind them.
MAX_BOX_ID = 2**63 - 1

# Codes listed in the X-Skipped-Boxes header at most, to keep the header well below the
# 8 KB that common proxies accept. X-Skipped-Box-Count always gives the full number.
SKIPPED_HEADER_MAX_CODES = 100


def skipped_boxes_header(codes: tuple[str, ...] | list[str]) -> str:
    """Return skipped box codes as a JSON array in ASCII, safe for an HTTP header value."""
    return json.dumps(list(codes[:SKIPPED_HEADER_MAX_CODES]), ensure_ascii=True)


def _error(request: HttpRequest, message: str, status: int) -> HttpResponse:
    context = admin_page_context(request, title="Labels not available", message=message)
    return render(request, "labels/error.html", context, status=status)


def labels_download(
    request: HttpRequest,
    *,
    boxes: QuerySet[Box],
    name: str,
    description: str,
    options: LabelOptions | None = None,
) -> HttpResponse:
    """Return the labels of ``boxes`` as a file, or redirect to a batch when there are many.

    Shared by the download views and the admin actions. ``options`` defaults to the
    request's query parameters. Boxes whose code cannot be encoded are left out: the file
    comes with ``X-Skipped-Boxes`` (a JSON array of their codes) and
    ``X-Skipped-Box-Count`` headers, and an admin message lists them on the next page.
    """
    if options is None:
        try:
            options = LabelOptions.from_query(request.GET)
        except LabelError as error:
            return _error(request, str(error), status=400)

    count = boxes.count()
    if count == 0:
        return _error(request, f"{description} has no boxes to label yet.", status=404)
    if count > inline_max_boxes():
        batch = label_batch_create(
            boxes=boxes, options=options, description=description, requested_by=request.user
        )
        return redirect("labels:batch", pk=batch.pk)

    try:
        rendered = labels_render(boxes=boxes, options=options, name=name)
    except LabelError as error:
        return _error(request, str(error), status=422)
    response = HttpResponse(rendered.content, content_type=rendered.content_type)
    response["Content-Disposition"] = f'attachment; filename="{rendered.filename}"'
    if rendered.skipped_codes:
        response["X-Skipped-Boxes"] = skipped_boxes_header(rendered.skipped_codes)
        response["X-Skipped-Box-Count"] = str(len(rendered.skipped_codes))
        messages.warning(
            request,
            f"{description}: {skipped_codes_message(rendered.skipped_codes)}",
            fail_silently=True,
        )
    return response


@require_GET
@staff_permission_required(VIEW_BOXES)
def purchase_order_labels(request: HttpRequest, pk: int) -> HttpResponse:
    purchase_order = get_object_or_404(PurchaseOrder, pk=pk)
    return labels_download(
        request,
        boxes=boxes_for_purchase_order(purchase_order_id=purchase_order.pk),
        name=f"PO-{purchase_order.number}",
        description=f"PO {purchase_order.number}",
    )


@require_GET
@staff_permission_required(VIEW_BOXES)
def awb_labels(request: HttpRequest, awb: str) -> HttpResponse:
    normalized = awb_normalize(awb)
    if not normalized:
        return _error(request, "Missing AWB: give the 11 digits, such as 369-1234-5675.", 400)
    return labels_download(
        request,
        boxes=boxes_for_awb(awb=normalized),
        name=f"AWB-{normalized}",
        description=f"AWB {awb_format(normalized)}",
    )


@require_GET
@staff_permission_required(VIEW_BOXES)
def ship_date_labels(request: HttpRequest, ship_date: str) -> HttpResponse:
    try:
        date = datetime.date.fromisoformat(ship_date)
    except ValueError:
        return _error(request, f"Invalid ship date {ship_date!r}: expected YYYY-MM-DD.", 400)
    return labels_download(
        request,
        boxes=boxes_for_ship_date(ship_date=date),
        name=f"ship-{date.isoformat()}",
        description=f"Ship date {date.isoformat()}",
    )


def parse_box_ids(values: list[str]) -> list[int]:
    """Read box ids given as repeated or comma-separated values. Raise ValueError if invalid."""
    box_ids: list[int] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            if not (part.isascii() and part.isdigit()):
                raise ValueError(f"Invalid box id {part[:20]!r}: expected a whole number.")
            # The length check comes first so that int() never parses a huge string.
            significant = part.lstrip("0") or "0"
            if len(significant) > len(str(MAX_BOX_ID)) or int(significant) > MAX_BOX_ID:
                raise ValueError(
                    f"Invalid box id {part[:30]!r}: expected a whole number of at most "
                    f"{MAX_BOX_ID}."
                )
            box_ids.append(int(significant))
    if not box_ids:
        raise ValueError("Missing box ids: select at least one box.")
    if len(box_ids) > MAX_SELECTED_BOXES:
        raise ValueError(
            f"Too many boxes ({len(box_ids)}): select at most {MAX_SELECTED_BOXES}, or "
            "download by AWB, PO or ship date."
        )
    return box_ids


@require_http_methods(["GET", "POST"])
@staff_permission_required(VIEW_BOXES)
def selected_box_labels(request: HttpRequest) -> HttpResponse:
    """Labels of the boxes named by ``ids`` (query or form, repeated or comma-separated)."""
    data = request.POST if request.method == "POST" else request.GET
    try:
        box_ids = parse_box_ids(data.getlist("ids"))
        options = LabelOptions.from_query(data)
    except ValueError as error:
        return _error(request, str(error), status=400)
    return labels_download(
        request,
        boxes=boxes_for_ids(box_ids=box_ids),
        name=f"{len(box_ids)}-boxes",
        description=f"{len(box_ids)} selected boxes",
        options=options,
    )


@require_GET
@staff_permission_required(VIEW_BOXES)
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(LabelBatch.objects.select_related("requested_by"), pk=pk)
    return render(
        request,
        "labels/batch.html",
        admin_page_context(
            request,
            title=f"Labels: {batch.description}",
            batch=batch,
            skipped_message=(
                skipped_codes_message(batch.skipped_box_codes) if batch.skipped_box_codes else ""
            ),
            status_url=reverse("labels:batch_status", args=[batch.pk]),
            download_url=reverse("labels:batch_download", args=[batch.pk]),
        ),
    )


def _batch_status(batch: LabelBatch) -> dict:
    download_url = reverse("labels:batch_download", args=[batch.pk]) if batch.file else ""
    return {
        "id": batch.pk,
        "state": batch.state,
        "stateLabel": batch.get_state_display(),
        "progress": batch.progress,
        "total": batch.total,
        "percent": batch.percent,
        "error": batch.error,
        "skippedBoxCodes": batch.skipped_box_codes,
        "skippedMessage": (
            skipped_codes_message(batch.skipped_box_codes) if batch.skipped_box_codes else ""
        ),
        "downloadUrl": download_url if batch.state == LabelBatch.State.DONE else "",
    }


@require_GET
@staff_permission_required(VIEW_BOXES)
def batch_status(request: HttpRequest, pk: int) -> JsonResponse:
    batch = get_object_or_404(LabelBatch, pk=pk)
    return JsonResponse(_batch_status(batch))


@require_GET
@staff_permission_required(VIEW_BOXES)
def batch_download(request: HttpRequest, pk: int) -> FileResponse:
    batch = get_object_or_404(LabelBatch, pk=pk)
    if batch.state != LabelBatch.State.DONE or not batch.file:
        raise Http404(f"Label batch {batch.pk} has no file yet.")
    options = LabelOptions(format=batch.format)
    filename = batch.file.name.rsplit("/", 1)[-1]
    response = FileResponse(
        batch.file.open("rb"),
        as_attachment=True,
        filename=filename,
        content_type=options.content_type,
    )
    if batch.skipped_box_codes:
        response["X-Skipped-Boxes"] = skipped_boxes_header(batch.skipped_box_codes)
        response["X-Skipped-Box-Count"] = str(len(batch.skipped_box_codes))
    return response
