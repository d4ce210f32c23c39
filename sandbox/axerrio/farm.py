"""The sandbox farm: a small stand-in for a grower's Axerrio ERP talking to the portal.

This module contains the HTTP side: signed pushes, the event log, the worker thread that acts
on pushes and the polling thread. What the farm does on the portal is in ``workflow.py``.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from typing import Any

from sandbox.axerrio.client import JSONDict, PortalClient, PortalError
from sandbox.axerrio.orders import OrderResult
from sandbox.axerrio.server import FailureInjector, FarmHTTPServer
from sandbox.axerrio.signing import DEFAULT_TOLERANCE_SECONDS, SignatureError, verify_signature
from sandbox.axerrio.workflow import FarmWorkflow, utc_timestamp

logger = logging.getLogger(__name__)

PURCHASE_ORDER_EVENTS = frozenset(
    {"purchase_order.approved", "purchase_order.changed", "purchase_order.cancelled"}
)
PREBOOK_EVENTS = frozenset({"prebook.created", "prebook.changed", "prebook.cancelled"})
EVENT_TYPES = PURCHASE_ORDER_EVENTS | PREBOOK_EVENTS


class SandboxFarm:
    """A farm that plays Axerrio against the portal over HTTP on 127.0.0.1.

    ``start()`` opens the HTTP server (``POST /axerrio/push``, ``GET /events``,
    ``GET /actions``, ``POST /control``, ``POST /order``, ``POST /ship``, ``GET /health``),
    the worker thread and, when ``poll_interval`` is set, the polling thread.
    Use it as a context manager or call ``stop()``. Keyword arguments not named here
    (``customer_code``, ``auto_ship``, ``seed`` and the rest) are passed to ``FarmWorkflow``.
    """

    def __init__(
        self,
        portal_url: str,
        token: str,
        secret: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        poll_interval: float | None = None,
        timestamp_tolerance: int = DEFAULT_TOLERANCE_SECONDS,
        client: PortalClient | None = None,
        **workflow_options: Any,
    ) -> None:
        if not secret:
            raise ValueError("missing signing secret: pass --secret or set SANDBOX_SECRET")
        self.client = client or PortalClient(portal_url, token)
        self.workflow = FarmWorkflow(self.client, **workflow_options)
        self._secret = secret
        self.host = host
        self.requested_port = port
        self.poll_interval = poll_interval
        self.timestamp_tolerance = timestamp_tolerance
        self.failures = FailureInjector()

        # Received pushes, guarded by _state_lock.
        self._state_lock = threading.Lock()
        self._events: list[JSONDict] = []
        self._event_index: dict[str, JSONDict] = {}
        self._duplicate_count = 0

        self._jobs: queue.Queue[tuple[str, JSONDict] | None] = queue.Queue()
        self._pending_jobs = 0
        self._idle = threading.Condition()
        self._stopping = threading.Event()
        self._server: FarmHTTPServer | None = None
        self._threads: list[threading.Thread] = []

    # Lifecycle

    def start(self) -> SandboxFarm:
        """Open the HTTP server and start the worker (and poller) threads."""
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = FarmHTTPServer((self.host, self.requested_port), self)
        server_thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="sandbox-farm-http",
            daemon=True,
        )
        worker = threading.Thread(target=self._work, name="sandbox-farm-worker", daemon=True)
        self._threads = [server_thread, worker]
        if self.poll_interval:
            poller = threading.Thread(target=self._poll_loop, name="sandbox-farm-poll",
                                      daemon=True)
            self._threads.append(poller)
        for thread in self._threads:
            thread.start()
        logger.info(
            "sandbox farm listening on %s (portal %s, polling %s, auto-ship %s)",
            self.url, self.client.base_url,
            f"every {self.poll_interval} s" if self.poll_interval else "off",
            "on" if self.workflow.auto_ship else "off",
        )
        return self

    def stop(self) -> None:
        """Stop the server and the threads. Queued pushes not yet acted on are dropped."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._jobs.put(None)
        for thread in self._threads:
            thread.join(timeout=10)
        self._server = None
        self._threads = []
        logger.info("sandbox farm stopped")

    def __enter__(self) -> SandboxFarm:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound TCP port, known after ``start()``."""
        if self._server is None:
            raise RuntimeError("the sandbox farm is not running: call start() first")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def push_url(self) -> str:
        return f"{self.url}/axerrio/push"

    # Pushes

    def receive_push(
        self,
        body: bytes,
        *,
        timestamp: str | None,
        signature: str | None,
        event_id_header: str | None,
    ) -> tuple[int, JSONDict]:
        """Verify and record one push, queue it for the worker, and return (HTTP status, body).

        A bad or stale signature returns 401. An event id seen before returns 200 with
        ``{"duplicate": true}`` and is not acted on again.
        """
        try:
            verify_signature(
                self._secret, timestamp, signature, body, tolerance=self.timestamp_tolerance
            )
        except SignatureError as exc:
            logger.warning("rejected push %s: %s", event_id_header or "(no event id)", exc)
            return 401, {"error": str(exc)}

        try:
            envelope = json.loads(body)
        except ValueError:
            return 400, {"error": "invalid JSON body: expected a push envelope object"}
        if not isinstance(envelope, dict):
            return 400, {"error": "invalid JSON body: expected a push envelope object"}
        event_id = envelope.get("eventId")
        event_type = envelope.get("eventType")
        data = envelope.get("data")
        if not isinstance(event_id, str) or not event_id:
            return 400, {"error": "missing eventId"}
        if event_id_header and event_id_header != event_id:
            return 400, {
                "error": f"X-Portal-Event-Id {event_id_header!r} does not match eventId "
                f"{event_id!r}"
            }
        if not isinstance(data, dict):
            return 400, {"error": f"invalid data in event {event_id}: expected an object"}

        with self._state_lock:
            seen = self._event_index.get(event_id)
            if seen is not None:
                seen["duplicates"] += 1
                self._duplicate_count += 1
                logger.info("duplicate push %s (%s) ignored", event_id, seen["eventType"])
                return 200, {"duplicate": True, "eventId": event_id}
            record = {
                "eventId": event_id,
                "eventType": event_type,
                "number": data.get("number"),
                "vendorCode": envelope.get("vendorCode"),
                "occurredAt": envelope.get("occurredAt"),
                "receivedAt": utc_timestamp(),
                "duplicates": 0,
            }
            self._events.append(record)
            self._event_index[event_id] = record

        if event_type not in EVENT_TYPES:
            logger.warning("push %s has unknown event type %r, not acted on", event_id,
                           event_type)
            return 200, {"duplicate": False, "eventId": event_id, "ignored": True}
        logger.info("accepted push %s: %s %s", event_id, event_type, data.get("number"))
        self._enqueue(event_type, data)
        return 200, {"duplicate": False, "eventId": event_id}

    def events(self) -> JSONDict:
        """Return accepted pushes in arrival order and the number of duplicates received."""
        with self._state_lock:
            return {
                "events": [dict(record) for record in self._events],
                "duplicateCount": self._duplicate_count,
            }

    @property
    def duplicate_count(self) -> int:
        with self._state_lock:
            return self._duplicate_count

    def actions(self) -> list[JSONDict]:
        """Return what the farm did on the portal (POs created, POs shipped, boxes renamed)."""
        return self.workflow.actions()

    # Worker

    def _enqueue(self, event_type: str, data: JSONDict) -> None:
        with self._idle:
            self._pending_jobs += 1
        self._jobs.put((event_type, data))

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued push has been acted on. Return False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending_jobs == 0, timeout=timeout)

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            event_type, data = job
            try:
                self.workflow.act_on_event(event_type, data)
            except Exception:
                # The worker must survive a bug in one reaction, so log it and go on.
                logger.exception("failed to act on %s %s", event_type, data.get("number"))
            finally:
                with self._idle:
                    self._pending_jobs -= 1
                    self._idle.notify_all()

    # Polling and the farm's own actions

    def _poll_loop(self) -> None:
        interval = self.poll_interval or 0
        while not self._stopping.is_set():
            try:
                self.poll_once()
            except PortalError as exc:
                logger.error("poll failed: %s", exc)
            except Exception:
                logger.exception("poll failed")
            self._stopping.wait(interval)

    def poll_once(self) -> None:
        """Poll the portal once and act on what it lists, as ``FarmWorkflow.poll_once`` does."""
        self.workflow.poll_once()

    def place_order(self, *args: Any, **kwargs: Any) -> OrderResult:
        """Place a prebook and its PO; takes the arguments of ``FarmWorkflow.place_order``."""
        return self.workflow.place_order(*args, **kwargs)

    def ship_purchase_order_number(self, number: str) -> list[JSONDict]:
        """Fetch an approved PO by number and ship it, also when auto-ship is off."""
        return self.workflow.ship_purchase_order_number(number)
