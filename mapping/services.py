"""Resolving a farm's codes to the importer's master data, and mapping unknown ones.

Mapping a code sets its target, fixes every prebook and PO line that uses it and
recomputes their holds in one transaction. It then hands the documents to a
`MappingRelease`, which a Celery task (`mapping_release_run`) works through: the task
releases the pushes the holds kept back and carries out approvals that were waiting.
"""

import logging
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone

from audit.services import actor_label_for, audit_record
from catalog.models import BoxType, Carrier, Customer, Product, Vendor
from mapping.kinds import KindSpec, spec_for
from mapping.models import (
    ApprovalWaiting,
    MappingRelease,
    VendorBoxType,
    VendorCarrier,
    VendorCode,
    VendorCustomer,
    VendorProduct,
)
from mapping.suggest import AUTO_ACCEPT_SCORE
from mapping.suggestions import code_suggestions_store

logger = logging.getLogger(__name__)


class MappingError(Exception):
    """A mapping change is not allowed; the message gives the reason and the next step."""


# --- Resolving ---------------------------------------------------------------------------


def _code_key(code: str | None, description: str | None) -> str:
    """Return the key a farm's code is stored under: the code, or the description without one."""
    return (code or "").strip() or " ".join((description or "").split()).upper()


def _resolve(model: type[VendorCode], vendor: Vendor, code: str | None, description: str | None):
    key = _code_key(code, description)[:100]
    row = model.objects.select_related("target").filter(vendor=vendor, code=key).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            row = model.objects.create(
                vendor=vendor, code=key, description=(description or "").strip()[:200]
            )
    except IntegrityError:
        # Another request created the same code at the same moment.
        return model.objects.select_related("target").get(vendor=vendor, code=key)
    logger.info("New %s code %r from vendor %s", spec_for(model).kind, key, vendor.code)
    if not _map_exact_code(row):
        code_suggestions_store(row)
    return row


# The catalogue field a farm's code is compared with when it is first seen.
EXACT_CODE_FIELDS: dict[type[models.Model], str] = {
    Product: "legacy_code",
    BoxType: "code",
    Carrier: "code",
    Customer: "code",
}


def _map_exact_code(row: VendorCode) -> bool:
    """Map a new farm code that equals a catalogue code (ignoring case); return True if mapped.

    Farms set up with the importer's own codes (box types HB/QB, carrier and customer
    codes from `carrier.list` and `customer.list`) then need no mapping by hand.
    """
    spec = spec_for(row)
    lookup = {f"{EXACT_CODE_FIELDS[spec.target_model]}__iexact": row.code}
    if hasattr(spec.target_model, "active"):
        lookup["active"] = True
    matches = list(spec.target_model.objects.filter(**lookup)[:2])
    if len(matches) != 1:
        return False
    row.target = matches[0]
    row.mapped_at = timezone.now()
    row.save(update_fields=["target", "mapped_at", "updated_at"])
    audit_record(
        action="mapping.map",
        obj=row,
        actor_label="system",
        changes={"target": [None, str(matches[0])]},
        reason="The farm's code equals the catalogue code.",
    )
    return True


def vendor_product_resolve(
    *, vendor: Vendor, code: str | None, description: str | None
) -> VendorProduct:
    """Return the farm's product code row, creating it (unmapped, with suggestions) if new."""
    return _resolve(VendorProduct, vendor, code, description)


def vendor_box_type_resolve(
    *, vendor: Vendor, code: str | None, description: str | None
) -> VendorBoxType:
    return _resolve(VendorBoxType, vendor, code, description)


def vendor_carrier_resolve(
    *, vendor: Vendor, code: str | None, description: str | None
) -> VendorCarrier:
    return _resolve(VendorCarrier, vendor, code, description)


def vendor_customer_resolve(
    *, vendor: Vendor, code: str | None, description: str | None
) -> VendorCustomer:
    return _resolve(VendorCustomer, vendor, code, description)


# --- Mapping -----------------------------------------------------------------------------


def vendor_code_shipped_boxes(*, code: VendorCode) -> int:
    """Count the boxes already shipped on PO lines that use `code`."""
    from orders.models import Box

    spec = spec_for(code)
    condition = Q(**{f"po_item__prebook_item__{spec.prebook_code_path}": code})
    if spec.po_code_path:
        condition |= Q(**{f"po_item__{spec.po_code_path}": code})
    return Box.objects.filter(condition).distinct().count()


def _check_changeable(code: VendorCode) -> None:
    shipped = vendor_code_shipped_boxes(code=code)
    if shipped:
        raise MappingError(
            f"{code} cannot be remapped or unmapped: {shipped} box(es) of lines using it have "
            "already shipped. Ask the farm to send a new code for future orders instead."
        )


