"""The purchase-order life cycle, enforced in one place.

Pending Approval → Approved → Confirmed by Farm → Shipped, with Cancelled reachable from
every state but Shipped. Each change is recorded (who, when, from, to, why) and the
changes the farm must hear about are written to the outbox in the same transaction.
"""

import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.services import actor_label_for, audit_record
from orders.models import PurchaseOrder, PurchaseOrderItem, PurchaseOrderStatusChange
from orders.selectors import carrier_cutoff_warning, purchase_order_held_lines

logger = logging.getLogger(__name__)

Status = PurchaseOrder.Status

LEGAL_TRANSITIONS: dict[str, set[str]] = {
    Status.PENDING_APPROVAL: {Status.APPROVED, Status.CANCELLED},
    Status.APPROVED: {Status.CONFIRMED, Status.SHIPPED, Status.CANCELLED},
    Status.CONFIRMED: {Status.SHIPPED, Status.CANCELLED},
    Status.SHIPPED: set(),
    Status.CANCELLED: set(),
}


class TransitionError(Exception):
    """Raised when the PO cannot move to the requested status, with the reason in the message.

    `held_lines` lists the lines that block an approval, when that is the reason.
    """

    def __init__(self, message: str, *, held_lines: list | None = None) -> None:
        super().__init__(message)
        self.held_lines = held_lines or []


def purchase_order_transition(
    *,
    po: PurchaseOrder,
    to_status: str,
    actor: Any = None,
    actor_label: str | None = None,
    reason: str = "",
) -> PurchaseOrder:
    """Move `po` to `to_status` if the life cycle allows it, and record the change."""
    with transaction.atomic():
        po = PurchaseOrder.objects.select_for_update().select_related("vendor").get(pk=po.pk)
        from_status = po.status
        if to_status not in LEGAL_TRANSITIONS[from_status]:
            raise TransitionError(f"PO {po.number} is {from_status} and cannot become {to_status}.")
        if to_status == Status.APPROVED:
            held = purchase_order_held_lines(po=po)
            if held:
                raise TransitionError(held_lines_message(po, held), held_lines=held)

        label = actor_label or actor_label_for(actor)
        user = actor if getattr(actor, "is_authenticated", False) else None
        po.status = to_status
        fields = ["status", "updated_at"]
        if to_status == Status.APPROVED:
            po.approved_at, po.approved_by = timezone.now(), user
            fields += ["approved_at", "approved_by"]
        po.save(update_fields=fields)
        PurchaseOrderStatusChange.objects.create(
            purchase_order=po,
            from_status=from_status,
            to_status=to_status,
            actor=user,
            actor_label=label,
            reason=reason,
        )
        audit_record(
            action=f"purchase_order.{to_status.lower().replace(' ', '_')}",
            obj=po,
            actor=actor,
            actor_label=label,
            changes={"status": [from_status, to_status]},
            reason=reason,
        )
        _notify_farm(po, from_status, to_status)
    return po


def _notify_farm(po: PurchaseOrder, from_status: str, to_status: str) -> None:
    from sync.models import ExchangeKind
    from sync.services import outbox_push_purchase_order

    if to_status == Status.APPROVED:
        outbox_push_purchase_order(po=po, kind=ExchangeKind.PO_APPROVED)
    elif to_status == Status.CANCELLED and from_status in (Status.APPROVED, Status.CONFIRMED):
        outbox_push_purchase_order(po=po, kind=ExchangeKind.PO_CANCELLED)


def purchase_order_approve(*, po: PurchaseOrder, actor: Any = None, actor_label: str | None = None):
    return purchase_order_transition(
        po=po, to_status=Status.APPROVED, actor=actor, actor_label=actor_label
    )


def purchase_order_reject(*, po: PurchaseOrder, actor: Any = None, reason: str) -> PurchaseOrder:
    if not reason.strip():
        raise TransitionError("A reason is required to reject a PO.")
    return purchase_order_transition(
        po=po, to_status=Status.CANCELLED, actor=actor, reason=reason.strip()
    )


def held_lines_message(po: PurchaseOrder, held: list[PurchaseOrderItem]) -> str:
    """Describe the lines that keep `po` from approval: which lines, which codes, and why."""
    parts = []
    for item in held:
        code = item.vendor_product.code if item.vendor_product else ""
        if item.hold_reason == "box_type_not_mapped" and item.vendor_box_type:
            code = item.vendor_box_type.code
        described = f"line {item.pk}"
        if code:
            described += f" ({code})"
        parts.append(f"{described}: {item.get_hold_reason_display().lower()}")
    return (
        f"PO {po.number} cannot be approved: {len(held)} line(s) held by an unmapped code, "
        f"{'; '.join(parts)}. Map the codes in the mapping queue, then approve."
    )


