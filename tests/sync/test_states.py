"""The ledger's transition table and the one function that applies it."""

import pytest

from sync.models import Direction, Exchange, ExchangeKind, ExchangeState
from sync.states import TRANSITIONS, ExchangeTransitionError, exchange_transition
from tests.factories import VendorFactory

State = ExchangeState


def outbound_row(state: str) -> Exchange:
    return Exchange.objects.create(
        direction=Direction.OUTBOUND,
        kind=ExchangeKind.PO_APPROVED,
        vendor=VendorFactory(),
        external_id=f"event-{state}",
        state=state,
    )


def test_every_state_has_a_row_in_the_table():
    assert set(TRANSITIONS) == set(State.values)


@pytest.mark.parametrize("terminal", [State.PROCESSED, State.CANCELLED, State.REJECTED])
def test_terminal_states_have_no_exit(terminal):
    assert TRANSITIONS[terminal] == frozenset()


@pytest.mark.django_db
def test_transition_applies_state_and_fields():
    row = outbound_row(State.PENDING)
    exchange_transition(exchange=row, to_state=State.SENT, attempts=1)
    stored = Exchange.objects.get(pk=row.pk)
    assert stored.state == State.SENT
    assert stored.attempts == 1


@pytest.mark.django_db
def test_transition_rejects_illegal_move():
    row = outbound_row(State.PROCESSED)
    with pytest.raises(ExchangeTransitionError, match="cannot become pending"):
        exchange_transition(exchange=row, to_state=State.PENDING)
    assert Exchange.objects.get(pk=row.pk).state == State.PROCESSED


@pytest.mark.django_db
def test_transition_detects_stale_row():
    row = outbound_row(State.PENDING)
    Exchange.objects.filter(pk=row.pk).update(state=State.CANCELLED)
    with pytest.raises(ExchangeTransitionError, match="another process"):
        exchange_transition(exchange=row, to_state=State.SENT)
    assert Exchange.objects.get(pk=row.pk).state == State.CANCELLED


@pytest.mark.django_db
def test_transition_rehashes_new_payload():
    row = outbound_row(State.HELD)
    old_digest = row.payload_sha256
    exchange_transition(exchange=row, to_state=State.PENDING, payload={"data": {"n": 1}})
    stored = Exchange.objects.get(pk=row.pk)
    assert stored.payload == {"data": {"n": 1}}
    assert stored.payload_sha256 != old_digest
    assert len(stored.payload_sha256) == 64
