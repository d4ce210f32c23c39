"""The outbox (pushes written with the change that causes them) and people's actions on it.

Callers write pushes inside their own transaction; delivery is enqueued on commit and
lives in sync.delivery and sync.tasks.
"""

import logging
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from catalog.models import Vendor
from orders.models import Prebook, PrebookItem, PurchaseOrder
from sync.delivery import enqueue_on_commit, enqueue_successor
from sync.models import Direction, Exchange, ExchangeAction, ExchangeKind, ExchangeState
from sync.states import ExchangeTransitionError, exchange_transition

logger = logging.getLogger(__name__)

State = ExchangeState

PUSH_KINDS = frozenset(
    {
        ExchangeKind.PO_APPROVED,
        ExchangeKind.PO_CHANGED,
        ExchangeKind.PO_CANCELLED,
        ExchangeKind.PREBOOK_CREATED,
        ExchangeKind.PREBOOK_CHANGED,
        ExchangeKind.PREBOOK_CANCELLED,
    }
)
# A cancellation is never held by mapping: the farm must hear it even while lines of the
# document are unmapped.
CANCEL_KINDS = frozenset({ExchangeKind.PO_CANCELLED, ExchangeKind.PREBOOK_CANCELLED})
RETRYABLE_BY_HAND = frozenset({State.FAILED, State.NEEDS_ATTENTION})
CANCELLABLE_BY_HAND = frozenset({State.PENDING, State.FAILED, State.NEEDS_ATTENTION, State.HELD})


def document_key_for(*, vendor: Vendor, purchase_order: PurchaseOrder | None,
                     prebook: Prebook | None) -> str:
    """Return the key that orders pushes of one document: a PO, or one farm's prebook lines."""
    if purchase_order is not None:
        return f"po:{purchase_order.pk}"
    if prebook is not None:
        return f"prebook:{prebook.pk}:{vendor.pk}"
    raise ValueError("A push needs a purchase_order or a prebook.")


def push_envelope(*, event_id: str, kind: str, vendor: Vendor, payload_data: dict,
                  occurred_at) -> dict[str, Any]:
    """Return the JSON body of a push, as documented in docs/push.md."""
    return {
        "eventId": event_id,
        "eventType": kind,
        "occurredAt": occurred_at.isoformat().replace("+00:00", "Z"),
        "vendorCode": vendor.code,
        "data": payload_data,
    }


def document_is_held(*, vendor: Vendor, purchase_order: PurchaseOrder | None,
                     prebook: Prebook | None) -> bool:
    """Return True while the document (for a prebook: this farm's lines) has held lines.

    Reads the database, so counts refreshed earlier in the caller's transaction count.
    """
    if purchase_order is not None:
        held = (
            PurchaseOrder.objects.filter(pk=purchase_order.pk)
            .values_list("held_line_count", flat=True)
            .first()
        )
        return bool(held)
    return (
        PrebookItem.objects.filter(prebook=prebook, vendor=vendor)
        .exclude(hold_reason="")
        .exists()
    )


def outbox_push(
    *,
    kind: str,
    vendor: Vendor,
    payload_data: dict,
    purchase_order: PurchaseOrder | None = None,
    prebook: Prebook | None = None,
    state: str = ExchangeState.PENDING,
) -> Exchange | None:
    """Write one push to the outbox, inside the caller's transaction, and send it on commit.

    A push whose document still has held lines is written `held` and waits for
    `outbox_release`. A cancellation is always written pending, and it cancels the
    document's earlier held pushes, which the farm never received and no longer needs.
    Returns None for a farm that does not run Axerrio: nothing is pushed to it. Raises
    ValueError for an unknown kind or a push without a document.
    """
    if kind not in PUSH_KINDS:
        raise ValueError(f"Unknown push kind {kind!r}; expected one of {sorted(PUSH_KINDS)}.")
    if state not in (State.PENDING, State.HELD):
        raise ValueError(f"A push is written pending or held, not {state!r}.")
    if not vendor.is_axerrio:
        return None
    document_key = document_key_for(vendor=vendor, purchase_order=purchase_order, prebook=prebook)
    if kind in CANCEL_KINDS:
        state = State.PENDING
        _supersede_held(document_key=document_key, kind=kind)
    elif state == State.PENDING and document_is_held(
        vendor=vendor, purchase_order=purchase_order, prebook=prebook
    ):
        state = State.HELD
    event_id = str(uuid.uuid4())
    occurred_at = timezone.now()
    exchange = Exchange.objects.create(
        direction=Direction.OUTBOUND,
        kind=kind,
        vendor=vendor,
        purchase_order=purchase_order,
        prebook=prebook,
        document_key=document_key,
        external_id=event_id,
        payload=push_envelope(
            event_id=event_id, kind=kind, vendor=vendor, payload_data=payload_data,
            occurred_at=occurred_at,
        ),
        occurred_at=occurred_at,
        state=state,
    )
    if state == State.PENDING:
        enqueue_on_commit(exchange.pk)
    logger.info("Outbox: %s for vendor %s written as exchange %s (%s)", kind, vendor.code,
                exchange.pk, state)
    return exchange


def _supersede_held(*, document_key: str, kind: str) -> None:
    """Cancel the held pushes of a document that is being cancelled."""
    rows = Exchange.objects.select_for_update().filter(
        direction=Direction.OUTBOUND, document_key=document_key, state=State.HELD
    )
    for row in rows:
        exchange_transition(exchange=row, to_state=State.CANCELLED)
        ExchangeAction.objects.create(
            exchange=row, action="cancel", note=f"Superseded by a {kind} push."
        )
        logger.info("Outbox: held exchange %s cancelled by a %s push", row.pk, kind)


