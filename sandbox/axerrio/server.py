"""HTTP side of the sandbox farm: the push endpoint and the control endpoints."""

from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from sandbox.axerrio.client import JSONDict, PortalError

if TYPE_CHECKING:
    from sandbox.axerrio.farm import SandboxFarm

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
FAILURE_MODES = ("ok", "down", "slow", "500", "429", "400", "rejected")
DEFAULT_SLOW_DELAY = 10.0
REJECTION_MESSAGE = "Simulated rejection: the farm did not accept this push."


class FailureInjector:
    """Makes the next ``count`` pushes (all of them when count is None) fail in one way.

    Modes: ``down`` closes the connection without a response, ``slow`` waits ``delay``
    seconds and then handles the push normally, ``500``/``429``/``400`` respond with that
    status, and ``rejected`` responds HTTP 200 with the Komet envelope
    ``{"status": 0, "message": REJECTION_MESSAGE}``. Only ``slow`` records the event.
    ``ok`` turns failures off.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.mode = "ok"
        self.remaining: int | None = None
        self.delay = DEFAULT_SLOW_DELAY

    def configure(self, mode: str, count: int | None = None, delay: float | None = None) -> None:
        """Set the failure mode. Raises ValueError for an unknown mode, count or delay."""
        if mode not in FAILURE_MODES:
            raise ValueError(f"invalid mode {mode!r}: expected one of {', '.join(FAILURE_MODES)}")
        if count is not None and (isinstance(count, bool) or not isinstance(count, int)
                                  or count < 1):
            raise ValueError(f"invalid count {count!r}: expected a positive integer or null")
        if delay is not None and (isinstance(delay, bool) or not isinstance(delay, int | float)
                                  or delay < 0):
            raise ValueError(f"invalid delay {delay!r}: expected seconds >= 0")
        with self._lock:
            self.mode = mode
            self.remaining = None if mode == "ok" else count
            self.delay = DEFAULT_SLOW_DELAY if delay is None else float(delay)
        logger.info("push failure mode set to %s (count %s, delay %.1f s)", mode,
                    "all" if count is None else count, self.delay)

    def take(self) -> tuple[str, float] | None:
        """Return the (mode, delay) to apply to the current push, or None to handle it."""
        with self._lock:
            if self.mode == "ok":
                return None
            taken = (self.mode, self.delay)
            if self.remaining is not None:
                self.remaining -= 1
                if self.remaining <= 0:
                    self.mode = "ok"
                    self.remaining = None
            return taken

    def describe(self) -> JSONDict:
        with self._lock:
            return {"mode": self.mode, "count": self.remaining, "delay": self.delay}


class FarmHTTPServer(ThreadingHTTPServer):
    """Threaded HTTP server bound to one ``SandboxFarm``."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], farm: SandboxFarm) -> None:
        self.farm = farm
        super().__init__(address, FarmRequestHandler)


class FarmRequestHandler(BaseHTTPRequestHandler):
    """Request handler for the farm's endpoints. Every response body is JSON."""

    server: FarmHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "SandboxAxerrio/1.0"
    # Send small responses at once. With Nagle's algorithm on, a kept-alive connection
    # waits for the client's delayed ACK (about 40 ms) before each response goes out.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base class name
        logger.debug("%s %s", self.address_string(), format % args)

    # Helpers

    def _send_json(
        self, status: int, payload: Any, headers: dict[str, str] | None = None
    ) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _read_body(self) -> bytes | None:
        """Return the request body, or None after responding 411 or 413 to a bad length."""
        length_header = self.headers.get("Content-Length")
        if length_header is None or not length_header.strip().isdigit():
            self.close_connection = True
            self._send_json(411, {"error": "missing or invalid Content-Length header"})
            return None
        length = int(length_header)
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            self._send_json(413, {"error": f"body of {length} bytes exceeds {MAX_BODY_BYTES}"})
            return None
        return self.rfile.read(length)

    def _read_json(self) -> JSONDict | None:
        body = self._read_body()
        if body is None:
            return None
        if not body.strip():
            return {}
        try:
            payload = json.loads(body)
        except ValueError:
            self._send_json(400, {"error": "invalid JSON body"})
            return None
        if not isinstance(payload, dict):
            self._send_json(400, {"error": "invalid JSON body: expected an object"})
            return None
        return payload

    # Routes

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        path = self.path.split("?", 1)[0]
        farm = self.server.farm
        if path == "/health":
            self._send_json(200, {"status": "ok", "failureMode": farm.failures.describe()})
        elif path == "/events":
            self._send_json(200, farm.events())
        elif path == "/actions":
            self._send_json(200, {"actions": farm.actions()})
        else:
            self._send_json(404, {"error": f"not found: GET {path}"})

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        path = self.path.split("?", 1)[0]
        if path == "/axerrio/push":
            self._handle_push()
        elif path == "/control":
            self._handle_control()
        elif path == "/order":
            self._handle_order()
        elif path == "/ship":
            self._handle_ship()
        else:
            self._read_body()
            self._send_json(404, {"error": f"not found: POST {path}"})

    def _handle_push(self) -> None:
        body = self._read_body()
        if body is None:
            return
        event_id = self.headers.get("X-Portal-Event-Id")
        failure = self.server.farm.failures.take()
        if failure is not None:
            mode, delay = failure
            logger.info("push %s: simulating failure mode %s", event_id, mode)
            if mode == "down":
                # Returning without writing anything makes http.server close the socket.
                self.close_connection = True
                return
            if mode == "slow":
                time.sleep(delay)
            elif mode == "429":
                self._send_json(429, {"error": "too many requests (simulated)"},
                                {"Retry-After": "1"})
                return
            elif mode == "rejected":
                # Komet-style systems report a rejected request as HTTP 200 with status 0.
                self._send_json(200, {"status": 0, "message": REJECTION_MESSAGE})
                return
            else:
                self._send_json(int(mode), {"error": f"simulated HTTP {mode} from the farm"})
                return

        status, payload = self.server.farm.receive_push(
            body,
            timestamp=self.headers.get("X-Portal-Timestamp"),
            signature=self.headers.get("X-Portal-Signature"),
            event_id_header=event_id,
        )
        self._send_json(status, payload)

    def _handle_control(self) -> None:
        payload = self._read_json()
        if payload is None:
            return
        try:
            self.server.farm.failures.configure(
                str(payload.get("mode", "")), payload.get("count"), payload.get("delay")
            )
        except ValueError as exc:
            self._send_json(400, {"error": str(exc)})
            return
        self._send_json(200, self.server.farm.failures.describe())

    def _handle_order(self) -> None:
        payload = self._read_json()
        if payload is None:
            return
        try:
            result = self.server.farm.place_order(
                payload.get("customerCode"),
                customer_name=payload.get("customerName"),
                line_count=int(payload.get("lines", 3)),
                with_unknown=bool(payload.get("withUnknown", False)),
            )
        except (TypeError, ValueError) as exc:
            self._send_json(400, {"error": str(exc)})
            return
        except PortalError as exc:
            self._send_json(502, {"error": str(exc)})
            return
        self._send_json(200, result.to_dict())

    def _handle_ship(self) -> None:
        payload = self._read_json()
        if payload is None:
            return
        number = payload.get("number")
        if not number:
            self._send_json(400, {"error": "missing number: send {\"number\": \"<PO number>\"}"})
            return
        try:
            actions = self.server.farm.ship_purchase_order_number(str(number))
        except PortalError as exc:
            self._send_json(502, {"error": str(exc)})
            return
        self._send_json(200, {"actions": actions})