@dataclass
class BulkResult:
    """Outcome of a bulk action: the POs changed, the POs that failed with the reason, warnings."""

    done: list[PurchaseOrder] = field(default_factory=list)
    failed: list[tuple[PurchaseOrder, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def purchase_order_cutoff_warning(*, po: PurchaseOrder) -> str:
    """Return a warning when the PO's carrier cut-off for its ship date has passed, else ''."""
    return carrier_cutoff_warning(
        carrier=po.carrier, day=po.ship_date, what=f"PO {po.number} approved"
    )


def purchase_orders_approve(
    *, pos: list[PurchaseOrder], actor: Any = None, actor_label: str | None = None
) -> BulkResult:
    """Approve each PO on its own, so one refused PO does not undo the others."""
    result = BulkResult()
    for po in pos:
        try:
            approved = purchase_order_approve(po=po, actor=actor, actor_label=actor_label)
        except TransitionError as error:
            result.failed.append((po, str(error)))
            continue
        result.done.append(approved)
        warning = purchase_order_cutoff_warning(po=approved)
        if warning:
            result.warnings.append(warning)
    logger.info(
        "Bulk approval by %s: %d approved, %d failed",
        actor_label or actor_label_for(actor),
        len(result.done),
        len(result.failed),
    )
    return result


def purchase_orders_reject(
    *, pos: list[PurchaseOrder], actor: Any = None, reason: str
) -> BulkResult:
    """Reject (cancel) each PO with the same reason; failures are listed with their reason."""
    if not reason.strip():
        raise TransitionError("A reason is required to reject a PO.")
    result = BulkResult()
    for po in pos:
        try:
            result.done.append(purchase_order_reject(po=po, actor=actor, reason=reason))
        except TransitionError as error:
            result.failed.append((po, str(error)))
    logger.info(
        "Bulk rejection by %s: %d rejected, %d failed",
        actor_label_for(actor),
        len(result.done),
        len(result.failed),
    )
    return result


def approval_waiting_model() -> Any:
    """Return mapping.models.ApprovalWaiting, or None while the mapping app has no such model."""
    try:
        from mapping.models import ApprovalWaiting
    except ImportError:
        return None
    return ApprovalWaiting


def purchase_order_approve_when_mapped(*, po: PurchaseOrder, actor: Any = None) -> Any:
    """Approve now if no line is held, else record that the PO waits for its mappings.

    Returns the approved PO, or the waiting row. Raises TransitionError when the PO is
    not Pending Approval, or when the mapping app cannot record waiting approvals.
    """
    po = PurchaseOrder.objects.get(pk=po.pk)
    if po.status != Status.PENDING_APPROVAL:
        raise TransitionError(
            f"PO {po.number} is {po.status}; only a PO Pending Approval can wait."
        )
    held = purchase_order_held_lines(po=po)
    if not held:
        return purchase_order_approve(po=po, actor=actor)

    waiting_model = approval_waiting_model()
    if waiting_model is None:
        raise TransitionError(
            "Approving once mapped is not available: the mapping app does not record "
            "waiting approvals yet. Map the held lines, then approve."
        )
    user = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        waiting, _ = waiting_model.objects.get_or_create(
            purchase_order=po,
            state=waiting_model.State.WAITING,
            defaults={"requested_by": user},
        )
        audit_record(
            action="purchase_order.approval_waiting",
            obj=po,
            actor=actor,
            reason=held_lines_message(po, held),
        )
    logger.info("PO %s waits for mapping before approval (%d held lines)", po.number, len(held))
    return waiting


def purchase_order_comment(*, po: PurchaseOrder, comments: str, actor: Any = None) -> PurchaseOrder:
    """Change the PO's internal comments and record the change in the audit trail."""
    with transaction.atomic():
        po = PurchaseOrder.objects.select_for_update().get(pk=po.pk)
        before = po.comments
        if before == comments:
            return po
        po.comments = comments
        po.save(update_fields=["comments", "updated_at"])
        audit_record(
            action="purchase_order.commented",
            obj=po,
            actor=actor,
            changes={"comments": [before, comments]},
        )
    return po
