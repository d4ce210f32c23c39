"""Fault-drill building blocks shared by the pytest drills and `bench/drills.py`.

Each drill sends real traffic over HTTP to a portal on 127.0.0.1 while a fault is
injected, then counts what was sent, received, retried and lost. Writes carry an
`Idempotency-Key` header, so a client may retry a call whose response it never received
without creating a second prebook.
"""

from __future__ import annotations

import datetime
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from sandbox.axerrio.catalogue import KNOWN_PRODUCTS

# HTTP statuses a client may retry: 0 (no response at all) or a server-side failure.
RETRYABLE_HTTP = {0, 500, 502, 503, 504}


@dataclass
class DrillReport:
    """What one drill sent, received, retried and lost."""

    name: str
    sent: int = 0
    received_ok: int = 0
    retried: int = 0
    lost: int = 0
    duplicated: int = 0
    partial: int = 0
    error_statuses: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def count_error(self, label: str) -> None:
        self.error_statuses[label] = self.error_statuses.get(label, 0) + 1

    def lines(self) -> list[str]:
        errors = ", ".join(f"{k}: {v}" for k, v in sorted(self.error_statuses.items())) or "none"
        return [
            f"{self.name}: sent {self.sent}, received OK {self.received_ok}, "
            f"retried {self.retried}, lost {self.lost}, duplicated {self.duplicated}, "
            f"partly written {self.partial}",
            f"  errors seen by the client before a retry succeeded: {errors}",
            *(f"  {note}" for note in self.notes),
        ]


def order_lines(count: int) -> list[dict]:
    """Return `count` prebook lines over the sandbox farm's mapped products."""
    lines = []
    for index in range(count):
        product = KNOWN_PRODUCTS[index % len(KNOWN_PRODUCTS)]
        lines.append(
            {
                "productCode": product.code,
                "productDescription": product.description,
                "boxTypeCode": "HB",
                "unitType": product.unit_type,
                "boxes": 1 + index % 3,
                "bunches": product.bunches_per_half_box,
                "stemsBunch": product.stems_per_bunch,
                "cost": product.cost,
            }
        )
    return lines


def error_label(status: int, body: dict) -> str:
    """Describe a failed response: its HTTP status and whether it was Komet's envelope."""
    if status == 0:
        return "no answer (connection error)"
    shape = "envelope status 0" if str(body.get("status")) == "0" else "not an envelope"
    return f"HTTP {status}, {shape}"


def post_with_retries(
    session: requests.Session,
    url: str,
    body: dict,
    *,
    report: DrillReport,
    lock: threading.Lock,
    attempts: int = 20,
    pause: float = 0.25,
) -> dict | None:
    """POST with one Idempotency-Key, retrying a lost or 5xx answer; return the envelope.

    Returns None when every attempt failed (the call counts as lost) or the portal
    rejected the request with a 4xx.
    """
    key = uuid.uuid4().hex
    for attempt in range(attempts):
        try:
            response = session.post(url, json=body, headers={"Idempotency-Key": key}, timeout=30)
            status = response.status_code
            try:
                answer = response.json()
            except ValueError:
                answer = {}
        except requests.RequestException:
            status, answer = 0, {}
        if status == 200 and str(answer.get("status")) == "1":
            with lock:
                report.received_ok += 1
            return answer
        with lock:
            report.count_error(error_label(status, answer))
        if status not in RETRYABLE_HTTP:
            return None
        with lock:
            report.retried += 1
        time.sleep(pause * min(attempt + 1, 4))
    return None


def intake_under_fault(
    *,
    base_url: str,
    token: str,
    customer: str,
    carrier: str,
    orders: int,
    lines: int,
    clients: int,
    fault: Callable[[], None],
    fault_after: int,
    name: str,
    tag: str,
) -> DrillReport:
    """Send `orders` prebook.create calls from `clients` threads and run `fault` mid-way.

    `fault` runs once, from its own thread, after `fault_after` orders were answered.
    Prebooks are tagged with `tag` in customerPO so the caller can count them afterwards.
    """
    report = DrillReport(name=name)
    lock = threading.Lock()
    numbers = iter(range(orders))
    done = threading.Event()
    answered = [0]
    truck = (datetime.date.today() + datetime.timedelta(days=5)).isoformat()

    def client() -> None:
        session = requests.Session()
        while True:
            with lock:
                number = next(numbers, None)
            if number is None:
                return
            body = {
                "authenticationToken": token,
                "customerCode": customer,
                "customerDescription": customer,
                "carrierCode": carrier,
                "carrierDescription": carrier,
                "shipDate": truck,
                "customerPO": f"{tag}{number}"[:20],
                "prebookItems": order_lines(lines),
            }
            with lock:
                report.sent += 1
            answer = post_with_retries(
                session, f"{base_url}/api/prebook.create", body, report=report, lock=lock
            )
            with lock:
                if answer is None:
                    report.lost += 1
                answered[0] += 1
                if answered[0] >= fault_after:
                    done.set()

    def inject() -> None:
        if done.wait(timeout=120):
            fault()

    injector = threading.Thread(target=inject, daemon=True)
    injector.start()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    injector.join(timeout=120)
    return report


def count_prebooks(report: DrillReport, *, tag: str, lines: int) -> None:
    """Fill in partly written and duplicated prebooks from the database."""
    from django.db.models import Count

    from orders.models import Prebook

    rows = Prebook.objects.filter(customer_po__startswith=tag).values("customer_po").annotate(
        copies=Count("id", distinct=True), line_count=Count("items")
    )
    for row in rows:
        if row["copies"] > 1:
            report.duplicated += row["copies"] - 1
        elif row["line_count"] != lines:
            report.partial += 1
    stored = Prebook.objects.filter(customer_po__startswith=tag).count()
    report.notes.append(f"prebooks stored: {stored}")


def outbound_summary() -> dict[str, int]:
    from django.db.models import Count

    from sync.models import Direction, Exchange

    rows = (
        Exchange.objects.filter(direction=Direction.OUTBOUND)
        .values("state")
        .annotate(n=Count("id"))
    )
    return {row["state"]: row["n"] for row in rows}


def push_attempts() -> int:
    from sync.models import ExchangeAttempt

    return ExchangeAttempt.objects.count()
