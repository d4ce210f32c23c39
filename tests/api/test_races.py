"""Concurrent API calls on PostgreSQL: one wins, the others get a 4xx, nothing is half written.

Each thread uses its own test client and database connection, and closes the connection
when it finishes. Where the order of two calls matters, the first call is paused inside
its transaction (by wrapping the `audit_record` it calls after its writes) until the
other call waits on a row lock, so each interleaving is tested on purpose.
"""

import datetime
import threading
import time
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from orders.models import Box, Prebook, PrebookItem, PurchaseOrder, PurchaseOrderItem
from orders.services import boxes as box_services
from orders.services import intake as intake_services
from orders.services import purchase_order_intake as po_intake_services
from tests.api.conftest import ApiClient
from tests.factories import PurchaseOrderFactory, PurchaseOrderItemFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row and advisory locks need PostgreSQL"
    ),
]

TIMEOUT = 30


def ship_date(days: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def client_for(api: ApiClient) -> ApiClient:
    """Return a client of the same token that reports a server error as HTTP 500."""
    client = ApiClient(api.token)
    client.client.raise_request_exception = False
    return client


def run_threads(calls: list[Callable[[], object]]) -> list[object]:
    """Run each call in its own thread, all at once, and return their results in order."""
    results: list[object] = [None] * len(calls)
    barrier = threading.Barrier(len(calls), timeout=TIMEOUT)

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = calls[index]()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT * 2)
    assert not any(thread.is_alive() for thread in threads)
    return results


def wait_for_lock_waiters(count: int) -> None:
    """Block until `count` sessions of this test database wait on a lock."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0] >= count:
                return
        time.sleep(0.02)
    raise AssertionError(f"fewer than {count} sessions waited on a lock within {TIMEOUT} s")


class PauseFirstCall:
    """Wrap a module's `audit_record` so the first call to reach it waits for `release()`."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, module: object) -> None:
        self.reached = threading.Event()
        self.released = threading.Event()
        self._lock = threading.Lock()
        self._claimed = False
        original = module.audit_record

        def paused(*args: object, **kwargs: object) -> object:
            with self._lock:
                first, self._claimed = not self._claimed, True
            if first:
                self.reached.set()
                assert self.released.wait(TIMEOUT)
            return original(*args, **kwargs)

        monkeypatch.setattr(module, "audit_record", paused)

    def release(self) -> None:
        self.released.set()


def run_first_paused(pause: PauseFirstCall, calls: list[Callable[[], object]]) -> list[object]:
    """Run `calls[0]` until it pauses in its transaction, then the others until each waits.

    Once every other call waits on a lock, let `calls[0]` commit; return all results in order.
    """
    results: list[object] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            results[index] = calls[index]()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    threads[0].start()
    assert pause.reached.wait(TIMEOUT)
    for thread in threads[1:]:
        thread.start()
    try:
        wait_for_lock_waiters(len(calls) - 1)
    finally:
        pause.release()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads)
    return results


def run_in_turn(first: Callable[[], object], pause: PauseFirstCall, second: Callable[[], object]):
    """Run `first` until it pauses in its transaction, then `second` until it waits on a lock.

    Then let `first` commit, and return both results.
    """
    first_result, second_result = run_first_paused(pause, [first, second])
    return first_result, second_result


# --- prebook.delete and purchase.order.create -----------------------------------------------


def company_prebook_create(api: ApiClient, farm, *, boxes: int, **line_fields) -> Prebook:
    """Create a prebook through the API with a company token: one line of `boxes` for `farm`."""
    line = {
        "vendorCode": farm.code,
        "productCode": "RS50RED",
        "boxTypeCode": "HB",
        "boxes": boxes,
        "bunches": 10,
        "stemsBunch": 25,
        "cost": "0.30",
        **line_fields,
    }
    response = api.post(
        "prebook.create",
        {
            "customerCode": "ANG",
            "carrierCode": "AR",
            "shipDate": ship_date(5),
            "prebookItems": [line],
        },
    )
    assert response.status_code == 200, response.json()
    return Prebook.objects.get(pk=response.json()["prebookId"])


@pytest.fixture
def company_prebook(company_api, farm, catalogue):
    """A prebook the company created through the API, with one five-box line for the farm."""
    return company_prebook_create(company_api, farm, boxes=5, unitType="Stem", price="0.55")


def order_line(api: ApiClient, line: PrebookItem):
    return api.post(
        "purchase.order.create",
        {
            "shipDate": ship_date(3),
            "carrierCode": "FF",
            "purchaseOrderItems": [{"prebookItemId": line.pk}],
        },
    )


