"""Prebook and PO numbers: unique under concurrency, skipping numbers already taken."""

import threading

import pytest
from django.db import connection, transaction

from orders.models import Prebook
from orders.services.numbers import (
    PREBOOK,
    PURCHASE_ORDER,
    document_number_restart,
    prebook_number_next,
    purchase_order_number_next,
)
from tests.factories import PrebookFactory, PurchaseOrderFactory


@pytest.mark.django_db
def test_prebook_number_skips_taken():
    document_number_restart(name=PREBOOK, last_value=500)
    PrebookFactory(number=501)
    PrebookFactory(number=502)
    assert prebook_number_next() == 503


@pytest.mark.django_db
def test_purchase_order_number_skips_taken():
    document_number_restart(name=PURCHASE_ORDER, last_value=700)
    PurchaseOrderFactory(number="701")
    assert purchase_order_number_next() == "702"


@pytest.mark.django_db
def test_purchase_order_number_is_text():
    document_number_restart(name=PURCHASE_ORDER, last_value=199)
    assert purchase_order_number_next() == "200"


@pytest.mark.django_db(transaction=True)
def test_numbers_unique_under_concurrency():
    document_number_restart(name=PREBOOK, last_value=1000)
    numbers: list[int] = []
    lock = threading.Lock()
    # Each thread holds its transaction open after allocating, as a request does until it
    # commits, so a counter that locks until commit would serialise them.
    barrier = threading.Barrier(6, timeout=30)

    def allocate() -> None:
        try:
            with transaction.atomic():
                number = prebook_number_next()
                barrier.wait()
            with lock:
                numbers.append(number)
        finally:
            connection.close()

    threads = [threading.Thread(target=allocate) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(numbers) == 6
    assert len(set(numbers)) == 6
    assert min(numbers) == 1001
    assert not Prebook.objects.filter(number__in=numbers).exists()
