"""Delivery of outbox rows to farms, and the periodic sweep that makes it lose nothing.

A delivery claims its row in a short transaction (pending or failed → sent, one
`ExchangeAttempt` opened), sends the push with no lock held, and records the response in a
second transaction. Because the claim only succeeds on a runnable row, a task that runs
twice for one row sends once. A worker that dies mid-request leaves the row `sent`; the
sweep releases such rows after the read timeout plus a margin and re-enqueues every row
that is due, so a lost broker message, a Redis restart or a killed worker only delays a
push. Pushes of one document (`document_key`) go out in row order: a row waits while an
older row of the same document is neither processed nor cancelled.
"""

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.db.models.functions import Coalesce
from django.utils import timezone

from sync.client import (
    FarmRejectedPushError,
    PermanentPushError,
    PushError,
    TransientPushError,
    push_send,
)
from sync.models import Direction, Exchange, ExchangeAttempt, ExchangeState
from sync.states import RUNNABLE_STATES, SETTLED_STATES, exchange_transition

logger = logging.getLogger(__name__)

State = ExchangeState

# A task may arrive a little before `next_attempt_at` because the countdown and the
# stored time are computed a few milliseconds apart.
EARLY_ARRIVAL_TOLERANCE = timedelta(seconds=1)
STUCK_ERROR = "No answer was recorded: the worker stopped during the attempt."


@dataclass(frozen=True)
class SweepResult:
    released: int
    enqueued: int


def stuck_after_seconds() -> float:
    """Return how long a row may stay `sent` before the sweep treats its worker as lost."""
    return settings.PUSH_CONNECT_TIMEOUT + settings.PUSH_READ_TIMEOUT + settings.PUSH_STUCK_MARGIN


def backoff_delay(*, attempts: int, retry_after: float | None = None,
                  rng: random.Random | None = None) -> float:
    """Return the seconds to wait before the next try: capped exponential, full jitter.

    The ceiling is PUSH_BACKOFF_BASE × 2^(attempts − 1), at most PUSH_BACKOFF_MAX, and the
    delay is uniform between 0 and the ceiling. A Retry-After from the farm is a floor,
    itself capped at PUSH_RETRY_AFTER_MAX.
    """
    ceiling = min(settings.PUSH_BACKOFF_MAX, settings.PUSH_BACKOFF_BASE * 2 ** max(attempts - 1, 0))
    delay = (rng or random).uniform(0, ceiling)
    if retry_after is not None:
        delay = max(delay, min(retry_after, settings.PUSH_RETRY_AFTER_MAX))
    return delay


def exchange_enqueue(exchange_id: int, *, countdown: float | None = None) -> bool:
    """Send a delivery task for the row; return False if the broker could not take it.

    A lost enqueue is not an error: the row stays due and the sweep sends it later.
    """
    from sync.tasks import exchange_deliver

    try:
        exchange_deliver.apply_async((exchange_id,), countdown=countdown)
    except Exception as error:  # noqa: BLE001 - any broker failure; the sweep recovers
        logger.warning(
            "Could not enqueue delivery of exchange %s (%s); the sweep will send it",
            exchange_id,
            error,
        )
        return False
    return True


def enqueue_on_commit(exchange_id: int, *, countdown: float | None = None) -> None:
    transaction.on_commit(lambda: exchange_enqueue(exchange_id, countdown=countdown))


def older_unsettled(exchange: Exchange) -> Exchange | None:
    """Return the oldest earlier row of the same document that is not yet settled."""
    if not exchange.document_key:
        return None
    return (
        Exchange.objects.filter(
            direction=Direction.OUTBOUND, document_key=exchange.document_key, pk__lt=exchange.pk
        )
        .exclude(state__in=SETTLED_STATES)
        .order_by("pk")
        .only("pk", "state")
        .first()
    )


def next_in_document(exchange: Exchange) -> Exchange | None:
    """Return the next runnable row of the same document, which may go out now."""
    if not exchange.document_key:
        return None
    return (
        Exchange.objects.filter(
            direction=Direction.OUTBOUND, document_key=exchange.document_key, pk__gt=exchange.pk
        )
        .exclude(state__in=SETTLED_STATES)
        .order_by("pk")
        .only("pk", "state")
        .first()
    )


def enqueue_successor(exchange: Exchange) -> None:
    """After a row settles, enqueue the row of the same document that was waiting for it."""
    successor = next_in_document(exchange)
    if successor is not None and successor.state in RUNNABLE_STATES:
        enqueue_on_commit(successor.pk)


