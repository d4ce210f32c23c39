"""HTTP client for the portal's Komet-compatible API, as a farm with a vendor token uses it.

Every method is ``{portal}/api/<method>``. Writes are POST with a JSON body that contains
``authenticationToken``, and lists are GET with the token as a query parameter. Every response
is JSON with ``status`` (1 ok, 0 failure) and ``message``.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

import requests

logger = logging.getLogger(__name__)

JSONDict = dict[str, Any]

RETRY_STATUS_CODES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER_SECONDS = 30.0

TOKEN_PARAMETER = re.compile(r"authenticationToken=[^&\s'\")]*")
# Shorter tokens are only masked as a query parameter, because replacing them everywhere
# would garble ordinary words in the message.
MIN_TOKEN_LENGTH_TO_MASK = 6


class PortalError(Exception):
    """A portal call that failed: HTTP error, invalid JSON, or ``status`` 0 in the response."""

    def __init__(
        self,
        method: str,
        message: str,
        *,
        http_status: int | None = None,
        payload: JSONDict | None = None,
    ) -> None:
        super().__init__(f"{method}: {message}")
        self.method = method
        self.message = message
        self.http_status = http_status
        self.payload = payload or {}


def status_ok(value: Any) -> bool:
    """Return True for a Komet ``status`` of 1, sent either as a number or a string."""
    try:
        return int(value) == 1
    except (TypeError, ValueError):
        return False


class PortalClient:
    """Calls the portal's API through one ``requests.Session``.

    Connection errors and 5xx or 429 responses are retried up to ``max_retries`` times with
    exponential backoff, and a numeric ``Retry-After`` of up to 30 s is honoured. Other 4xx
    responses are logged with the portal's message and raised as PortalError at once.
    """

    def __init__(
        self,
        portal_url: str,
        token: str,
        *,
        connect_timeout: float = 3.05,
        read_timeout: float = 20.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not token:
            raise ValueError("missing portal token: pass --token or set SANDBOX_TOKEN")
        self.base_url = portal_url.rstrip("/") + "/api/"
        self._token = token
        self.timeout = (connect_timeout, read_timeout)
        self.max_retries = max_retries
        self.backoff = backoff
        self.session = session or requests.Session()
        self.session.headers.setdefault("Accept", "application/json")
        self._sleep = sleep

    def close(self) -> None:
        self.session.close()

    # Transport

    def get(self, method: str, params: JSONDict | None = None) -> JSONDict:
        """Call a list method with GET and return the decoded response."""
        query = {key: value for key, value in (params or {}).items() if value is not None}
        query["authenticationToken"] = self._token
        return self._request("GET", method, params=query)

    def post(self, method: str, body: JSONDict) -> JSONDict:
        """Call a write method with POST and a JSON body and return the decoded response."""
        payload = dict(body)
        payload["authenticationToken"] = self._token
        return self._request("POST", method, json_body=payload)

    def _request(
        self,
        http_method: str,
        method: str,
        *,
        params: JSONDict | None = None,
        json_body: JSONDict | None = None,
    ) -> JSONDict:
        url = self.base_url + method
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.session.request(
                    http_method, url, params=params, json=json_body, timeout=self.timeout
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                # A POST whose response timed out may have been stored by the portal, so only
                # connection failures are retried for writes. ConnectTimeout is a
                # ConnectionError and is therefore retried for both.
                retriable = isinstance(exc, requests.ConnectionError) or http_method == "GET"
                reason = self.redact(str(exc))
                if retriable and attempt <= self.max_retries:
                    delay = self.backoff * 2 ** (attempt - 1)
                    logger.warning(
                        "%s %s failed (%s), retry %d of %d in %.1f s",
                        http_method, method, reason, attempt, self.max_retries, delay,
                    )
                    self._sleep(delay)
                    continue
                logger.error("%s %s failed after %d attempts: %s",
                             http_method, method, attempt, reason)
                raise PortalError(method, f"request failed: {reason}") from None

            if response.status_code in RETRY_STATUS_CODES and attempt <= self.max_retries:
                delay = self._retry_delay(response, attempt)
                logger.warning(
                    "%s %s returned HTTP %d (%s), retry %d of %d in %.1f s",
                    http_method, method, response.status_code, self._portal_message(response),
                    attempt, self.max_retries, delay,
                )
                self._sleep(delay)
                continue
            return self._decode(method, response)

    def _retry_delay(self, response: requests.Response, attempt: int) -> float:
        delay = self.backoff * 2 ** (attempt - 1)
        retry_after = response.headers.get("Retry-After", "")
        if retry_after.strip().isdigit():
            delay = max(delay, min(float(retry_after), MAX_RETRY_AFTER_SECONDS))
        return delay

    def _decode(self, method: str, response: requests.Response) -> JSONDict:
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            message = f"HTTP {response.status_code} with a body that is not a JSON object"
            logger.error("%s failed: %s", method, message)
            raise PortalError(method, message, http_status=response.status_code)

        message = str(payload.get("message", ""))
        if response.status_code >= 400:
            logger.error("%s rejected with HTTP %d: %s", method, response.status_code, message)
            raise PortalError(
                method, message or f"HTTP {response.status_code}",
                http_status=response.status_code, payload=payload,
            )
        if not status_ok(payload.get("status")):
            logger.error("%s returned status %r: %s", method, payload.get("status"), message)
            raise PortalError(
                method, message or "status 0", http_status=response.status_code, payload=payload
            )
        return payload

    @staticmethod
    def _portal_message(response: requests.Response) -> str:
        try:
            payload = response.json()
        except ValueError:
            return response.reason or ""
        if isinstance(payload, dict):
            return str(payload.get("message") or payload.get("error") or "")
        return ""

    def redact(self, text: str) -> str:
        """Return text with the token masked, because requests puts GET URLs in its errors."""
        text = TOKEN_PARAMETER.sub("authenticationToken=***", text)
        if len(self._token) >= MIN_TOKEN_LENGTH_TO_MASK:
            text = text.replace(self._token, "***")
        return text

    # Komet methods used by a vendor token

    def list_carriers(self) -> list[JSONDict]:
        return list(self.get("carrier.list").get("carriers") or [])

    def list_box_types(self) -> list[JSONDict]:
        return list(self.get("boxtype.list").get("boxtypes") or [])

    def create_prebook(self, body: JSONDict) -> JSONDict:
        return self.post("prebook.create", body)

    def create_purchase_order(self, body: JSONDict) -> JSONDict:
        return self.post("purchase.order.create", body)

    def list_purchase_orders(
        self,
        *,
        date: str | None = None,
        number: str | None = None,
        status: str | None = None,
    ) -> list[JSONDict]:
        """List POs by vendor ship date or PO number, optionally filtered by status."""
        if date is None and number is None:
            raise ValueError("purchase.order.list needs a date or a number")
        answer = self.get(
            "purchase.order.list", {"date": date, "number": number, "status": status}
        )
        return list(answer.get("purchaseOrders") or [])

    def list_prebook_details(
        self,
        *,
        date: str | None = None,
        vendor_ship_date_from: str | None = None,
        vendor_ship_date_to: str | None = None,
        updated_as_of: str | None = None,
    ) -> list[JSONDict]:
        """List prebooks by truck date or vendor ship-date range.

        ``updated_as_of`` is ``YYYY-MM-DD hh:mm:ss`` in GMT.
        """
        if date is None and vendor_ship_date_from is None:
            raise ValueError("prebook.details.list needs a date or a vendor ship-date range")
        answer = self.get(
            "prebook.details.list",
            {
                "date": date,
                "vendorShipDateFrom": vendor_ship_date_from,
                "vendorShipDateTo": vendor_ship_date_to,
                "updatedAsOf": updated_as_of,
            },
        )
        return list(answer.get("prebooks") or [])

    def add_awb(self, po_items: Iterable[JSONDict]) -> JSONDict:
        return self.post("purchase.order.items.awb.add", {"poItems": list(po_items)})

    def change_box_codes(self, changes: Iterable[tuple[str, str]]) -> JSONDict:
        boxes = [{"currentBoxCode": old, "newBoxCode": new} for old, new in changes]
        return self.post("box.code.change", {"boxes": boxes})
