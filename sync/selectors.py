"""Shared reads of the exchange ledger."""

from sync.models import Exchange, ExchangeState


def attention_count() -> int:
    """Return how many ledger rows wait for a person (state needs attention)."""
    return Exchange.objects.filter(state=ExchangeState.NEEDS_ATTENTION).count()
