"""Shipments reported by farms (`purchase.order.items.awb.add`) and box code changes.

Each PO line and each box is handled in its own savepoint: a bad one is reported and
leaves nothing behind, and never undoes the good ones. Box codes are unique across the
importer, because they are its receiving labels. They are stored and looked up in upper
case (``box_code_normalize``), so codes that differ only in case are the same code.
"""

import datetime
import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Upper

from audit.services import audit_record
from catalog.models import Vendor
from orders.awb import awb_error, awb_normalize
from orders.models import Box, PurchaseOrder, PurchaseOrderBreakdown, PurchaseOrderItem
from orders.services.dates import ship_date_error
from orders.services.numbers import LOT, LOT_RANGE, document_numbers_next
from orders.services.purchase_order_intake import purchase_order_ship_if_complete

logger = logging.getLogger(__name__)

BOX_CODE_MAX_LENGTH = 20

# Lower-case ASCII letters to upper case. Other characters are left alone, so that "ß"
# does not become the valid "SS" before box_code_error checks it.
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")

# "^" and "~" start ZPL commands. The portal's own ZPL escapes them, but ZPL that other
# label software builds from a box code may not.
_BOX_CODE_FORBIDDEN = frozenset("^~")


def box_code_normalize(code: str) -> str:
    """Return the stored form of a box code: surrounding whitespace removed, ASCII upper case.

    Every write (shipment intake, code change) and every lookup (scan, receive, admin
    search) goes through this, so box codes are case-insensitive.
    """
    return code.strip().translate(_ASCII_UPPER)


def box_code_error(code: str) -> str | None:
    """Return why ``code`` cannot be a box code, or None if it can.

    A box code is 1 to 20 printable ASCII characters without spaces, ``^`` or ``~``,
    because it is printed as a Code 128 barcode in PDF and ZPL labels.
    """
    if not code or len(code) > BOX_CODE_MAX_LENGTH:
        return f"must be 1 to {BOX_CODE_MAX_LENGTH} characters long"
    invalid = [char for char in code if not "!" <= char <= "~" or char in _BOX_CODE_FORBIDDEN]
    if invalid:
        listed = ", ".join(repr(char) for char in dict.fromkeys(invalid))
        return (
            f"invalid character(s) {listed}: only printable ASCII without spaces, ^ or ~ is allowed"
        )
    return None