def _purchase_order_data(po: PurchaseOrder) -> dict:
    from api.komet import purchase_order_payload, purchase_order_queryset

    return purchase_order_payload(purchase_order_queryset().get(pk=po.pk))


def _prebook_data(prebook: Prebook, vendor: Vendor) -> dict:
    from api.komet import prebook_payload, prebook_queryset

    return prebook_payload(prebook_queryset().get(pk=prebook.pk), vendor=vendor)


def outbox_push_purchase_order(*, po: PurchaseOrder, kind: str) -> Exchange | None:
    """Write a push of `po` as `purchase.order.list` returns it; None for a non-Axerrio farm."""
    if not po.vendor.is_axerrio:
        return None
    return outbox_push(
        kind=kind, vendor=po.vendor, purchase_order=po, payload_data=_purchase_order_data(po)
    )


def prebook_push_vendors(prebook: Prebook) -> list[Vendor]:
    """Return the Axerrio farms named on the prebook's lines, in code order."""
    return list(
        Vendor.objects.filter(prebook_items__prebook=prebook, is_axerrio=True)
        .distinct()
        .order_by("code")
    )


def outbox_push_prebook(
    *, prebook: Prebook, kind: str, vendor: Vendor | None = None
) -> list[Exchange]:
    """Write one push per Axerrio farm on the prebook, each carrying only that farm's lines.

    With `vendor`, write only that farm's push, even if no line names it any more (a
    farm whose lines were all removed gets `prebook.cancelled` this way).
    """
    vendors = [vendor] if vendor is not None else prebook_push_vendors(prebook)
    exchanges = []
    for vendor in vendors:
        exchange = outbox_push(
            kind=kind,
            vendor=vendor,
            prebook=prebook,
            payload_data=_prebook_data(prebook, vendor),
        )
        if exchange is not None:
            exchanges.append(exchange)
    return exchanges


def outbox_release(
    *, prebook: Prebook | None = None, purchase_order: PurchaseOrder | None = None
) -> list[Exchange]:
    """Rebuild and release the held pushes of a document whose held lines are cleared.

    Called by the mapping workbench after a mapping change. Each held row gets its
    payload rebuilt from the current document and becomes pending. A row stays held while
    its document (for a prebook, that farm's lines) still has held lines. Returns the
    released rows.
    """
    if (prebook is None) == (purchase_order is None):
        raise ValueError("Pass exactly one of prebook and purchase_order.")
    released = []
    with transaction.atomic():
        filters = {"purchase_order": purchase_order} if purchase_order else {"prebook": prebook}
        rows = (
            Exchange.objects.select_for_update(of=("self",))
            .select_related("vendor")
            .filter(direction=Direction.OUTBOUND, state=State.HELD, **filters)
            .order_by("pk")
        )
        for row in rows:
            if document_is_held(vendor=row.vendor, purchase_order=purchase_order, prebook=prebook):
                continue
            if purchase_order is not None:
                data = _purchase_order_data(purchase_order)
            else:
                data = _prebook_data(prebook, row.vendor)
            payload = dict(row.payload, data=data)
            exchange_transition(
                exchange=row, to_state=State.PENDING, payload=payload, next_attempt_at=None
            )
            enqueue_on_commit(row.pk)
            released.append(row)
            logger.info("Outbox: exchange %s released from hold", row.pk)
    return released


def _record_action(*, exchange: Exchange, action: str, actor: Any, note: str,
                   from_state: str) -> None:
    user = actor if getattr(actor, "is_authenticated", False) else None
    ExchangeAction.objects.create(exchange=exchange, action=action, actor=user, note=note[:500])
    audit_record(
        action=f"exchange.{action}",
        obj=exchange,
        actor=actor,
        changes={"state": [from_state, exchange.state]},
        reason=note,
    )


def exchange_retry(*, exchange: Exchange, actor: Any = None, note: str = "") -> Exchange:
    """Send a failed or parked push again now, with a fresh attempt budget.

    Raises ExchangeTransitionError for a row in any other state.
    """
    with transaction.atomic():
        row = Exchange.objects.select_for_update().get(pk=exchange.pk)
        if row.direction != Direction.OUTBOUND or row.state not in RETRYABLE_BY_HAND:
            raise ExchangeTransitionError(
                f"Exchange #{row.pk} is {row.get_state_display().lower()}; only failed pushes "
                "and pushes that need attention can be retried."
            )
        from_state = row.state
        # The count restarts so the retry gets PUSH_MAX_ATTEMPTS tries; the earlier
        # tries stay listed as ExchangeAttempt rows.
        exchange_transition(exchange=row, to_state=State.PENDING, attempts=0, next_attempt_at=None)
        _record_action(exchange=row, action="retry", actor=actor, note=note, from_state=from_state)
        enqueue_on_commit(row.pk)
    return row


def exchange_cancel(*, exchange: Exchange, actor: Any = None, note: str = "") -> Exchange:
    """Cancel a push that has not been delivered; the next push of its document may go out.

    Raises ExchangeTransitionError for a row that is in flight, delivered or inbound.
    """
    with transaction.atomic():
        row = Exchange.objects.select_for_update().get(pk=exchange.pk)
        if row.direction != Direction.OUTBOUND or row.state not in CANCELLABLE_BY_HAND:
            raise ExchangeTransitionError(
                f"Exchange #{row.pk} is {row.get_state_display().lower()} and cannot be "
                "cancelled; only undelivered pushes that are not in flight can."
            )
        from_state = row.state
        exchange_transition(exchange=row, to_state=State.CANCELLED, next_attempt_at=None)
        _record_action(exchange=row, action="cancel", actor=actor, note=note, from_state=from_state)
        enqueue_successor(row)
    return row
