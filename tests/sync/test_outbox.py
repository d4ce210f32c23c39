"""The outbox and delivery logic in one process, with farm responses from `responses`."""

import random
from datetime import timedelta

import pytest
import responses
from django.utils import timezone

from audit.models import AuditEntry
from mapping.models import HoldReason
from orders.models import PurchaseOrder
from orders.services.holds import purchase_order_refresh_holds
from orders.services.purchase_orders import purchase_order_transition
from sync import delivery
from sync.models import Exchange, ExchangeAction, ExchangeAttempt, ExchangeKind, ExchangeState
from sync.services import (
    exchange_cancel,
    exchange_retry,
    outbox_push_prebook,
    outbox_push_purchase_order,
    outbox_release,
)
from sync.states import ExchangeTransitionError
from tests.factories import (
    PrebookFactory,
    PrebookItemFactory,
    PurchaseOrderFactory,
    PurchaseOrderItemFactory,
    UserFactory,
    VendorFactory,
    VendorProductFactory,
)

pytestmark = pytest.mark.django_db
State = ExchangeState
PUSH_URL = "http://127.0.0.1:8765/axerrio/push"


@pytest.fixture
def enqueued(monkeypatch) -> list[tuple[int, float | None]]:
    """Record delivery enqueues (row id, countdown) instead of sending them to the broker."""
    calls: list[tuple[int, float | None]] = []

    def record(exchange_id, *, countdown=None):
        calls.append((exchange_id, countdown))
        return True

    monkeypatch.setattr(delivery, "exchange_enqueue", record)
    return calls


@pytest.fixture
def vendor():
    return VendorFactory(push_url=PUSH_URL, signing_secret="outbox-test-secret")


def approved_push(vendor, django_capture_on_commit_callbacks) -> Exchange:
    po = PurchaseOrderFactory(vendor=vendor)
    PurchaseOrderItemFactory(purchase_order=po)
    with django_capture_on_commit_callbacks(execute=True):
        purchase_order_transition(po=po, to_status=PurchaseOrder.Status.APPROVED)
    return Exchange.objects.get(purchase_order=po, kind=ExchangeKind.PO_APPROVED)


# --- writing pushes --------------------------------------------------------------------


def test_approval_writes_pending_push(vendor, enqueued, django_capture_on_commit_callbacks):
    row = approved_push(vendor, django_capture_on_commit_callbacks)
    assert row.state == State.PENDING
    assert row.document_key == f"po:{row.purchase_order_id}"
    assert row.payload["eventId"] == row.external_id
    assert row.payload["eventType"] == "purchase_order.approved"
    assert row.payload["vendorCode"] == vendor.code
    assert row.payload["data"]["number"] == row.purchase_order.number
    assert row.payload["occurredAt"].endswith("Z")
    assert len(row.payload_sha256) == 64
    assert enqueued == [(row.pk, None)]


def test_push_to_non_axerrio_farm_is_skipped(enqueued):
    po = PurchaseOrderFactory(vendor=VendorFactory(is_axerrio=False))
    assert outbox_push_purchase_order(po=po, kind=ExchangeKind.PO_APPROVED) is None
    assert not Exchange.objects.exists()


def test_held_po_push_waits_then_releases(vendor, enqueued, django_capture_on_commit_callbacks):
    po = PurchaseOrderFactory(vendor=vendor)
    unknown = VendorProductFactory(vendor=vendor)
    item = PurchaseOrderItemFactory(purchase_order=po, product=None, vendor_product=unknown)
    purchase_order_refresh_holds(po)
    with django_capture_on_commit_callbacks(execute=True):
        row = outbox_push_purchase_order(po=po, kind=ExchangeKind.PO_CHANGED)
    assert row.state == State.HELD
    assert enqueued == []

    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_release(purchase_order=po) == []
    assert Exchange.objects.get(pk=row.pk).state == State.HELD

    product = PurchaseOrderItemFactory().product
    item.product = product
    item.save()
    purchase_order_refresh_holds(po)
    with django_capture_on_commit_callbacks(execute=True):
        released = outbox_release(purchase_order=po)
    stored = Exchange.objects.get(pk=row.pk)
    assert [r.pk for r in released] == [row.pk]
    assert stored.state == State.PENDING
    assert stored.payload["data"]["details"][0]["productId"] == product.pk
    assert stored.payload["eventId"] == row.external_id
    assert enqueued == [(row.pk, None)]