class ShipmentError(Exception):
    """One PO line cannot be shipped; `kind` is "invalid", "not_found" or "conflict"."""

    def __init__(self, message: str, *, kind: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


@dataclass
class ShipmentOutcome:
    po_item_id: int | None
    ok: bool
    message: str
    box_codes: list[str] = field(default_factory=list)
    lot_number: str = ""
    new_po_item_id: int | None = None
    purchase_order: PurchaseOrder | None = None


def generated_box_code(po_item: PurchaseOrderItem, sequence: int) -> str:
    """Return the code the portal gives box `sequence` of a line shipped without codes.

    Format: "PB", the PO line id padded to 8 digits, and the box's position padded to
    3 digits, e.g. "PB00001234007" for box 7 of line 1234.
    """
    return f"PB{po_item.pk:08d}{sequence:03d}"


def _line_field(field_prefix: str) -> str:
    """Return the start of a message about the line as a whole.

    In a list of lines (``field_prefix`` such as "poItems[2].") the message names the
    line's ``poItemId`` field. The single-line method puts its own "poItemId N: " first.
    """
    return f"{field_prefix}poItemId: " if field_prefix else ""


def _load_line(po_item_id: int, farm: Vendor | None, field_prefix: str = "") -> PurchaseOrderItem:
    item = (
        PurchaseOrderItem.objects.select_for_update(of=("self",))
        .select_related("purchase_order__vendor")
        .filter(pk=po_item_id)
        .first()
    )
    missing = item is None or item.status == PurchaseOrderItem.Status.DELETED
    if missing or (farm is not None and item.purchase_order.vendor_id != farm.pk):
        raise ShipmentError(
            f"{_line_field(field_prefix)}no PO line with id {po_item_id}.", kind="not_found"
        )
    return item


def _check_line(item: PurchaseOrderItem, field_prefix: str = "") -> None:
    po = item.purchase_order
    where = _line_field(field_prefix)
    if item.status == PurchaseOrderItem.Status.SHIPPED:
        raise ShipmentError(f"{where}PO line {item.pk} is already shipped.", kind="conflict")
    if po.status == PurchaseOrder.Status.PENDING_APPROVAL:
        raise ShipmentError(
            f"{where}PO {po.number} is still Pending Approval; "
            "it cannot ship before it is approved.",
            kind="conflict",
        )
    if po.status in (PurchaseOrder.Status.CANCELLED, PurchaseOrder.Status.SHIPPED):
        raise ShipmentError(f"{where}PO {po.number} is {po.status}.", kind="conflict")
    if item.hold_reason:
        raise ShipmentError(
            f"{where}PO line {item.pk} is held ({item.get_hold_reason_display()}); "
            "it ships once the importer maps the code.",
            kind="conflict",
        )


def _check_codes(item: PurchaseOrderItem, codes: list[str], *, field_prefix: str = "") -> None:
    """Raise ShipmentError listing every invalid, repeated or taken code in ``codes``.

    ``codes`` are already normalized. ``field_prefix`` (such as "poItems[2].") goes
    before the field names in the message.
    """
    field_name = f"{field_prefix}boxCodes"
    if len(codes) > item.boxes:
        raise ShipmentError(
            f"{field_name}: {len(codes)} codes sent for a line of {item.boxes} boxes."
        )
    problems = []
    seen: set[str] = set()
    for index, code in enumerate(codes):
        problem = box_code_error(code)
        if problem:
            problems.append(f"{field_name}[{index}] {code!r}: {problem}")
        elif code in seen:
            problems.append(f"{field_name}[{index}] {code!r}: sent twice")
        seen.add(code)
    if problems:
        raise ShipmentError("; ".join(problems) + ".")
    _raise_if_codes_taken(codes, field_name)


def box_codes_taken(codes: list[str]) -> set[str]:
    """Return which of the normalized ``codes`` a stored box has, in any case."""
    return set(
        Box.objects.annotate(code_upper=Upper("code"))
        .filter(code_upper__in=codes)
        .values_list("code_upper", flat=True)
    )


def _raise_if_codes_taken(codes: list[str], field_name: str) -> None:
    """Raise a "conflict" ShipmentError naming each of the normalized ``codes`` already stored."""
    taken = box_codes_taken(codes)
    problems = [
        f"{field_name}[{index}] {code!r}: already used by another box"
        for index, code in enumerate(codes)
        if code in taken
    ]
    if problems:
        raise ShipmentError("; ".join(problems) + ".", kind="conflict")


def _check_lot(lot_number: str, field_prefix: str = "") -> None:
    """Raise ShipmentError unless ``lot_number`` is 1 to 20 digits, not 0, outside LOT_RANGE."""
    field_name = f"{field_prefix}lotNumber"
    numeric = lot_number.isascii() and lot_number.isdigit()
    if not numeric or len(lot_number) > 20 or int(lot_number) == 0:
        raise ShipmentError(
            f"{field_name} {lot_number!r}: must be a positive whole number of 1 to 20 digits."
        )
    if LOT_RANGE[0] <= int(lot_number) <= LOT_RANGE[1]:
        raise ShipmentError(
            f"{field_name} {lot_number!r}: numbers {LOT_RANGE[0]}-{LOT_RANGE[1]} are the "
            "portal's own lot numbers; send a number outside that range, or none to get one."
        )


def _split(item: PurchaseOrderItem, shipped: int) -> PurchaseOrderItem:
    """Move the boxes not shipped to a new open line split from `item`."""
    remainder = PurchaseOrderItem.objects.create(
        purchase_order=item.purchase_order,
        prebook_item=item.prebook_item,
        product=item.product,
        vendor_product=item.vendor_product,
        box_type=item.box_type,
        vendor_box_type=item.vendor_box_type,
        unit_type=item.unit_type,
        boxes=item.boxes - shipped,
        bunches=item.bunches,
        stems_per_bunch=item.stems_per_bunch,
        cost=item.cost,
        mark_code=item.mark_code,
        notes=item.notes,
        split_from=item,
        hold_reason=item.hold_reason,
    )
    PurchaseOrderBreakdown.objects.bulk_create(
        [
            PurchaseOrderBreakdown(
                po_item=remainder,
                prebook_item=row.prebook_item,
                product=row.product,
                vendor_product=row.vendor_product,
                bunches=row.bunches,
                stems_per_bunch=row.stems_per_bunch,
                cost=row.cost,
            )
            for row in item.breakdowns.all()
        ]
    )
    item.boxes = shipped
    return remainder


def po_item_ship(
    *,
    farm: Vendor | None,
    po_item_id: int,
    awb: str,
    house_awb: str = "",
    ship_date: datetime.date,
    box_codes: list[str] | None = None,
    lot_number: str = "",
    actor_label: str,
    field_prefix: str = "",
) -> ShipmentOutcome:
    """Ship one PO line on an AWB, creating its boxes; raise ShipmentError when it cannot.

    Fewer codes than boxes is a partial shipment: the shipped boxes stay on this line
    and the rest move to a new open line (returned as `new_po_item_id`). Box codes are
    stored upper-cased. ``field_prefix`` goes before field names in error messages.
    """
    item = _load_line(po_item_id, farm, field_prefix)
    _check_line(item, field_prefix)
    problem = awb_error(awb)
    if problem:
        raise ShipmentError(f"{field_prefix}awb {awb!r}: {problem}.")
    problem = ship_date_error(ship_date)
    if problem:
        raise ShipmentError(f"{field_prefix}shipDate {ship_date.isoformat()}: {problem}")
    if len(house_awb) > 25:
        raise ShipmentError(f"{field_prefix}houseAWB: must be at most 25 characters.")
    codes = [box_code_normalize(code) for code in box_codes] if box_codes else []
    _check_codes(item, codes, field_prefix=field_prefix)
    if lot_number:
        _check_lot(lot_number, field_prefix)
    else:
        lot_number = str(document_numbers_next(name=LOT)[0])

    remainder = None
    if codes and len(codes) < item.boxes:
        remainder = _split(item, len(codes))
    if not codes:
        codes = [generated_box_code(item, n) for n in range(1, item.boxes + 1)]
        _check_codes(item, codes)
    try:
        with transaction.atomic():
            Box.objects.bulk_create(
                [
                    Box(
                        code=code,
                        po_item=item,
                        sequence=n,
                        lot_number=lot_number,
                        awb=awb_normalize(awb),
                        house_awb=house_awb,
                        ship_date=ship_date,
                    )
                    for n, code in enumerate(codes, start=1)
                ]
            )
    except IntegrityError:
        # A concurrent request stored one of these codes after _check_codes ran, so the
        # unique index on UPPER(code) rejected this insert.
        _raise_if_codes_taken(codes, f"{field_prefix}boxCodes")
        raise
    item.status = PurchaseOrderItem.Status.SHIPPED
    item.save(update_fields=["status", "boxes", "updated_at"])
    audit_record(
        action="purchase_order.line_shipped",
        obj=item.purchase_order,
        actor_label=actor_label,
        changes={
            f"line {item.pk}": ["open", f"shipped {len(codes)} boxes on {awb_normalize(awb)}"]
        },
    )
    return ShipmentOutcome(
        po_item_id=item.pk,
        ok=True,
        message="OK"
        if remainder is None
        else f"Partial shipment: {remainder.boxes} boxes moved to line {remainder.pk}.",
        box_codes=codes,
        lot_number=lot_number,
        new_po_item_id=remainder.pk if remainder else None,
        purchase_order=item.purchase_order,
    )


def shipment_record(
    *,
    farm: Vendor | None,
    lines: list[dict[str, Any]],
    actor_label: str,
    line_indexes: list[int] | None = None,
) -> list[ShipmentOutcome]:
    """Ship several PO lines, each in its own savepoint; a failed line is reported, not raised.

    `lines` contains dicts with `poItemId`, `awb`, `houseAWB`, `shipDate`, `boxCodes`,
    `lotNumber`. `line_indexes` gives each line's position in the request's `poItems`,
    for the field names in messages, when the caller left some items out; by default a
    line's position in `lines` is used. A PO whose lines have all shipped becomes Shipped.
    """
    if line_indexes is None:
        line_indexes = list(range(len(lines)))
    outcomes = []
    seen_codes: set[str] = set()
    for line_index, line in zip(line_indexes, lines, strict=True):
        codes = [box_code_normalize(code) for code in line.get("boxCodes") or []]
        repeated = [code for code in codes if code in seen_codes]
        if repeated:
            outcomes.append(
                ShipmentOutcome(
                    po_item_id=line["poItemId"],
                    ok=False,
                    message=(
                        f"poItems[{line_index}].boxCodes {repeated!r}: "
                        "already sent for another line."
                    ),
                )
            )
            continue
        try:
            with transaction.atomic():
                outcome = po_item_ship(
                    farm=farm,
                    po_item_id=line["poItemId"],
                    awb=line["awb"],
                    house_awb=line.get("houseAWB") or "",
                    ship_date=line["shipDate"],
                    box_codes=codes,
                    lot_number=line.get("lotNumber") or "",
                    actor_label=actor_label,
                    field_prefix=f"poItems[{line_index}].",
                )
        except ShipmentError as error:
            outcomes.append(
                ShipmentOutcome(po_item_id=line["poItemId"], ok=False, message=error.message)
            )
            continue
        seen_codes.update(outcome.box_codes)
        outcomes.append(outcome)

    shipped_pos = {o.purchase_order.pk: o.purchase_order for o in outcomes if o.purchase_order}
    for po in shipped_pos.values():
        purchase_order_ship_if_complete(po=po, actor_label=actor_label)
    return outcomes


@dataclass
class CodeChangeOutcome:
    current_code: str
    new_code: str
    ok: bool
    message: str
    # False for a box that already had the new code (in any case): it succeeds unchanged.
    changed: bool = True


def box_codes_change(
    *,
    farm: Vendor | None,
    changes: list[tuple[str, str]],
    actor_label: str,
    indexes: list[int] | None = None,
) -> list[CodeChangeOutcome]:
    """Replace box codes one by one (`box.code.change`); a farm only changes its own boxes.

    Both codes are normalized, so the current code matches in any case and the new code
    is stored in upper case. Each outcome echoes the current code as sent, so the caller
    can match it to its request, and the new code as stored. `indexes` gives each
    change's position in the request's `boxes`, for the field names in messages, when
    the caller left some boxes out; by default a change's position in `changes` is used.
    """
    if indexes is None:
        indexes = list(range(len(changes)))
    outcomes = []
    for index, (current, new) in zip(indexes, changes, strict=True):
        new_code = box_code_normalize(new)
        field_prefix = f"boxes[{index}]."
        try:
            with transaction.atomic():
                changed = _box_code_change(
                    farm=farm,
                    current=current.strip(),
                    new=new_code,
                    field_prefix=field_prefix,
                    actor_label=actor_label,
                )
        except ShipmentError as error:
            outcomes.append(CodeChangeOutcome(current, new_code, False, error.message))
            continue
        if not changed:
            message = f"{field_prefix}newBoxCode {new_code!r}: the box already has this code."
            outcomes.append(CodeChangeOutcome(current, new_code, True, message, changed=False))
            continue
        outcomes.append(CodeChangeOutcome(current, new_code, True, "success"))
    return outcomes


def box_for_code(boxes: QuerySet[Box], code: str) -> Box | None:
    """Return the box of ``boxes`` with this code, matched exactly first, then ignoring case.

    Matching UPPER(code) finds a code stored outside the upper-case form, such as one
    written before box codes were upper-cased, whatever case it is scanned in. The unique
    index on UPPER(code) allows at most one box per code in any case.
    """
    normalized = box_code_normalize(code)
    candidates = boxes.alias(code_upper=Upper("code")).filter(
        Q(code=code) | Q(code_upper=normalized)
    )
    matches = list(candidates[:2])
    exact = [box for box in matches if box.code == code]
    return (exact or matches or [None])[0]


def _box_code_change(
    *, farm: Vendor | None, current: str, new: str, field_prefix: str, actor_label: str
) -> bool:
    """Give the box with code `current` the normalized code `new`; return whether it changed.

    A box whose stored code already equals `new` is left as it is.
    """
    boxes = Box.objects.select_for_update(of=("self",)).select_related("po_item__purchase_order")
    box = box_for_code(boxes, current)
    current = box.code if box is not None else current
    if box is None or (farm is not None and box.po_item.purchase_order.vendor_id != farm.pk):
        # Komet's own wording, which farm systems may match on.
        raise ShipmentError("Box code does not exist", kind="not_found")
    problem = box_code_error(new)
    if problem:
        raise ShipmentError(f"{field_prefix}newBoxCode {new!r}: {problem}")
    if new == current:
        return False
    taken_message = f"{field_prefix}newBoxCode {new!r}: already used by another box"
    if box_codes_taken([new]) - {box_code_normalize(current)}:
        raise ShipmentError(taken_message, kind="conflict")
    if box.received_at is not None:
        raise ShipmentError(
            f"{field_prefix}currentBoxCode {current!r}: Box was already received; "
            "its code can no longer change",
            kind="conflict",
        )
    box.code = new
    try:
        with transaction.atomic():
            box.save(update_fields=["code", "updated_at"])
    except IntegrityError:
        # A concurrent request took the new code after the check above.
        if box_codes_taken([new]):
            raise ShipmentError(taken_message, kind="conflict") from None
        raise
    audit_record(
        action="box.code_change",
        obj=box.po_item.purchase_order,
        actor_label=actor_label,
        changes={"box code": [current, new]},
    )
    return True