def _locked(queryset, *, skip_locked: bool):
    # `of` keeps the lock on the exchange row only, not on the joined vendor.
    return queryset.select_for_update(skip_locked=skip_locked, of=("self",))


def exchange_claim(exchange_id: int) -> tuple[Exchange, ExchangeAttempt] | None:
    """Mark the row `sent` and open an attempt, or return None if it must not be sent now."""
    with transaction.atomic():
        queryset = Exchange.objects.select_related("vendor").filter(
            pk=exchange_id, direction=Direction.OUTBOUND
        )
        exchange = _locked(queryset, skip_locked=True).first()
        if exchange is None:
            logger.debug("Exchange %s is missing or locked by another worker", exchange_id)
            return None
        if exchange.state not in RUNNABLE_STATES:
            logger.debug("Exchange %s is %s; nothing to send", exchange_id, exchange.state)
            return None
        now = timezone.now()
        if exchange.next_attempt_at and exchange.next_attempt_at > now + EARLY_ARRIVAL_TOLERANCE:
            logger.debug("Exchange %s is not due until %s", exchange_id, exchange.next_attempt_at)
            return None
        blocker = older_unsettled(exchange)
        if blocker is not None:
            logger.info(
                "Exchange %s waits for exchange %s (%s) of the same document",
                exchange_id,
                blocker.pk,
                blocker.state,
            )
            return None
        number = exchange.attempts + 1
        exchange_transition(
            exchange=exchange, to_state=State.SENT, attempts=number, sent_at=now,
            next_attempt_at=None,
        )
        attempt = ExchangeAttempt.objects.create(exchange=exchange, number=number, started_at=now)
    return exchange, attempt


def exchange_deliver(*, exchange_id: int) -> str:
    """Send one outbox row if it is runnable; return the state it ends in, or 'skipped'."""
    claim = exchange_claim(exchange_id)
    if claim is None:
        return "skipped"
    exchange, attempt = claim
    vendor = exchange.vendor
    logger.info(
        "Sending exchange %s (%s, attempt %s) to vendor %s",
        exchange.pk, exchange.kind, attempt.number, vendor.code,
    )
    try:
        response = push_send(
            url=vendor.push_url,
            secret=vendor.signing_secret,
            event_id=exchange.external_id,
            envelope=exchange.payload,
        )
    except PushError as error:
        return _record_failure(exchange, attempt, error)
    except SoftTimeLimitExceeded:
        error = TransientPushError("The delivery task hit its soft time limit.")
        return _record_failure(exchange, attempt, error)
    return _record_success(exchange, attempt, response.status, response.body, response.duration_ms)


def _current_attempt(exchange: Exchange, attempt: ExchangeAttempt) -> Exchange | None:
    """Lock the row and return it if this attempt still owns it (it is `sent` by us)."""
    row = _locked(Exchange.objects.filter(pk=exchange.pk), skip_locked=False).first()
    if row is None or row.state != State.SENT or row.attempts != attempt.number:
        logger.warning(
            "Exchange %s was released while attempt %s ran; the response is stored on the attempt",
            exchange.pk,
            attempt.number,
        )
        return None
    return row


def _close_attempt(attempt: ExchangeAttempt, *, status: int | None, error: str, body: str,
                   duration_ms: int | None) -> None:
    attempt.finished_at = timezone.now()
    attempt.http_status = status
    attempt.error = error
    attempt.response_body = body
    attempt.duration_ms = duration_ms
    attempt.save(
        update_fields=["finished_at", "http_status", "error", "response_body", "duration_ms"]
    )


def _record_success(exchange: Exchange, attempt: ExchangeAttempt, status: int, body: str,
                    duration_ms: int) -> str:
    with transaction.atomic():
        _close_attempt(attempt, status=status, error="", body=body, duration_ms=duration_ms)
        row = _current_attempt(exchange, attempt)
        if row is None:
            return "released"
        exchange_transition(
            exchange=row,
            to_state=State.PROCESSED,
            processed_at=timezone.now(),
            response_status=status,
            response_body=body,
            last_error="",
        )
        enqueue_successor(row)
    logger.info("Exchange %s delivered (HTTP %s, %s ms)", exchange.pk, status, duration_ms)
    return State.PROCESSED


