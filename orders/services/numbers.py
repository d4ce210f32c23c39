"""Prebook, PO and lot numbers.

On PostgreSQL, prebook and PO numbers come from database sequences. `nextval` takes no
lock that lasts until commit, so concurrent `prebook.create` and `purchase.order.create`
calls do not queue behind one another. A number taken by a transaction that rolls back
is skipped, so numbers can have gaps.

On other databases (SQLite for `make demo`), and for lot numbers everywhere, numbers come
from `DocumentCounter` rows locked with SELECT ... FOR UPDATE, so two concurrent requests
never receive the same number. That lock is held until the caller's transaction ends.

Numbers already taken by documents written another way (imports, the admin) are skipped.
"""

from django.db import connection, transaction

from orders.models import DocumentCounter, Prebook, PurchaseOrder

PREBOOK = "prebook"
PURCHASE_ORDER = "purchase_order"
LOT = "lot"

# First numbers handed out when a counter does not exist yet.
FIRST_VALUES = {PREBOOK: 1, PURCHASE_ORDER: 100000, LOT: 1000}
# Lot numbers the portal generates stay in 1000-99999; farms must send theirs outside it.
LOT_RANGE = (1000, 99999)
# PostgreSQL sequences behind the prebook and PO counters (created by a migration).
SEQUENCES = {
    PREBOOK: "orders_prebook_number_seq",
    PURCHASE_ORDER: "orders_purchaseorder_number_seq",
}


def _uses_sequences() -> bool:
    return connection.vendor == "postgresql"


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
    if name in SEQUENCES and _uses_sequences():
        if count != 1:
            raise ValueError("A sequence hands out one number at a time.")
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s)", [SEQUENCES[name]])
            return [cursor.fetchone()[0]]
    with transaction.atomic():
        counter = _counter_locked(name)
        first = counter.last_value + 1
        last = counter.last_value + count
        if name == LOT and last > LOT_RANGE[1]:
            first, last = LOT_RANGE[0], LOT_RANGE[0] + count - 1
        DocumentCounter.objects.filter(pk=counter.pk).update(last_value=last)
    return list(range(first, last + 1))


def document_number_restart(*, name: str, last_value: int) -> None:
    """Set counter `name` so that the next number handed out is `last_value + 1`."""
    if name in SEQUENCES and _uses_sequences():
        with connection.cursor() as cursor:
            # With is_called false, the next nextval returns exactly the value set.
            cursor.execute("SELECT setval(%s, %s, false)", [SEQUENCES[name], last_value + 1])
        return
    DocumentCounter.objects.update_or_create(name=name, defaults={"last_value": last_value})


def prebook_number_next() -> int:
    """Return the next unused prebook number; call inside the transaction that saves it."""
    while True:
        number = document_numbers_next(name=PREBOOK)[0]
        if not Prebook.objects.filter(number=number).exists():
            return number


def purchase_order_number_next() -> str:
    """Return the next unused PO number as text (`PurchaseOrder.number` is up to 10 characters)."""
    while True:
        number = str(document_numbers_next(name=PURCHASE_ORDER)[0])
        if not PurchaseOrder.objects.filter(number=number).exists():
            return number