def _fix_lines(spec: KindSpec, code: VendorCode, old, new) -> tuple[set[int], set[int]]:
    """Point every line (or header) using `code` from `old` to `new`; return document ids."""
    from orders.models import (
        Prebook,
        PrebookBreakdown,
        PrebookItem,
        PurchaseOrder,
        PurchaseOrderBreakdown,
        PurchaseOrderItem,
    )

    prebook_ids = set(
        PrebookItem.objects.filter(**{spec.prebook_code_path: code}).values_list(
            "prebook_id", flat=True
        )
    )
    po_ids: set[int] = set()
    if spec.po_code_path:
        po_ids = set(
            PurchaseOrderItem.objects.filter(**{spec.po_code_path: code}).values_list(
                "purchase_order_id", flat=True
            )
        )

    # Only fields still empty or still pointing at the old target change, so a line someone
    # corrected by hand keeps its product.
    if spec.holds_headers:
        header_field = spec.prebook_target_path.split("__", 1)[1]
        code_field = spec.prebook_code_path.split("__", 1)[1]
        unchanged = Q(**{f"{header_field}__isnull": True}) | Q(**{header_field: old})
        prebooks = Prebook.objects.filter(Q(**{code_field: code}) & unchanged)
        prebook_ids |= set(prebooks.values_list("id", flat=True))
        prebooks.update(**{header_field: new})
        if spec.po_code_path:
            pos = PurchaseOrder.objects.filter(Q(**{code_field: code}) & unchanged)
            po_ids |= set(pos.values_list("id", flat=True))
            pos.update(**{header_field: new})
        return prebook_ids, po_ids

    field = spec.prebook_target_path
    unchanged = Q(**{f"{field}__isnull": True}) | Q(**{field: old})
    PrebookItem.objects.filter(Q(**{spec.prebook_code_path: code}) & unchanged).update(
        **{field: new}
    )
    PurchaseOrderItem.objects.filter(Q(**{spec.po_code_path: code}) & unchanged).update(
        **{field: new}
    )
    if field == "product":
        # Mixed boxes name a product per breakdown row; they follow the same code.
        for model in (PrebookBreakdown, PurchaseOrderBreakdown):
            model.objects.filter(Q(vendor_product=code) & unchanged).update(product=new)
    return prebook_ids, po_ids


def _refresh_holds(prebook_ids: set[int], po_ids: set[int]) -> None:
    from orders.models import Prebook, PurchaseOrder
    from orders.services.holds import prebook_refresh_holds, purchase_order_refresh_holds

    for prebook in Prebook.objects.filter(id__in=prebook_ids):
        prebook_refresh_holds(prebook)
    for po in PurchaseOrder.objects.filter(id__in=po_ids):
        purchase_order_refresh_holds(po)


def vendor_code_map(
    *, code: VendorCode, target: models.Model | None, actor: Any, reason: str = ""
) -> MappingRelease | None:
    """Map `code` to `target` (or unmap it with None), fix its lines and queue their release.

    Raises MappingError when the target is of the wrong kind or inactive, or when a
    remap or unmap would change lines that have already shipped. Returns the release
    that re-drives the affected documents, or None when no document uses the code or
    the change only holds lines again (unmapping).
    """
    spec = spec_for(code)
    if target is not None and not isinstance(target, spec.target_model):
        raise MappingError(
            f"{code} is a {spec.kind.replace('_', ' ')} code; "
            f"it cannot be mapped to {type(target).__name__} {target}."
        )
    if target is not None and getattr(target, "active", True) is False:
        raise MappingError(f"{target} is inactive; choose an active record or reactivate it.")

    with transaction.atomic():
        code = type(code).objects.select_for_update().select_related("vendor").get(pk=code.pk)
        old = code.target
        if old == target:
            return None
        if old is not None:
            _check_changeable(code)

        user = actor if getattr(actor, "is_authenticated", False) else None
        code.target = target
        code.mapped_at = timezone.now() if target is not None else None
        code.mapped_by = user if target is not None else None
        code.save(update_fields=["target", "mapped_at", "mapped_by", "updated_at"])

        prebook_ids, po_ids = _fix_lines(spec, code, old, target)
        _refresh_holds(prebook_ids, po_ids)

        action = "mapping.unmapped" if target is None else (
            "mapping.remapped" if old is not None else "mapping.mapped"
        )
        audit_record(
            action=action,
            obj=code,
            actor=actor,
            changes={"target": [_describe(old), _describe(target)]},
            reason=reason,
        )
        logger.info(
            "%s %s: %s -> %s by %s (%d prebooks, %d POs)",
            action, code.pk, _describe(old), _describe(target), actor_label_for(actor),
            len(prebook_ids), len(po_ids),
        )
        if target is None or not (prebook_ids or po_ids):
            return None
        return _release_create(spec, code, prebook_ids, po_ids, user, is_remap=old is not None)


