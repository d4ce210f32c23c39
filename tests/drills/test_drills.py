"""Short fault drills: a fault during real traffic loses nothing and writes nothing twice.

Each drill runs against the live server, real Celery workers on PostgreSQL and Redis,
and the sandbox farm on 127.0.0.1. The faults are the portal's view of an outage: its
database connections terminated (as when PostgreSQL restarts), the farm unreachable, a
worker killed with SIGKILL, and the broker's queued messages erased (as when Redis
restarts without persistence). `bench/drills.py` runs longer forms.
"""

import datetime
import uuid

import psycopg
import pytest
import redis
import requests
from django.conf import settings
from django.db import connection

from orders.models import Box, PurchaseOrder
from orders.services.purchase_orders import purchase_order_approve
from sync import delivery
from tests.conftest import ARTIFACTS, SESSION_QUEUE, WorkerProcess, wait_until
from tests.drills.helpers import (
    count_prebooks,
    intake_under_fault,
    order_lines,
    outbound_summary,
    push_attempts,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PUSH_TIMEOUT = 45


def terminate_portal_connections(*, keep_pid: int) -> int:
    """Terminate the portal's connections to the test database, as a PostgreSQL restart does.

    The fault runs in another thread, so it uses a connection of its own. The test's own
    connection (`keep_pid`) is spared so the test can count rows afterwards.
    """
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        row = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND pid <> %s",
            [keep_pid],
        ).fetchone()
    return row[0]


def own_backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def place_orders(portal, count: int, lines: int = 3) -> list[str]:
    """Create `count` farm orders (prebook plus linked PO) over HTTP; return the PO numbers."""
    session = requests.Session()
    truck = datetime.date.today() + datetime.timedelta(days=5)
    ship = (truck - datetime.timedelta(days=2)).isoformat()
    numbers = []
    for index in range(count):
        items = order_lines(lines)
        prebook = session.post(
            f"{portal.url}/api/prebook.create",
            json={
                "authenticationToken": portal.token,
                "customerCode": portal.customer,
                "customerDescription": portal.customer,
                "carrierCode": portal.carrier,
                "carrierDescription": portal.carrier,
                "shipDate": truck.isoformat(),
                "customerPO": f"DRILL{index}",
                "prebookItems": items,
            },
            timeout=30,
        ).json()
        assert str(prebook["status"]) == "1", prebook
        po_items = [
            {"prebookItemId": returned["prebookItemId"], **sent}
            for sent, returned in zip(items, prebook["prebookItems"], strict=True)
        ]
        po = session.post(
            f"{portal.url}/api/purchase.order.create",
            json={
                "authenticationToken": portal.token,
                "shipDate": ship,
                "carrierCode": portal.inbound_carrier,
                "purchaseOrderItems": po_items,
            },
            timeout=30,
        ).json()
        assert str(po["status"]) == "1", po
        numbers.append(str(po["purchaseOrderNumber"]))
    return numbers


def approve(numbers: list[str]) -> None:
    for po in PurchaseOrder.objects.filter(number__in=numbers):
        purchase_order_approve(po=po, actor=None, actor_label="fault drill")


def all_shipped(numbers: list[str]) -> bool:
    shipped = PurchaseOrder.objects.filter(
        number__in=numbers, status=PurchaseOrder.Status.SHIPPED
    ).count()
    return shipped == len(numbers)


def sweep_until_shipped(numbers: list[str], timeout: float) -> None:
    """Run the outbox sweep (beat's job) every second until every PO is shipped."""

    def swept_and_shipped() -> bool:
        delivery.outbox_sweep()
        return all_shipped(numbers)

    wait_until(swept_and_shipped, timeout=timeout, interval=1, message=f"POs {numbers} shipped")


def sweep_until_processed(count: int, timeout: float) -> None:
    """Run the outbox sweep until all `count` pushes are processed.

    A push the farm received just before its worker died stays `sent` until the sweep
    treats it as stuck and delivers it again, which can be after the PO shipped.
    """

    def swept_and_processed() -> bool:
        delivery.outbox_sweep()
        return outbound_summary() == {"processed": count}

    wait_until(swept_and_processed, timeout=timeout, interval=1,
               message=f"{count} pushes processed")


def assert_each_po_shipped_once(numbers: list[str]) -> None:
    for po in PurchaseOrder.objects.filter(number__in=numbers).prefetch_related("items"):
        boxes = Box.objects.filter(po_item__purchase_order=po).count()
        assert boxes == sum(item.boxes for item in po.items.all()), po.number


def start_worker(name: str) -> WorkerProcess:
    worker = WorkerProcess(
        name=f"{name}-{uuid.uuid4().hex[:4]}",
        log_path=ARTIFACTS / "logs" / f"worker-{name}.log",
    )
    worker.start()
    return worker


