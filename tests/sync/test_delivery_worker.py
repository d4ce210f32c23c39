"""End-to-end delivery with a real Celery worker, Redis, PostgreSQL and the sandbox farm.

Each test checks that every push reaches the farm, in order per document, and that the
farm (which deduplicates by event id) records each event once.
"""

import time

import pytest
import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from orders.models import PurchaseOrder
from orders.services.purchase_orders import purchase_order_transition
from sync.models import Exchange, ExchangeAction, ExchangeAttempt, ExchangeKind, ExchangeState
from sync.tasks import outbox_sweep
from tests.conftest import ARTIFACTS, WorkerProcess, wait_until
from tests.sync.conftest import farm_vendor, purchase_order_with_lines

pytestmark = pytest.mark.skipif(
    not settings.CELERY_BROKER_URL.startswith("redis")
    or settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="needs Redis (CELERY_BROKER_URL) and PostgreSQL (DATABASE_URL)",
)
State = ExchangeState
Status = PurchaseOrder.Status


def approve_and_cancel(vendor, count: int) -> list[PurchaseOrder]:
    """Approve `count` POs and cancel each, so every PO has two pushes that must stay in order."""
    orders = [purchase_order_with_lines(vendor) for _ in range(count)]
    for po in orders:
        purchase_order_transition(po=po, to_status=Status.APPROVED)
        purchase_order_transition(po=po, to_status=Status.CANCELLED)
    return orders


def all_processed() -> bool:
    return not Exchange.objects.exclude(state=State.PROCESSED).exists()


def assert_delivered_once_in_order(farm, orders, *, duplicates: int = 0) -> None:
    rows = list(Exchange.objects.order_by("pk"))
    answer = farm.events()
    received = [event["eventId"] for event in answer["events"]]
    assert sorted(received) == sorted(row.external_id for row in rows)
    assert len(set(received)) == len(received)
    assert answer["duplicateCount"] == duplicates
    for po in orders:
        types = [e["eventType"] for e in answer["events"] if e["number"] == po.number]
        assert types == ["purchase_order.approved", "purchase_order.cancelled"]


def new_worker(request, suffix: str) -> WorkerProcess:
    name = f"{request.node.name[:30]}-{suffix}"
    worker = WorkerProcess(name=name, log_path=ARTIFACTS / "logs" / f"worker-{name}.log")
    worker.start()
    request.addfinalizer(worker.stop)
    return worker


def test_farm_down_then_back(celery_worker_process, sandbox_farm):
    vendor = farm_vendor(sandbox_farm)
    sandbox_farm.control("down")
    orders = approve_and_cancel(vendor, 5)
    wait_until(
        lambda: Exchange.objects.filter(state=State.FAILED, attempts__gte=2).count() >= 5,
        timeout=30,
        message="retries while the farm is down",
    )
    assert sandbox_farm.events()["events"] == []
    assert not Exchange.objects.filter(kind=ExchangeKind.PO_CANCELLED, attempts__gt=0).exists()

    sandbox_farm.control("ok")
    wait_until(all_processed, timeout=60, message="every push to be processed")
    assert_delivered_once_in_order(sandbox_farm, orders)
    failed_attempts = ExchangeAttempt.objects.exclude(error="").count()
    assert failed_attempts >= 10


def test_worker_killed_mid_delivery(request, celery_worker_process, sandbox_farm):
    vendor = farm_vendor(sandbox_farm)
    sandbox_farm.control("slow", count=1, delay=3)
    po = purchase_order_with_lines(vendor)
    purchase_order_transition(po=po, to_status=Status.APPROVED)
    row = Exchange.objects.get(purchase_order=po)
    wait_until(
        lambda: Exchange.objects.filter(pk=row.pk, state=State.SENT).exists(),
        timeout=30,
        message="the push to be in flight",
    )
    time.sleep(0.5)
    celery_worker_process.kill()
    purchase_order_transition(po=po, to_status=Status.CANCELLED)
    assert Exchange.objects.get(pk=row.pk).state == State.SENT

    new_worker(request, "after-kill")
    # connect 1 s + read 4 s + margin 0 (tests/sync/conftest.py): stuck after 5 s.
    time.sleep(5.5)
    outbox_sweep.delay()
    wait_until(all_processed, timeout=60, message="delivery after the sweep")

    # The farm finished the slow request after the worker died, so the resend is a
    # duplicate that it recognised by event id and did not record again.
    assert_delivered_once_in_order(sandbox_farm, [po], duplicates=1)
    attempts = list(ExchangeAttempt.objects.filter(exchange=row).order_by("number"))
    assert [attempt.number for attempt in attempts] == [1, 2]
    assert "worker stopped" in attempts[0].error
    assert attempts[1].http_status == 200


