"""The ledger admin: fixed-query changelist, escaped detail page, actions, banner, inlines."""

import pytest
import responses
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sync.delivery import exchange_deliver
from sync.models import (
    Direction,
    Exchange,
    ExchangeAction,
    ExchangeAttempt,
    ExchangeKind,
    ExchangeState,
)
from tests.factories import PrebookFactory, PurchaseOrderFactory, VendorFactory

pytestmark = pytest.mark.django_db
State = ExchangeState
CHANGELIST = "admin:sync_exchange_changelist"
PUSH_URL = "http://127.0.0.1:8765/axerrio/push"


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser(
        "ledger-admin", "ops@example.com", "pw-0123456789"
    )
    client.force_login(user)
    client.user = user
    return client


def make_rows(count: int, *, state: str = State.PROCESSED, **fields) -> list[Exchange]:
    rows = []
    for _ in range(count):
        po = PurchaseOrderFactory()
        rows.append(
            Exchange.objects.create(
                direction=Direction.OUTBOUND,
                kind=ExchangeKind.PO_APPROVED,
                vendor=po.vendor,
                purchase_order=po,
                document_key=f"po:{po.pk}",
                external_id=f"evt-{po.number}",
                payload={"data": {"number": po.number}},
                state=state,
                **fields,
            )
        )
    return rows


def changelist_queries(client, **params) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        answer = client.get(reverse(CHANGELIST), params)
    assert answer.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def test_changelist_query_count_is_fixed(admin_client):
    make_rows(3)
    few = changelist_queries(admin_client)
    make_rows(30, state=State.NEEDS_ATTENTION)
    many = changelist_queries(admin_client)
    assert len(many) == len(few)
    assert len(many) <= 12


def test_changelist_defers_payload(admin_client):
    make_rows(2)
    queries = changelist_queries(admin_client)
    row_query = next(
        sql for sql in queries if 'FROM "sync_exchange" INNER JOIN "catalog_vendor"' in sql
        or 'FROM "sync_exchange" LEFT OUTER JOIN' in sql
    )
    assert '"sync_exchange"."payload"' not in row_query
    assert '"sync_exchange"."response_body"' not in row_query


def test_changelist_filters_by_state(admin_client):
    (parked,) = make_rows(1, state=State.NEEDS_ATTENTION)
    (done,) = make_rows(1)
    page = admin_client.get(reverse(CHANGELIST), {"state__exact": State.NEEDS_ATTENTION})
    text = page.content.decode()
    assert parked.external_id in text
    assert done.external_id not in text


@pytest.mark.parametrize("field", ["external_id", "po_number", "prebook_number"])
def test_changelist_search(admin_client, field):
    (row,) = make_rows(1)
    (other,) = make_rows(1)
    prebook = PrebookFactory()
    Exchange.objects.filter(pk=row.pk).update(prebook=prebook)
    term = {
        "external_id": row.external_id,
        "po_number": row.purchase_order.number,
        "prebook_number": str(prebook.number),
    }[field]
    text = admin_client.get(reverse(CHANGELIST), {"q": term}).content.decode()
    assert row.external_id in text
    assert other.external_id not in text