def _record_failure(exchange: Exchange, attempt: ExchangeAttempt, error: PushError) -> str:
    with transaction.atomic():
        _close_attempt(
            attempt, status=error.status, error=error.message, body=error.body,
            duration_ms=error.duration_ms,
        )
        row = _current_attempt(exchange, attempt)
        if row is None:
            return "released"
        fields = {
            "last_error": error.message,
            "response_status": error.status,
            "response_body": error.body,
        }
        permanent = isinstance(error, PermanentPushError)
        exhausted = row.attempts >= settings.PUSH_MAX_ATTEMPTS
        if permanent or exhausted:
            if isinstance(error, FarmRejectedPushError):
                reason = "rejected by the farm"
            elif permanent:
                reason = "permanent error"
            else:
                reason = "attempts used up"
            if not permanent:
                fields["last_error"] = (
                    f"{error.message} Gave up after {row.attempts} attempts; retry by hand."
                )
            exchange_transition(exchange=row, to_state=State.NEEDS_ATTENTION, **fields)
            logger.error(
                "Exchange %s needs attention (%s): %s", row.pk, reason, fields["last_error"]
            )
            return State.NEEDS_ATTENTION
        retry_after = getattr(error, "retry_after", None)
        delay = backoff_delay(attempts=row.attempts, retry_after=retry_after)
        fields["next_attempt_at"] = timezone.now() + timedelta(seconds=delay)
        exchange_transition(exchange=row, to_state=State.FAILED, **fields)
        enqueue_on_commit(row.pk, countdown=delay)
    logger.warning(
        "Exchange %s attempt %s failed (%s); retry in %.1f s",
        exchange.pk, attempt.number, error.message, delay,
    )
    return State.FAILED


def exchange_release_stuck(*, now: datetime, stuck_after: float) -> int:
    """Turn rows `sent` for longer than `stuck_after` seconds back into retryable rows."""
    cutoff = now - timedelta(seconds=stuck_after)
    released = 0
    with transaction.atomic():
        rows = _locked(
            Exchange.objects.filter(state=State.SENT, sent_at__lt=cutoff), skip_locked=True
        )
        for row in rows:
            ExchangeAttempt.objects.filter(exchange=row, finished_at__isnull=True).update(
                finished_at=now, error=STUCK_ERROR
            )
            if row.attempts >= settings.PUSH_MAX_ATTEMPTS:
                exchange_transition(
                    exchange=row,
                    to_state=State.NEEDS_ATTENTION,
                    last_error=f"{STUCK_ERROR} Gave up after {row.attempts} attempts.",
                )
            else:
                exchange_transition(
                    exchange=row, to_state=State.FAILED, last_error=STUCK_ERROR,
                    next_attempt_at=now,
                )
                enqueue_on_commit(row.pk)
            released += 1
            logger.warning("Exchange %s was stuck in flight since %s; released", row.pk,
                           row.sent_at)
    return released


def due_exchange_ids(*, now: datetime, grace: float, limit: int) -> list[int]:
    """Return runnable rows whose time has come and whose document has no older open row.

    A row is due `grace` seconds after its `next_attempt_at` (or its last change, for a
    row with none), which leaves time for the message sent on commit or by countdown to
    arrive first.
    """
    cutoff = now - timedelta(seconds=grace)
    blocked = Exchange.objects.filter(
        direction=Direction.OUTBOUND,
        document_key=OuterRef("document_key"),
        pk__lt=OuterRef("pk"),
    ).exclude(state__in=SETTLED_STATES)
    return list(
        Exchange.objects.filter(direction=Direction.OUTBOUND, state__in=RUNNABLE_STATES)
        .annotate(due_at=Coalesce("next_attempt_at", "updated_at"))
        .filter(due_at__lte=cutoff)
        .exclude(Exists(blocked))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def outbox_sweep(
    *,
    now: datetime | None = None,
    grace: float | None = None,
    stuck_after: float | None = None,
    limit: int | None = None,
) -> SweepResult:
    """Release rows stuck in flight, then enqueue every due row; run by Celery beat."""
    now = now or timezone.now()
    released = exchange_release_stuck(
        now=now, stuck_after=stuck_after_seconds() if stuck_after is None else stuck_after
    )
    ids = due_exchange_ids(
        now=now,
        grace=settings.PUSH_SWEEP_GRACE if grace is None else grace,
        limit=settings.PUSH_SWEEP_BATCH if limit is None else limit,
    )
    enqueued = sum(exchange_enqueue(exchange_id) for exchange_id in ids)
    if released or enqueued:
        logger.info("Outbox sweep released %s stuck row(s) and enqueued %s due row(s)",
                    released, enqueued)
    return SweepResult(released=released, enqueued=enqueued)