def test_po_create_first_then_delete_conflicts(
    monkeypatch, vendor_api, company_api, company_prebook
):
    line = company_prebook.items.get()
    pause = PauseFirstCall(monkeypatch, po_intake_services)

    created, deleted = run_in_turn(
        lambda: order_line(client_for(vendor_api), line),
        pause,
        lambda: client_for(company_api).post("prebook.delete", {"prebookId": company_prebook.pk}),
    )

    assert created.status_code == 200, created.json()
    assert deleted.status_code == 409, deleted.json()
    assert deleted.json()["status"] == 0
    assert "has lines on purchase orders" in deleted.json()["message"]
    assert Prebook.objects.filter(pk=company_prebook.pk).exists()
    assert PurchaseOrderItem.objects.get().prebook_item_id == line.pk


def test_delete_first_then_po_create_not_found(
    monkeypatch, vendor_api, company_api, company_prebook
):
    line = company_prebook.items.get()
    pause = PauseFirstCall(monkeypatch, intake_services)

    deleted, created = run_in_turn(
        lambda: client_for(company_api).post("prebook.delete", {"prebookId": company_prebook.pk}),
        pause,
        lambda: order_line(client_for(vendor_api), line),
    )

    assert deleted.status_code == 200, deleted.json()
    assert created.status_code == 404, created.json()
    assert created.json()["status"] == 0
    assert created.json()["message"] == (
        f"purchaseOrderItems[0].prebookItemId: no prebook line with id {line.pk}."
    )
    assert not Prebook.objects.filter(pk=company_prebook.pk).exists()
    assert PurchaseOrder.objects.count() == 0


def test_delete_and_po_create_race(vendor_api, company_api, farm, catalogue):
    """Several rounds started together: every round has one winner and no HTTP 500."""
    company, vendor = client_for(company_api), client_for(vendor_api)
    for _round in range(5):
        prebook = company_prebook_create(company, farm, boxes=2)
        line = prebook.items.get()

        created, deleted = run_threads(
            [
                lambda line=line: order_line(vendor, line),
                lambda prebook=prebook: company.post("prebook.delete", {"prebookId": prebook.pk}),
            ]
        )

        statuses = (created.status_code, deleted.status_code)
        assert statuses in {(200, 409), (404, 200)}, (created.json(), deleted.json())
        if deleted.status_code == 200:
            assert not PrebookItem.objects.filter(pk=line.pk).exists()
            assert not PurchaseOrderItem.objects.filter(prebook_item_id=line.pk).exists()
        else:
            assert PurchaseOrderItem.objects.filter(prebook_item_id=line.pk).count() == 1


# --- prebook.create with useExisting ----------------------------------------------------------


def test_use_existing_concurrent_makes_one_prebook(vendor_api, catalogue):
    body = {
        "customerCode": "ANG",
        "carrierCode": "AR",
        "shipDate": ship_date(5),
        "customerPO": "RACE1",
        "useExisting": 1,
        "prebookItems": [
            {
                "productCode": "FR50",
                "boxTypeCode": "HB",
                "unitType": "Stem",
                "boxes": 1,
                "bunches": 10,
                "stemsBunch": 25,
                "cost": "0.30",
            }
        ],
    }

    responses = run_threads([lambda: client_for(vendor_api).post("prebook.create", body)] * 6)

    assert [response.status_code for response in responses] == [200] * 6
    assert Prebook.objects.count() == 1
    prebook = Prebook.objects.get()
    assert prebook.customer_po == "RACE1"
    assert prebook.items.count() == 6
    assert {response.json()["prebookId"] for response in responses} == {prebook.pk}


def test_use_existing_other_customer_po_separate(vendor_api, catalogue):
    def create(customer_po: str):
        body = {
            "customerCode": "ANG",
            "carrierCode": "AR",
            "shipDate": ship_date(5),
            "customerPO": customer_po,
            "useExisting": 1,
            "prebookItems": [
                {
                    "productCode": "FR50",
                    "boxTypeCode": "HB",
                    "boxes": 1,
                    "bunches": 10,
                    "stemsBunch": 25,
                }
            ],
        }
        return client_for(vendor_api).post("prebook.create", body)

    responses = run_threads([lambda: create("A1"), lambda: create("A1"), lambda: create("B2")])

    assert [response.status_code for response in responses] == [200] * 3
    assert Prebook.objects.filter(customer_po="A1").count() == 1
    assert Prebook.objects.get(customer_po="A1").items.count() == 2
    assert Prebook.objects.get(customer_po="B2").items.count() == 1


# --- box codes -------------------------------------------------------------------------------


@pytest.fixture
def approved_lines(farm, catalogue):
    """Four open one-box lines of an approved PO of the farm."""
    po = PurchaseOrderFactory(vendor=farm, status=PurchaseOrder.Status.APPROVED)
    return [
        PurchaseOrderItemFactory(
            purchase_order=po,
            product=catalogue["product"],
            box_type=catalogue["box_type"],
            boxes=1,
            cost=Decimal("0.300"),
        )
        for _ in range(4)
    ]