def test_prebook_push_per_axerrio_farm(enqueued, django_capture_on_commit_callbacks):
    prebook = PrebookFactory()
    first, second = VendorFactory(), VendorFactory()
    PrebookItemFactory(prebook=prebook, vendor=first)
    PrebookItemFactory(prebook=prebook, vendor=first)
    PrebookItemFactory(prebook=prebook, vendor=second)
    PrebookItemFactory(prebook=prebook, vendor=VendorFactory(is_axerrio=False))
    with django_capture_on_commit_callbacks(execute=True):
        rows = outbox_push_prebook(prebook=prebook, kind=ExchangeKind.PREBOOK_CREATED)
    by_vendor = {row.vendor_id: row for row in rows}
    assert set(by_vendor) == {first.pk, second.pk}
    assert len(by_vendor[first.pk].payload["data"]["details"]) == 2
    assert len(by_vendor[second.pk].payload["data"]["details"]) == 1
    assert "totalPrice" not in by_vendor[first.pk].payload["data"]
    assert by_vendor[first.pk].document_key == f"prebook:{prebook.pk}:{first.pk}"
    assert len(enqueued) == 2


def test_prebook_push_held_for_unmapped_line(enqueued, django_capture_on_commit_callbacks):
    prebook = PrebookFactory()
    farm = VendorFactory()
    PrebookItemFactory(prebook=prebook, vendor=farm, hold_reason=HoldReason.PRODUCT_NOT_MAPPED)
    with django_capture_on_commit_callbacks(execute=True):
        (row,) = outbox_push_prebook(prebook=prebook, kind=ExchangeKind.PREBOOK_CREATED)
    assert row.state == State.HELD
    assert enqueued == []


# --- delivery ---------------------------------------------------------------------------


@responses.activate
def test_delivery_marks_processed(vendor, enqueued, django_capture_on_commit_callbacks):
    row = approved_push(vendor, django_capture_on_commit_callbacks)
    responses.post(PUSH_URL, json={"duplicate": False})
    assert delivery.exchange_deliver(exchange_id=row.pk) == State.PROCESSED
    stored = Exchange.objects.get(pk=row.pk)
    attempt = ExchangeAttempt.objects.get(exchange=row)
    assert stored.state == State.PROCESSED
    assert stored.attempts == 1
    assert stored.response_status == 200
    assert stored.processed_at is not None
    assert attempt.http_status == 200
    assert attempt.finished_at is not None
    assert attempt.duration_ms is not None


@responses.activate
def test_delivery_twice_sends_once(vendor, enqueued, django_capture_on_commit_callbacks):
    row = approved_push(vendor, django_capture_on_commit_callbacks)
    responses.post(PUSH_URL, json={})
    delivery.exchange_deliver(exchange_id=row.pk)
    assert delivery.exchange_deliver(exchange_id=row.pk) == "skipped"
    assert len(responses.calls) == 1


@responses.activate
def test_delivery_500_schedules_retry(vendor, enqueued, django_capture_on_commit_callbacks):
    row = approved_push(vendor, django_capture_on_commit_callbacks)
    enqueued.clear()
    responses.post(PUSH_URL, status=503)
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery.exchange_deliver(exchange_id=row.pk) == State.FAILED
    stored = Exchange.objects.get(pk=row.pk)
    assert stored.response_status == 503
    assert stored.next_attempt_at is not None
    assert "HTTP 503" in stored.last_error
    assert len(enqueued) == 1
    assert enqueued[0][0] == row.pk
    assert 0 <= enqueued[0][1] <= 0.2


@responses.activate
def test_delivery_honours_retry_after(vendor, enqueued, django_capture_on_commit_callbacks):
    row = approved_push(vendor, django_capture_on_commit_callbacks)
    responses.post(PUSH_URL, status=429, headers={"Retry-After": "30"})
    before = timezone.now()
    delivery.exchange_deliver(exchange_id=row.pk)
    stored = Exchange.objects.get(pk=row.pk)
    assert stored.state == State.FAILED
    assert stored.next_attempt_at >= before + timedelta(seconds=30)


@responses.activate
def test_delivery_400_needs_attention(vendor, enqueued, django_capture_on_commit_callbacks):
    row = approved_push(vendor, django_capture_on_commit_callbacks)
    enqueued.clear()
    responses.post(PUSH_URL, status=400, json={"error": "unknown carrier"})
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery.exchange_deliver(exchange_id=row.pk) == State.NEEDS_ATTENTION
    stored = Exchange.objects.get(pk=row.pk)
    assert stored.response_status == 400
    assert "unknown carrier" in stored.response_body
    assert enqueued == []