def test_intake_survives_terminated_db_connections(drill_portal):
    tag = f"PGT{uuid.uuid4().hex[:6]}"
    keep_pid = own_backend_pid()
    terminated = []
    report = intake_under_fault(
        base_url=drill_portal.url, token=drill_portal.token, customer=drill_portal.customer,
        carrier=drill_portal.carrier, orders=40, lines=5, clients=6,
        fault=lambda: terminated.append(terminate_portal_connections(keep_pid=keep_pid)),
        fault_after=10, name="database connections terminated during intake", tag=tag,
    )
    count_prebooks(report, tag=tag, lines=5)
    print("\n".join(report.lines()))

    assert terminated, "the fault never ran"
    assert report.sent == 40
    assert report.lost == 0
    assert report.partial == 0
    assert report.duplicated == 0
    assert report.received_ok == 40


def test_pushes_survive_farm_down(drill_portal, drill_farm, fast_push_retries,
                                  celery_worker_process):
    numbers = place_orders(drill_portal, 4)
    drill_farm.control("down", count=None)
    approve(numbers)
    wait_until(lambda: push_attempts() >= 8, timeout=PUSH_TIMEOUT,
               message="two failed attempts per push")
    drill_farm.control("ok")
    sweep_until_shipped(numbers, PUSH_TIMEOUT)

    states = outbound_summary()
    events = drill_farm.events()
    approved = [e for e in events["events"] if e["eventType"] == "purchase_order.approved"]
    print(f"\nfarm down: 4 pushes, {push_attempts()} attempts, states {states}, "
          f"farm duplicates {events['duplicateCount']}")
    assert states == {"processed": 4}
    assert len(approved) == 4
    assert len({e["eventId"] for e in approved}) == 4
    assert push_attempts() > 4
    assert_each_po_shipped_once(numbers)


def test_pushes_survive_killed_worker(drill_portal, drill_farm, fast_push_retries,
                                      celery_worker_process):
    numbers = place_orders(drill_portal, 4)
    # Each push takes 2 s at the farm, so the worker dies with pushes in flight.
    drill_farm.control("slow", count=None, delay=2)
    approve(numbers)
    wait_until(lambda: outbound_summary().get("sent", 0) >= 1, timeout=PUSH_TIMEOUT,
               message="a push in flight")
    celery_worker_process.kill()
    drill_farm.control("ok")
    replacement = start_worker("drill-replacement")
    try:
        sweep_until_shipped(numbers, PUSH_TIMEOUT)
        sweep_until_processed(4, PUSH_TIMEOUT)
    finally:
        replacement.stop()

    states = outbound_summary()
    events = drill_farm.events()
    print(f"\nworker killed: 4 pushes, {push_attempts()} attempts, states {states}, "
          f"farm duplicates (ignored by event id) {events['duplicateCount']}")
    assert states == {"processed": 4}
    approved = {e["eventId"] for e in events["events"]
                if e["eventType"] == "purchase_order.approved"}
    assert len(approved) == 4
    assert_each_po_shipped_once(numbers)


def test_pushes_survive_lost_broker_messages(drill_portal, drill_farm, fast_push_retries,
                                             celery_worker_process):
    numbers = place_orders(drill_portal, 4)
    celery_worker_process.stop()
    approve(numbers)
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    queued = client.llen(SESSION_QUEUE)
    if client.connection_pool.connection_kwargs.get("db") in (8, 9):
        client.flushdb()  # the drill's own Redis db: erase it all, as a restart would
    else:
        client.delete(SESSION_QUEUE)  # a shared db: erase only this session's queue
    assert client.llen(SESSION_QUEUE) == 0
    replacement = start_worker("drill-after-flush")
    try:
        sweep_until_shipped(numbers, PUSH_TIMEOUT)
    finally:
        replacement.stop()

    states = outbound_summary()
    print(f"\nbroker messages erased: {queued} queued messages lost, states {states}")
    assert queued >= 4
    assert states == {"processed": 4}
    assert_each_po_shipped_once(numbers)


def test_intake_db_fault_answers_envelope(drill_portal):
    tag = f"PGE{uuid.uuid4().hex[:6]}"
    keep_pid = own_backend_pid()
    report = intake_under_fault(
        base_url=drill_portal.url, token=drill_portal.token, customer=drill_portal.customer,
        carrier=drill_portal.carrier, orders=20, lines=5, clients=6,
        fault=lambda: terminate_portal_connections(keep_pid=keep_pid),
        fault_after=5, name="error shape during a database fault", tag=tag,
    )
    print("\n".join(report.lines()))
    not_envelope = {k: v for k, v in report.error_statuses.items() if "not an envelope" in k}
    assert not_envelope == {}
    assert report.lost == 0
