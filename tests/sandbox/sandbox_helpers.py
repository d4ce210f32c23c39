"""Helpers for the sandbox farm tests: a fake portal on 127.0.0.1 and signed pushes."""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
if str(REPOSITORY_ROOT) not in sys.path:
    sys.path.insert(0, str(REPOSITORY_ROOT))

from sandbox.axerrio import PortalClient, SandboxFarm, compute_signature  # noqa: E402

TOKEN = "vendortoken0123456789abcd"
SECRET = "push-signing-secret-for-tests"

JSONDict = dict[str, Any]
Answer = Callable[["PortalCall"], tuple[int, JSONDict]]


@dataclass
class PortalCall:
    """One request the fake portal received."""

    http_method: str
    api_method: str
    query: dict[str, str]
    body: JSONDict


def _answer_purchase_order_create(call: PortalCall) -> tuple[int, JSONDict]:
    items = call.body.get("purchaseOrderItems", [])
    return 200, {
        "status": 1,
        "message": "OK",
        "purchaseOrderId": 700,
        "purchaseOrderNumber": "P700",
        "poItems": [
            {"poItemId": 9000 + index, "prebookItemId": item.get("prebookItemId"),
             "status": 1, "message": "OK"}
            for index, item in enumerate(items)
        ],
    }


def _answer_awb_add(call: PortalCall) -> tuple[int, JSONDict]:
    return 200, {
        "status": 1,
        "message": "OK",
        "purchaseOrderItemDetailsAWBAddAPIResultList": [
            {"poItemId": item["poItemId"], "status": 1, "message": "OK",
             "boxCodes": item["boxCodes"], "lotNumber": item["lotNumber"]}
            for item in call.body.get("poItems", [])
        ],
    }


def _answer_box_code_change(call: PortalCall) -> tuple[int, JSONDict]:
    return 200, {
        "status": 1,
        "message": "OK",
        "boxes": [{"newBoxCode": box["newBoxCode"], "status": 1, "message": "success"}
                  for box in call.body.get("boxes", [])],
    }


def _fixed(payload: JSONDict) -> Answer:
    return lambda call: (200, payload)


@dataclass
class FakePortal:
    """A tiny stand-in for the portal's Komet-style API, served over real HTTP."""

    url: str = ""
    calls: list[PortalCall] = field(default_factory=list)
    answers: dict[str, Answer] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.answers.update({
            "carrier.list": _fixed({"status": 1, "message": "OK", "carriers": [
                {"id": 1, "code": "ARM", "name": "Armellini", "active": 1},
                {"id": 2, "code": "FWD", "name": "Miami Forwarders", "active": 1},
            ]}),
            "boxtype.list": _fixed({"status": 1, "message": "OK", "boxtypes": [
                {"id": 1056, "code": "FB", "fbe": 1},
                {"id": 1057, "code": "HB", "fbe": 0.5},
            ]}),
            "purchase.order.create": _answer_purchase_order_create,
            "purchase.order.items.awb.add": _answer_awb_add,
            "box.code.change": _answer_box_code_change,
            "prebook.details.list": _fixed({"status": 1, "message": "OK", "prebooks": []}),
            "purchase.order.list": _fixed({"status": 1, "message": "OK", "purchaseOrders": []}),
        })

    def record(self, call: PortalCall) -> tuple[int, JSONDict]:
        with self.lock:
            self.calls.append(call)
        answer = self.answers.get(call.api_method)
        if answer is None:
            return 404, {"status": 0, "message": f"unknown method {call.api_method}"}
        return answer(call)

    def calls_to(self, api_method: str) -> list[PortalCall]:
        with self.lock:
            return [call for call in self.calls if call.api_method == api_method]


def _portal_handler(portal: FakePortal) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def _handle(self, http_method: str) -> None:
            parts = urlsplit(self.path)
            api_method = parts.path.removeprefix("/api/")
            query = {key: values[0] for key, values in parse_qs(parts.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else {}
            status, payload = portal.record(PortalCall(http_method, api_method, query, body))
            encoded = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(encoded)))
            self.end_headers()
            self.wfile.write(encoded)

        def do_GET(self) -> None:  # noqa: N802
            self._handle("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._handle("POST")

    return Handler


def start_fake_portal() -> tuple[FakePortal, ThreadingHTTPServer]:
    """Serve a FakePortal on a free port of 127.0.0.1 in a daemon thread."""
    portal = FakePortal()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _portal_handler(portal))
    server.daemon_threads = True
    portal.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    ).start()
    return portal, server


