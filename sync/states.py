"""The ledger's state machine: which state a row may move to, enforced in one function.

Outbound rows follow the usual EDI life cycle: pending → sent (in flight) → processed,
with failed (retry scheduled) and needs attention (a person must act) on the way, held
while mapping blocks the document, and cancelled by hand. Inbound rows are written
already processed or rejected and never move.
"""

from typing import Any

from django.utils import timezone

from sync.models import Exchange, ExchangeState, payload_digest

State = ExchangeState

TRANSITIONS: dict[str, frozenset[str]] = {
    State.PENDING: frozenset({State.SENT, State.HELD, State.CANCELLED}),
    State.HELD: frozenset({State.PENDING, State.CANCELLED}),
    State.SENT: frozenset({State.PROCESSED, State.FAILED, State.NEEDS_ATTENTION}),
    State.FAILED: frozenset({State.SENT, State.PENDING, State.NEEDS_ATTENTION, State.CANCELLED}),
    State.NEEDS_ATTENTION: frozenset({State.PENDING, State.CANCELLED}),
    State.PROCESSED: frozenset(),
    State.CANCELLED: frozenset(),
    State.REJECTED: frozenset(),
}

# States in which a push is waiting to be sent; the delivery task acts only on these.
RUNNABLE_STATES = frozenset({State.PENDING, State.FAILED})
# States after which the next push of the same document may go out.
SETTLED_STATES = frozenset({State.PROCESSED, State.CANCELLED})


class ExchangeTransitionError(Exception):
    """A state change the life cycle does not allow, or a row changed by someone else."""


def exchange_transition(*, exchange: Exchange, to_state: str, **fields: Any) -> Exchange:
    """Move `exchange` to `to_state` and store `fields` with it, in one conditional UPDATE.

    The UPDATE also matches the state the row had when it was read, so a row that another
    process moved since then is left alone and ExchangeTransitionError is raised.
    """
    from_state = exchange.state
    if to_state not in TRANSITIONS[from_state]:
        raise ExchangeTransitionError(
            f"Exchange #{exchange.pk} is {from_state} and cannot become {to_state}."
        )
    if "payload" in fields:
        fields["payload_sha256"] = payload_digest(fields["payload"])
    fields["updated_at"] = timezone.now()
    updated = Exchange.objects.filter(pk=exchange.pk, state=from_state).update(
        state=to_state, **fields
    )
    if updated != 1:
        raise ExchangeTransitionError(
            f"Exchange #{exchange.pk} is no longer {from_state}: another process changed it."
        )
    for name, value in fields.items():
        setattr(exchange, name, value)
    exchange.state = to_state
    return exchange