def _describe(target: models.Model | None) -> str | None:
    if target is None:
        return None
    return f"{target} (#{target.pk})"


def _release_create(
    spec: KindSpec,
    code: VendorCode,
    prebook_ids: set[int],
    po_ids: set[int],
    user,
    *,
    is_remap: bool,
) -> MappingRelease:
    documents = [{"type": "prebook", "id": pk} for pk in sorted(prebook_ids)]
    documents += [{"type": "purchase_order", "id": pk} for pk in sorted(po_ids)]
    release = MappingRelease.objects.create(
        kind=spec.kind,
        code_id=code.pk,
        code_label=str(code)[:200],
        documents=documents,
        total=len(documents),
        is_remap=is_remap,
        created_by=user,
    )
    transaction.on_commit(lambda: _enqueue_release(release.pk))
    return release


def _enqueue_release(release_id: int) -> None:
    from mapping.tasks import mapping_release_run

    mapping_release_run.delay(release_id)


def vendor_product_map(
    *, vendor_product: VendorProduct, product: Product | None, actor: Any, reason: str = ""
) -> MappingRelease | None:
    """Map a farm's product code to a catalogue product; see `vendor_code_map`."""
    return vendor_code_map(code=vendor_product, target=product, actor=actor, reason=reason)


def vendor_box_type_map(
    *, vendor_box_type: VendorBoxType, box_type: BoxType | None, actor: Any, reason: str = ""
) -> MappingRelease | None:
    return vendor_code_map(code=vendor_box_type, target=box_type, actor=actor, reason=reason)


def vendor_carrier_map(
    *, vendor_carrier: VendorCarrier, carrier: Carrier | None, actor: Any, reason: str = ""
) -> MappingRelease | None:
    return vendor_code_map(code=vendor_carrier, target=carrier, actor=actor, reason=reason)


def vendor_customer_map(
    *, vendor_customer: VendorCustomer, customer: Customer | None, actor: Any, reason: str = ""
) -> MappingRelease | None:
    return vendor_code_map(code=vendor_customer, target=customer, actor=actor, reason=reason)


def vendor_codes_map_suggested(
    *, codes: list[VendorCode], actor: Any, min_score: float = AUTO_ACCEPT_SCORE
) -> tuple[int, int]:
    """Map each unmapped code to its first suggestion if that scores at least `min_score`.

    Returns (mapped, skipped). Each code is mapped in its own transaction, so one code
    that cannot be mapped does not undo the others.
    """
    mapped = skipped = 0
    for code in codes:
        spec = spec_for(code)
        first = code.suggestions[0] if code.suggestions else None
        target = None
        if code.target_id is None and first and float(first.get("score", 0)) >= min_score:
            target = spec.target_model.objects.filter(pk=first["id"]).first()
        if target is None:
            skipped += 1
            continue
        try:
            vendor_code_map(
                code=code,
                target=target,
                actor=actor,
                reason=f"Accepted the first suggestion (score {first['score']}, "
                f"threshold {min_score:g}).",
            )
        except MappingError as error:
            logger.warning("Bulk mapping skipped %s %s: %s", spec.kind, code.pk, error)
            skipped += 1
            continue
        mapped += 1
    return mapped, skipped


def vendor_codes_suggestions_refresh(*, codes: list[VendorCode]) -> int:
    """Recompute the stored suggestions of `codes`; return how many were refreshed."""
    for code in codes:
        code_suggestions_store(code)
    return len(codes)


# --- Approvals waiting on mapping --------------------------------------------------------
# `orders.services.purchase_orders.purchase_order_approve_when_mapped` records them; the
# release (`mapping.release`) carries them out.


def approval_waiting_cancel(*, waiting: ApprovalWaiting, actor: Any) -> ApprovalWaiting:
    """Withdraw a waiting approval; the PO stays Pending Approval."""
    with transaction.atomic():
        waiting = ApprovalWaiting.objects.select_for_update().get(pk=waiting.pk)
        if waiting.state != ApprovalWaiting.State.WAITING:
            raise MappingError(f"{waiting} is no longer waiting and cannot be cancelled.")
        waiting.state = ApprovalWaiting.State.CANCELLED
        waiting.resolved_at = timezone.now()
        waiting.save(update_fields=["state", "resolved_at", "updated_at"])
        audit_record(
            action="purchase_order.approval_withdrawn", obj=waiting.purchase_order, actor=actor
        )
    return waiting