def test_detail_page_escapes_payload(admin_client):
    (row,) = make_rows(1)
    Exchange.objects.filter(pk=row.pk).update(
        payload={"data": {"comments": "<script>alert(1)</script>"}},
        response_body='{"error": "<b>bad</b>"}',
    )
    ExchangeAttempt.objects.create(
        exchange=row, number=1, started_at=row.created_at, http_status=400, error="HTTP 400"
    )
    page = admin_client.get(reverse("admin:sync_exchange_change", args=[row.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;b&gt;bad&lt;/b&gt;" in text
    assert "HTTP 400" in text


def test_cancel_action_records_actor(admin_client):
    (row,) = make_rows(1, state=State.NEEDS_ATTENTION)
    answer = admin_client.post(
        reverse(CHANGELIST), {"action": "cancel", "_selected_action": [row.pk]}, follow=True
    )
    assert answer.status_code == 200
    assert Exchange.objects.get(pk=row.pk).state == State.CANCELLED
    action = ExchangeAction.objects.get(exchange=row)
    assert action.action == "cancel"
    assert action.actor == admin_client.user


def test_retry_action_reports_refused_rows(admin_client):
    (row,) = make_rows(1)
    answer = admin_client.post(
        reverse(CHANGELIST), {"action": "retry_now", "_selected_action": [row.pk]}, follow=True
    )
    assert "only failed pushes" in answer.content.decode()
    assert Exchange.objects.get(pk=row.pk).state == State.PROCESSED


def test_ledger_cannot_be_edited_or_deleted(admin_client):
    (row,) = make_rows(1)
    assert admin_client.get(reverse("admin:sync_exchange_add")).status_code == 403
    assert admin_client.get(reverse("admin:sync_exchange_delete", args=[row.pk])).status_code == 403


def test_banner_shows_attention_count(admin_client):
    make_rows(2, state=State.NEEDS_ATTENTION)
    text = admin_client.get(reverse("admin:index")).content.decode()
    assert "sync-attention-banner" in text
    assert "2 pushes to farms need attention" in text
    assert f'{reverse(CHANGELIST)}?state__exact=needs_attention' in text


def test_banner_hidden_without_attention(admin_client):
    make_rows(1)
    text = admin_client.get(reverse("admin:index")).content.decode()
    assert "sync-attention-banner" not in text


def test_purchase_order_page_lists_exchanges(admin_client):
    first, second = make_rows(2)
    Exchange.objects.filter(pk=second.pk).update(purchase_order=first.purchase_order)
    page = admin_client.get(
        reverse("admin:orders_purchaseorder_change", args=[first.purchase_order_id])
    )
    text = page.content.decode()
    assert page.status_code == 200
    first_link = reverse("admin:sync_exchange_change", args=[first.pk])
    second_link = reverse("admin:sync_exchange_change", args=[second.pk])
    assert first_link in text
    assert text.index(second_link) < text.index(first_link)


def test_prebook_page_lists_exchanges(admin_client):
    prebook = PrebookFactory()
    row = Exchange.objects.create(
        direction=Direction.OUTBOUND,
        kind=ExchangeKind.PREBOOK_CREATED,
        vendor=VendorFactory(),
        prebook=prebook,
        external_id="evt-prebook",
        state=State.HELD,
    )
    page = admin_client.get(reverse("admin:orders_prebook_change", args=[prebook.pk]))
    assert page.status_code == 200
    assert reverse("admin:sync_exchange_change", args=[row.pk]) in page.content.decode()


@responses.activate
def test_rejected_push_needs_attention(admin_client):
    (row,) = make_rows(1, state=State.PENDING)
    vendor = row.vendor
    vendor.push_url = PUSH_URL
    vendor.signing_secret = "admin-test-secret"
    vendor.save()
    responses.post(PUSH_URL, json={"status": 0, "message": "Unknown carrier XX"})
    assert exchange_deliver(exchange_id=row.pk) == State.NEEDS_ATTENTION

    listing = admin_client.get(reverse(CHANGELIST), {"state__exact": State.NEEDS_ATTENTION})
    listing_text = listing.content.decode()
    assert row.external_id in listing_text
    assert "1 push to farms needs attention" in listing_text
    detail = admin_client.get(reverse("admin:sync_exchange_change", args=[row.pk]))
    assert "Unknown carrier XX" in detail.content.decode()

    answer = admin_client.post(
        reverse(CHANGELIST), {"action": "retry_now", "_selected_action": [row.pk]}, follow=True
    )
    assert answer.status_code == 200
    assert "Retried: 1 exchange(s)." in answer.content.decode()
    assert Exchange.objects.get(pk=row.pk).state == State.PENDING