def ship(api: ApiClient, item: PurchaseOrderItem, code: str):
    return api.post(
        "purchase.order.items.awb.add",
        {
            "poItems": [
                {
                    "poItemId": item.pk,
                    "awb": "369-12345675",
                    "shipDate": ship_date(0),
                    "boxCodes": [code],
                }
            ]
        },
    )


def assert_one_shipped(responses, lines, code):
    """Exactly one line shipped with `code`; every other call failed its item and wrote nothing."""
    winners = [response for response in responses if response.status_code == 200]
    losers = [response for response in responses if response.status_code != 200]
    assert len(winners) == 1, [response.json() for response in responses]
    for response in losers:
        assert response.status_code == 400, response.json()
        body = response.json()
        assert body["status"] == 0
        assert body["message"] == "0 of 1 PO item(s) added to the AWB."
        result = body["purchaseOrderItemDetailsAWBAddAPIResultList"][0]
        assert result["status"] == 0
        assert result["message"] == (
            f"poItems[0].boxCodes[0] {code!r}: already used by another box."
        )
        assert result["boxCodes"] == []
    assert Box.objects.count() == 1
    assert Box.objects.get().code == code
    shipped = PurchaseOrderItem.objects.filter(status=PurchaseOrderItem.Status.SHIPPED)
    assert shipped.count() == 1
    assert PurchaseOrderItem.objects.count() == len(lines)
    assert PurchaseOrder.objects.get().status == PurchaseOrder.Status.APPROVED


def test_awb_add_same_code_paused_race(monkeypatch, vendor_api, approved_lines):
    """Three calls insert the code while the first has inserted it but not committed."""
    pause = PauseFirstCall(monkeypatch, box_services)
    results = run_first_paused(
        pause,
        [lambda item=item: ship(client_for(vendor_api), item, "RACE-1") for item in approved_lines],
    )

    assert results[0].status_code == 200, results[0].json()
    assert_one_shipped(results, approved_lines, "RACE-1")
    assert Box.objects.get().po_item_id == approved_lines[0].pk


def test_awb_add_same_code_concurrent(vendor_api, approved_lines):
    responses = run_threads(
        [lambda item=item: ship(client_for(vendor_api), item, "race-2") for item in approved_lines]
    )

    assert_one_shipped(responses, approved_lines, "RACE-2")


@pytest.fixture
def shipped_boxes(farm, catalogue, approved_lines):
    boxes = []
    for number, item in enumerate(approved_lines, start=1):
        boxes.append(Box.objects.create(code=f"OLD{number}", po_item=item, sequence=1))
        item.status = PurchaseOrderItem.Status.SHIPPED
        item.save(update_fields=["status"])
    return boxes


def change_code(api: ApiClient, box: Box, new_code: str):
    return api.post(
        "box.code.change", {"boxes": [{"currentBoxCode": box.code, "newBoxCode": new_code}]}
    )


def assert_one_changed(responses, boxes, new_code):
    winners = [index for index, response in enumerate(responses) if response.status_code == 200]
    assert len(winners) == 1, [response.json() for response in responses]
    for index, response in enumerate(responses):
        if index == winners[0]:
            continue
        assert response.status_code == 400, response.json()
        body = response.json()
        assert body["status"] == 0
        assert body["message"] == "0 box code(s) changed, 1 not changed."
        result = body["boxes"][0]
        assert result["status"] == 0
        assert result["currentBoxCode"] == boxes[index].code
        assert result["message"] == (
            f"boxes[0].newBoxCode {new_code!r}: already used by another box"
        )
    codes = {box.pk: box.code for box in Box.objects.all()}
    assert codes[boxes[winners[0]].pk] == new_code
    for index, box in enumerate(boxes):
        if index != winners[0]:
            assert codes[box.pk] == box.code
    return winners[0]


def test_code_change_same_code_paused_race(monkeypatch, vendor_api, shipped_boxes):
    pause = PauseFirstCall(monkeypatch, box_services)
    results = run_first_paused(
        pause,
        [
            lambda box=box: change_code(client_for(vendor_api), box, "NEW-1")
            for box in shipped_boxes
        ],
    )

    assert assert_one_changed(results, shipped_boxes, "NEW-1") == 0


def test_code_change_same_code_concurrent(vendor_api, shipped_boxes):
    responses = run_threads(
        [lambda box=box: change_code(client_for(vendor_api), box, "new-2") for box in shipped_boxes]
    )

    assert_one_changed(responses, shipped_boxes, "NEW-2")