def test_redis_flushed_with_pushes_queued(request, transactional_db, sandbox_farm):
    vendor = farm_vendor(sandbox_farm)
    orders = approve_and_cancel(vendor, 4)
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    assert broker.llen(settings.CELERY_TASK_DEFAULT_QUEUE) > 0
    broker.flushdb()
    assert broker.llen(settings.CELERY_TASK_DEFAULT_QUEUE) == 0

    new_worker(request, "after-flush")
    time.sleep(1)
    assert Exchange.objects.filter(state=State.PENDING).count() == 8
    outbox_sweep.delay()
    wait_until(all_processed, timeout=60, message="delivery by the sweep")
    assert_delivered_once_in_order(sandbox_farm, orders)


def park_one_push(sandbox_farm, mode: str) -> Exchange:
    """Approve a PO while the farm replies to the next push in `mode`; return the parked row."""
    vendor = farm_vendor(sandbox_farm)
    sandbox_farm.control(mode, count=1)
    po = purchase_order_with_lines(vendor)
    purchase_order_transition(po=po, to_status=Status.APPROVED)
    row = Exchange.objects.get(purchase_order=po)
    wait_until(
        lambda: Exchange.objects.filter(pk=row.pk, state=State.NEEDS_ATTENTION).exists(),
        timeout=30,
        message="the push to be parked",
    )
    # Long enough for an automatic retry to show, if one were wrongly scheduled.
    time.sleep(2)
    return Exchange.objects.get(pk=row.pk)


def admin_sees_and_retries(row: Exchange, sandbox_farm):
    """Check the admin lists `row` as needing attention, retry it there, wait for delivery.

    Returns the admin user and the response to the retry action.
    """
    admin = get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-0123456789")
    client = Client()
    client.force_login(admin)
    changelist = reverse("admin:sync_exchange_changelist")
    page = client.get(changelist, {"state__exact": State.NEEDS_ATTENTION})
    assert row.external_id in page.content.decode()
    assert "1 push to farms needs attention" in page.content.decode()

    # The farm's failure was a one-off (count=1), so the cause is gone; retry from the admin.
    answer = client.post(
        changelist, {"action": "retry_now", "_selected_action": [row.pk]}, follow=True
    )
    wait_until(
        lambda: Exchange.objects.filter(pk=row.pk, state=State.PROCESSED).exists(),
        timeout=30,
        message="the retried push to be delivered",
    )
    assert [e["eventId"] for e in sandbox_farm.events()["events"]] == [row.external_id]
    return admin, answer


def test_400_parks_until_retried_by_hand(celery_worker_process, sandbox_farm):
    parked = park_one_push(sandbox_farm, "400")

    assert parked.state == State.NEEDS_ATTENTION
    assert parked.attempts == 1
    assert parked.response_status == 400
    assert "simulated HTTP 400" in parked.response_body
    assert sandbox_farm.events()["events"] == []

    admin, answer = admin_sees_and_retries(parked, sandbox_farm)
    assert answer.status_code == 200
    assert ExchangeAction.objects.get(exchange=parked).actor == admin


def test_status_zero_parks_until_retried(celery_worker_process, sandbox_farm):
    parked = park_one_push(sandbox_farm, "rejected")
    attempt = ExchangeAttempt.objects.get(exchange=parked)

    assert parked.state == State.NEEDS_ATTENTION
    assert parked.attempts == 1
    assert parked.processed_at is None
    assert parked.response_status == 200
    assert "Simulated rejection" in parked.last_error
    assert "Simulated rejection" in attempt.error
    assert not Exchange.objects.filter(state=State.PROCESSED).exists()
    assert sandbox_farm.events()["events"] == []

    admin_sees_and_retries(parked, sandbox_farm)