@responses.activate
def test_delivery_status_zero_needs_attention(
    vendor, enqueued, django_capture_on_commit_callbacks
):
    row = approved_push(vendor, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        purchase_order_transition(po=row.purchase_order, to_status=PurchaseOrder.Status.CANCELLED)
    enqueued.clear()
    responses.post(PUSH_URL, json={"status": 0, "message": "Unknown carrier XX"})
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery.exchange_deliver(exchange_id=row.pk) == State.NEEDS_ATTENTION
    stored = Exchange.objects.get(pk=row.pk)
    attempt = ExchangeAttempt.objects.get(exchange=row)
    assert stored.state == State.NEEDS_ATTENTION
    assert stored.attempts == 1
    assert stored.processed_at is None
    assert stored.next_attempt_at is None
    assert "Unknown carrier XX" in stored.last_error
    assert "rejected" in stored.last_error
    assert stored.response_status == 200
    assert "Unknown carrier XX" in stored.response_body
    assert attempt.number == 1
    assert attempt.http_status == 200
    assert "Unknown carrier XX" in attempt.error
    assert attempt.finished_at is not None
    assert not Exchange.objects.filter(state=State.PROCESSED).exists()
    # Neither a retry of the rejected push nor the cancellation behind it is enqueued.
    assert enqueued == []
    assert len(responses.calls) == 1


@responses.activate
def test_delivery_string_status_zero(
    vendor, enqueued, django_capture_on_commit_callbacks
):
    row = approved_push(vendor, django_capture_on_commit_callbacks)
    responses.post(PUSH_URL, json={"status": "0", "message": "PO already closed"})
    assert delivery.exchange_deliver(exchange_id=row.pk) == State.NEEDS_ATTENTION
    stored = Exchange.objects.get(pk=row.pk)
    assert stored.state == State.NEEDS_ATTENTION
    assert "PO already closed" in stored.last_error


@responses.activate
@pytest.mark.parametrize("body", [{"status": 1, "message": "OK"}, {"status": "1"}, {}])
def test_delivery_other_2xx_processed(
    vendor, enqueued, django_capture_on_commit_callbacks, body
):
    row = approved_push(vendor, django_capture_on_commit_callbacks)
    responses.post(PUSH_URL, json=body)
    assert delivery.exchange_deliver(exchange_id=row.pk) == State.PROCESSED
    stored = Exchange.objects.get(pk=row.pk)
    assert stored.state == State.PROCESSED
    assert stored.last_error == ""


@responses.activate
def test_rejection_retry_keeps_event_id(
    vendor, enqueued, django_capture_on_commit_callbacks
):
    row = approved_push(vendor, django_capture_on_commit_callbacks)
    responses.post(PUSH_URL, json={"status": 0, "message": "Unknown carrier XX"})
    responses.post(PUSH_URL, json={"status": 1, "message": "OK"})
    delivery.exchange_deliver(exchange_id=row.pk)
    with django_capture_on_commit_callbacks(execute=True):
        exchange_retry(exchange=row, actor=UserFactory(), note="carrier mapped at the farm")
    assert delivery.exchange_deliver(exchange_id=row.pk) == State.PROCESSED
    stored = Exchange.objects.get(pk=row.pk)
    attempts = list(ExchangeAttempt.objects.filter(exchange=row).order_by("started_at", "id"))
    sent_ids = [call.request.headers["X-Portal-Event-Id"] for call in responses.calls]
    assert stored.state == State.PROCESSED
    assert stored.last_error == ""
    assert sent_ids == [row.external_id, row.external_id]
    assert [attempt.http_status for attempt in attempts] == [200, 200]
    assert "Unknown carrier XX" in attempts[0].error
    assert attempts[1].error == ""


@responses.activate
def test_delivery_gives_up_after_max_attempts(
    vendor, enqueued, settings, django_capture_on_commit_callbacks
):
    settings.PUSH_MAX_ATTEMPTS = 2
    row = approved_push(vendor, django_capture_on_commit_callbacks)
    responses.post(PUSH_URL, status=500)
    delivery.exchange_deliver(exchange_id=row.pk)
    Exchange.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert delivery.exchange_deliver(exchange_id=row.pk) == State.NEEDS_ATTENTION
    stored = Exchange.objects.get(pk=row.pk)
    assert stored.attempts == 2
    assert "Gave up after 2 attempts" in stored.last_error
    assert ExchangeAttempt.objects.filter(exchange=row).count() == 2


@responses.activate
def test_delivery_skips_row_not_yet_due(vendor, enqueued, django_capture_on_commit_callbacks):
    row = approved_push(vendor, django_capture_on_commit_callbacks)
    Exchange.objects.filter(pk=row.pk).update(
        state=State.FAILED, next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    assert delivery.exchange_deliver(exchange_id=row.pk) == "skipped"
    assert len(responses.calls) == 0


@responses.activate
def test_document_pushes_go_in_order(vendor, enqueued, django_capture_on_commit_callbacks):
    first = approved_push(vendor, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        purchase_order_transition(po=first.purchase_order, to_status=PurchaseOrder.Status.CANCELLED)
    second = Exchange.objects.get(purchase_order=first.purchase_order,
                                  kind=ExchangeKind.PO_CANCELLED)
    responses.post(PUSH_URL, json={})
    assert delivery.exchange_deliver(exchange_id=second.pk) == "skipped"
    enqueued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        delivery.exchange_deliver(exchange_id=first.pk)
    assert enqueued == [(second.pk, None)]
    assert delivery.exchange_deliver(exchange_id=second.pk) == State.PROCESSED
    sent_types = [call.request.headers["X-Portal-Event-Id"] for call in responses.calls]
    assert sent_types == [first.external_id, second.external_id]


def test_backoff_is_capped_with_full_jitter(settings):
    settings.PUSH_BACKOFF_BASE = 2.0
    settings.PUSH_BACKOFF_MAX = 60.0
    rng = random.Random(7)
    for attempts, ceiling in [(1, 2.0), (2, 4.0), (5, 32.0), (6, 60.0), (30, 60.0)]:
        delays = [delivery.backoff_delay(attempts=attempts, rng=rng) for _ in range(200)]
        assert max(delays) <= ceiling
        assert min(delays) >= 0
        assert max(delays) > ceiling / 2


def test_backoff_retry_after_is_a_floor(settings):
    settings.PUSH_BACKOFF_BASE = 1.0
    settings.PUSH_RETRY_AFTER_MAX = 100.0
    assert delivery.backoff_delay(attempts=1, retry_after=40) >= 40
    assert delivery.backoff_delay(attempts=1, retry_after=5000) == 100.0


# --- sweep ------------------------------------------------------------------------------


def test_sweep_releases_stuck_row(vendor, enqueued, django_capture_on_commit_callbacks):
    row = approved_push(vendor, django_capture_on_commit_callbacks)
    delivery.exchange_claim(row.pk)
    enqueued.clear()
    later = timezone.now() + timedelta(seconds=10)
    with django_capture_on_commit_callbacks(execute=True):
        result = delivery.outbox_sweep(now=later, stuck_after=5, grace=0)
    stored = Exchange.objects.get(pk=row.pk)
    attempt = ExchangeAttempt.objects.get(exchange=row)
    assert result.released == 1
    assert stored.state == State.FAILED
    assert stored.last_error == delivery.STUCK_ERROR
    assert attempt.error == delivery.STUCK_ERROR
    assert attempt.finished_at is not None
    assert row.pk in [exchange_id for exchange_id, _ in enqueued]


def test_sweep_leaves_fresh_in_flight_row(vendor, enqueued, django_capture_on_commit_callbacks):
    row = approved_push(vendor, django_capture_on_commit_callbacks)
    delivery.exchange_claim(row.pk)
    result = delivery.outbox_sweep(stuck_after=60, grace=0)
    assert result.released == 0
    assert Exchange.objects.get(pk=row.pk).state == State.SENT


def test_sweep_enqueues_due_rows_only(vendor, enqueued, django_capture_on_commit_callbacks):
    due = approved_push(vendor, django_capture_on_commit_callbacks)
    later = approved_push(vendor, django_capture_on_commit_callbacks)
    Exchange.objects.filter(pk=later.pk).update(
        state=State.FAILED, next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    with django_capture_on_commit_callbacks(execute=True):
        purchase_order_transition(po=due.purchase_order, to_status=PurchaseOrder.Status.CANCELLED)
    blocked = Exchange.objects.get(
        purchase_order=due.purchase_order, kind=ExchangeKind.PO_CANCELLED
    )
    enqueued.clear()
    result = delivery.outbox_sweep(grace=0)
    assert [exchange_id for exchange_id, _ in enqueued] == [due.pk]
    assert result.enqueued == 1
    assert blocked.pk not in [exchange_id for exchange_id, _ in enqueued]


def test_sweep_grace_skips_fresh_rows(vendor, enqueued, django_capture_on_commit_callbacks):
    approved_push(vendor, django_capture_on_commit_callbacks)
    enqueued.clear()
    assert delivery.outbox_sweep(grace=60).enqueued == 0


# --- people's actions -------------------------------------------------------------------


@responses.activate
def test_retry_by_hand_resets_budget(vendor, enqueued, django_capture_on_commit_callbacks):
    row = approved_push(vendor, django_capture_on_commit_callbacks)
    responses.post(PUSH_URL, status=400)
    delivery.exchange_deliver(exchange_id=row.pk)
    user = UserFactory()
    enqueued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        exchange_retry(exchange=row, actor=user, note="carrier fixed")
    stored = Exchange.objects.get(pk=row.pk)
    action = ExchangeAction.objects.get(exchange=row)
    audit = AuditEntry.objects.get(action="exchange.retry")
    assert stored.state == State.PENDING
    assert stored.attempts == 0
    assert action.actor == user
    assert action.note == "carrier fixed"
    assert audit.actor_label == user.username
    assert audit.changes == {"state": [State.NEEDS_ATTENTION, State.PENDING]}
    assert enqueued == [(row.pk, None)]


def test_retry_of_processed_row_is_rejected(vendor, enqueued, django_capture_on_commit_callbacks):
    row = approved_push(vendor, django_capture_on_commit_callbacks)
    Exchange.objects.filter(pk=row.pk).update(state=State.PROCESSED)
    with pytest.raises(ExchangeTransitionError, match="only failed pushes"):
        exchange_retry(exchange=row, actor=UserFactory())
    assert not ExchangeAction.objects.exists()


def test_cancel_lets_next_push_go(vendor, enqueued, django_capture_on_commit_callbacks):
    first = approved_push(vendor, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        purchase_order_transition(po=first.purchase_order, to_status=PurchaseOrder.Status.CANCELLED)
    second = Exchange.objects.get(purchase_order=first.purchase_order,
                                  kind=ExchangeKind.PO_CANCELLED)
    enqueued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        exchange_cancel(exchange=first, actor=UserFactory(), note="sent by phone")
    assert Exchange.objects.get(pk=first.pk).state == State.CANCELLED
    assert enqueued == [(second.pk, None)]
    assert ExchangeAction.objects.get(exchange=first).action == "cancel"


def test_cancel_in_flight_row_is_rejected(vendor, enqueued, django_capture_on_commit_callbacks):
    row = approved_push(vendor, django_capture_on_commit_callbacks)
    delivery.exchange_claim(row.pk)
    with pytest.raises(ExchangeTransitionError, match="cannot be cancelled"):
        exchange_cancel(exchange=row, actor=UserFactory())
    assert Exchange.objects.get(pk=row.pk).state == State.SENT


def test_cancellation_supersedes_held_push(enqueued, django_capture_on_commit_callbacks):
    prebook = PrebookFactory()
    farm = VendorFactory()
    PrebookItemFactory(prebook=prebook, vendor=farm, hold_reason=HoldReason.PRODUCT_NOT_MAPPED)
    with django_capture_on_commit_callbacks(execute=True):
        (held,) = outbox_push_prebook(prebook=prebook, kind=ExchangeKind.PREBOOK_CREATED)
        (cancel,) = outbox_push_prebook(prebook=prebook, kind=ExchangeKind.PREBOOK_CANCELLED)
    assert Exchange.objects.get(pk=held.pk).state == State.CANCELLED
    assert ExchangeAction.objects.get(exchange=held).note.startswith("Superseded")
    assert cancel.state == State.PENDING
    assert enqueued == [(cancel.pk, None)]


def test_prebook_push_to_named_farm_only(enqueued, django_capture_on_commit_callbacks):
    prebook = PrebookFactory()
    kept, removed = VendorFactory(), VendorFactory()
    PrebookItemFactory(prebook=prebook, vendor=kept)
    with django_capture_on_commit_callbacks(execute=True):
        rows = outbox_push_prebook(
            prebook=prebook, kind=ExchangeKind.PREBOOK_CANCELLED, vendor=removed
        )
    assert [row.vendor_id for row in rows] == [removed.pk]
    assert rows[0].payload["data"]["details"] == []