def make_farm(portal_url: str, **options: Any) -> SandboxFarm:
    client = PortalClient(portal_url, TOKEN, max_retries=1, backoff=0, read_timeout=5)
    options.setdefault("customer_code", "ANG")
    return SandboxFarm(portal_url, TOKEN, SECRET, client=client, seed=7, **options)


def envelope(event_type: str, data: JSONDict, event_id: str | None = None) -> JSONDict:
    return {
        "eventId": event_id or str(uuid.uuid4()),
        "eventType": event_type,
        "occurredAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "vendorCode": "FLORA",
        "data": data,
    }


def send_push(
    farm: SandboxFarm,
    event: JSONDict,
    *,
    secret: str = SECRET,
    timestamp: int | None = None,
    signature: str | None = None,
    timeout: float = 5.0,
) -> requests.Response:
    """POST a push to the farm signed the way the portal signs it."""
    body = json.dumps(event).encode()
    sent_at = str(int(time.time()) if timestamp is None else timestamp)
    headers = {
        "Content-Type": "application/json",
        "X-Portal-Event-Id": event["eventId"],
        "X-Portal-Timestamp": sent_at,
        "X-Portal-Signature": signature or compute_signature(secret, sent_at, body),
    }
    return requests.post(farm.push_url, data=body, headers=headers, timeout=timeout)


def approved_purchase_order(po_id: int = 700, boxes: int = 2) -> JSONDict:
    """A ``purchase.order.list`` element for an approved PO with two lines."""
    return {
        "id": po_id,
        "number": f"P{po_id}",
        "vendorId": 12,
        "vendorName": "Flora Andina",
        "shipDate": "2026-12-05",
        "status": "Approved",
        "totalBoxes": boxes + 1,
        "updatedOn": "2026-12-04 15:00:00",
        "details": [
            {"poItemId": 9000, "prebookItemId": 501, "prebook": 41, "productDescription":
             "ROSE FREEDOM RED 50CM", "boxType": "HB", "totalBoxes": boxes, "bunches": 10,
             "stemsBunch": 25, "unitType": "Stem", "unitCost": 0.32, "markCode": "ANG",
             "customerName": "Ang Flowers", "boxes": []},
            {"poItemId": 9001, "prebookItemId": 502, "prebook": 41, "productDescription":
             "ROSE VENDELA WHITE 60CM", "boxType": "HB", "totalBoxes": 1, "bunches": 10,
             "stemsBunch": 25, "unitType": "Stem", "unitCost": 0.36, "markCode": "ANG",
             "customerName": "Ang Flowers", "boxes": []},
        ],
    }


def prebook(prebook_id: int = 41, item_ids: tuple[int, ...] = (501, 502)) -> JSONDict:
    """A ``prebook.details.list`` element with one line per prebook item id."""
    products = [("FR50", "ROSE FREEDOM RED 50CM", 0.32), ("VEN60", "ROSE VENDELA WHITE 60CM",
                                                          0.36)]
    details = []
    for index, item_id in enumerate(item_ids):
        code, description, cost = products[index % len(products)]
        details.append({
            "prebookItemId": item_id,
            "productId": 300 + index,
            "productCode": code,
            "productDescription": description,
            "totalBoxes": index + 2,
            "boxType": "HB",
            "bunches": 10,
            "stemsBunch": 25,
            "unitType": "Stem",
            "cost": cost,
            "vendorShipDate": "2026-12-05",
            "markCode": "ANG",
            "breakdowns": [],
        })
    return {
        "id": prebook_id,
        "number": prebook_id + 1000,
        "customerName": "Ang Flowers",
        "customerCode": "ANG",
        "truckDate": "2026-12-07",
        "carrierName": "Armellini",
        "comments": "",
        "details": details,
    }
