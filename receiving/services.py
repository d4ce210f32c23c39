"""Receiving boxes at the warehouse by scanning their label codes.

``box_receive`` is the one way a box becomes received. The scan page and the API
method ``box.warehouse.receive`` both call it, and every scan is written to ``BoxScan``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from orders.awb import awb_format, awb_normalize
from orders.models import Box
from orders.services.boxes import box_for_code
from receiving.models import BoxScan

logger = logging.getLogger(__name__)

Outcome = BoxScan.Outcome

# AIM symbology identifier that some scanners put before the data, such as "]C0" for
# Code 128. It is only removed when the code as read matches no box.
_AIM_PREFIX = re.compile(r"^\][A-Za-z][0-9A-Za-z]")

LOCATION_MAX_LENGTH = Box._meta.get_field("received_location").max_length


@dataclass(frozen=True, slots=True)
class ScanResult:
    """Outcome of one scan: "received", "unknown", "already_received" or "other_awb"."""

    outcome: str
    box: Box | None
    message: str
    code: str = ""

    @property
    def is_received(self) -> bool:
        return self.outcome == Outcome.RECEIVED


def scanned_code_clean(raw: str) -> str:
    """Remove what scanners add around a code: whitespace, CR, LF, tabs and control characters.

    Control characters inside the code (such as a GS separator) are removed too, because
    box codes are printable ASCII.
    """
    printable = "".join(char for char in raw if char.isprintable() or char == " ")
    return printable.strip()


def _box_locked(code: str) -> Box | None:
    """Lock and return the box with this scanned code (see ``box_for_code``)."""
    boxes = Box.objects.select_for_update(of=("self",)).select_related(
        "po_item__purchase_order__vendor",
        "po_item__product",
        "po_item__vendor_product",
        "received_by",
    )
    box = box_for_code(boxes, code)
    if box is None and _AIM_PREFIX.match(code):
        box = box_for_code(boxes, code[3:])
    return box


def _box_description(box: Box) -> str:
    item = box.po_item
    if item.product is not None:
        product = item.product.description
    elif item.vendor_product is not None:
        product = item.vendor_product.description or item.vendor_product.code
    else:
        product = "unknown product"
    return f"{item.purchase_order.vendor.name}, PO {item.purchase_order.number}, {product}"


def _received_by_label(box: Box) -> str:
    if box.received_by is not None:
        return box.received_by.get_username()
    scan = (
        BoxScan.objects.filter(box=box, outcome=Outcome.RECEIVED)
        .order_by("-created_at")
        .values_list("actor_label", flat=True)
        .first()
    )
    return scan or "unknown"


def _already_received(box: Box) -> ScanResult:
    when = timezone.localtime(box.received_at).strftime("%Y-%m-%d %H:%M")
    where = f" at {box.received_location}" if box.received_location else ""
    message = (
        f"Already received: box {box.code} was received on {when} "
        f"by {_received_by_label(box)}{where}."
    )
    return ScanResult(Outcome.ALREADY_RECEIVED, box, message, box.code)


def _other_awb(box: Box, expected_awb: str) -> ScanResult:
    shipped_on = awb_format(box.awb) if box.awb else "no AWB"
    message = (
        f"Other AWB: box {box.code} ({_box_description(box)}) is on {shipped_on}, "
        f"not on AWB {awb_format(expected_awb)}. Set it aside; it was not received."
    )
    return ScanResult(Outcome.OTHER_AWB, box, message, box.code)


def _receive(box: Box, *, user, location: str) -> ScanResult:
    box.received_at = timezone.now()
    box.received_by = user if getattr(user, "is_authenticated", False) else None
    box.received_location = location
    box.save(update_fields=["received_at", "received_by", "received_location", "updated_at"])
    where = f" at {location}" if location else ""
    message = f"Received box {box.code}{where}: {_box_description(box)}."
    return ScanResult(Outcome.RECEIVED, box, message, box.code)


def box_receive(
    *,
    code: str,
    user=None,
    actor_label: str,
    location: str = "",
    expected_awb: str | None = None,
) -> ScanResult:
    """Mark the box with this label code received, unless the scan shows a problem.

    The code is matched as scanned, then in upper case (``box_for_code``), after removing
    scanner additions (see ``scanned_code_clean``). A box already received keeps its
    first receipt, and a box on another AWB than ``expected_awb`` is not received.
    ``location`` (such as a cooler or dock) is cut to the field's 20 characters. Every
    scan with a code is logged.
    """
    cleaned = scanned_code_clean(code)
    location = " ".join(location.split())[:LOCATION_MAX_LENGTH]
    expected = awb_normalize(expected_awb or "")
    if not cleaned:
        return ScanResult(Outcome.UNKNOWN, None, "Unknown code: the scan was empty.", "")

    with transaction.atomic():
        box = _box_locked(cleaned)
        if box is None:
            result = ScanResult(
                Outcome.UNKNOWN,
                None,
                f"Unknown code {cleaned[:40]}: no shipped box has this code. "
                "Set the box aside and check its label.",
                cleaned,
            )
        elif box.received_at is not None:
            result = _already_received(box)
        elif expected and box.awb != expected:
            result = _other_awb(box, expected)
        else:
            result = _receive(box, user=user, location=location)
        BoxScan.objects.create(
            code=cleaned[:64],
            box=box,
            outcome=result.outcome,
            user=user if getattr(user, "is_authenticated", False) else None,
            actor_label=actor_label[:100],
            location=location,
            expected_awb=expected[:25],
            message=result.message[:300],
        )

    log = logger.info if result.is_received else logger.warning
    log("Box scan %r by %s: %s", cleaned[:40], actor_label, result.outcome)
    return result
