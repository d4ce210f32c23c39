"""PO and lot numbers, allocated from `DocumentCounter` rows.

Prebook numbers come from `orders.services.prebooks.prebook_number_allocate`, which uses
the same counter table.

The counter row is locked with SELECT ... FOR UPDATE, so two concurrent requests never
receive the same number; the lock is held until the caller's transaction ends.
"""

from django.db import transaction

from orders.models import DocumentCounter, PurchaseOrder

PURCHASE_ORDER = "purchase_order"
LOT = "lot"

# First numbers handed out when a counter row does not exist yet.
FIRST_VALUES = {PURCHASE_ORDER: 100000, LOT: 1000}
# Lot numbers the portal generates stay in 1000-99999; farms must send theirs outside it.
LOT_RANGE = (1000, 99999)


def _counter_locked(name: str) -> DocumentCounter:
    counter = DocumentCounter.objects.select_for_update().filter(name=name).first()
    if counter is not None:
        return counter
    DocumentCounter.objects.get_or_create(
        name=name, defaults={"last_value": FIRST_VALUES[name] - 1}
    )
    return DocumentCounter.objects.select_for_update().get(name=name)


def document_numbers_next(*, name: str, count: int = 1) -> list[int]:
    """Allocate `count` consecutive numbers from counter `name` (inside a transaction)."""
    with transaction.atomic():
        counter = _counter_locked(name)
        first = counter.last_value + 1
        last = counter.last_value + count
        if name == LOT and last > LOT_RANGE[1]:
            first, last = LOT_RANGE[0], LOT_RANGE[0] + count - 1
        DocumentCounter.objects.filter(pk=counter.pk).update(last_value=last)
    return list(range(first, last + 1))


def purchase_order_number_next() -> str:
    """Return the next unused PO number as text (`PurchaseOrder.number` is up to 10 characters).

    Numbers already taken by POs written another way (imports, the admin) are skipped.
    """
    while True:
        number = str(document_numbers_next(name=PURCHASE_ORDER)[0])
        if not PurchaseOrder.objects.filter(number=number).exists():
            return number
