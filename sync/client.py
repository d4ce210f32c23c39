"""HTTP client for pushes to a farm's Axerrio: signing, timeouts and error classes.

Every push is a signed JSON POST on one shared `requests.Session` (pooled connections).
Errors come back as `TransientPushError` (worth retrying: timeouts, connection errors,
HTTP 5xx and 429) or `PermanentPushError` (a person must act: any other 4xx, a redirect,
a vendor without a push URL or secret). A 2xx whose Komet envelope has status 0 raises
`FarmRejectedPushError`, a subclass of `PermanentPushError`. Neither the secret nor the
signature is logged.
"""

import email.utils
import hashlib
import hmac
import json
import logging
import threading
import time
from dataclasses import dataclass

import requests
from django.conf import settings

logger = logging.getLogger(__name__)

EVENT_ID_HEADER = "X-Portal-Event-Id"
TIMESTAMP_HEADER = "X-Portal-Timestamp"
SIGNATURE_HEADER = "X-Portal-Signature"
SIGNATURE_PREFIX = "sha256="
# Maximum characters of the farm's response body stored on the ledger row.
MAX_STORED_BODY = 20_000
# Maximum characters of a rejecting farm's `message` copied into the error, because the
# Komet API declares `message` as string:500.
MAX_REJECTION_MESSAGE = 500

# Errors in the request itself, which retrying cannot fix.
INVALID_REQUEST_ERRORS = (
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
    requests.exceptions.InvalidHeader,
)

_session_lock = threading.Lock()
_session: requests.Session | None = None


@dataclass(frozen=True)
class PushResponse:
    """A 2xx response from the farm."""

    status: int
    body: str
    duration_ms: int


class PushError(Exception):
    """A push that did not succeed. `status` is None when no HTTP response arrived."""

    def __init__(self, message: str, *, status: int | None = None, body: str = "",
                 duration_ms: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = body
        self.duration_ms = duration_ms


class TransientPushError(PushError):
    """A failure that may pass: the push is retried after a backoff delay."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class PermanentPushError(PushError):
    """A failure that retrying will not fix: the row is parked for a person."""


class FarmRejectedPushError(PermanentPushError):
    """A 2xx response whose Komet envelope has status 0: the farm read the push and rejected it.

    `farm_message` is the envelope's `message`, or "" when the farm sent none.
    """

    def __init__(self, message: str, *, farm_message: str = "", **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.farm_message = farm_message


def push_session() -> requests.Session:
    """Return the process-wide session, created on first use."""
    global _session
    with _session_lock:
        if _session is None:
            session = requests.Session()
            session.headers["User-Agent"] = "komet-axerrio-portal/1.0"
            adapter = requests.adapters.HTTPAdapter(pool_connections=16, pool_maxsize=16)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            _session = session
        return _session


def push_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """Return the `X-Portal-Signature` value: HMAC-SHA256 of `"<timestamp>." + body`."""
    message = f"{timestamp}.".encode() + body
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def push_body(envelope: dict) -> bytes:
    """Serialize a push envelope to the exact bytes that are signed and sent."""
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """Parse a Retry-After header (delta seconds or an HTTP date); None when absent or invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def komet_rejection_message(text: str) -> str | None:
    """Return the farm's message if `text` is a Komet envelope with status 0, else None.

    Status 0 may be the number or the string "0", because Komet samples show both. A
    body that is not a JSON object, has no `status`, or has any other status (including
    JSON `false`) is not a rejection. A missing or non-string `message` returns "".
    """
    try:
        envelope = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(envelope, dict) or "status" not in envelope:
        return None
    status = envelope["status"]
    if isinstance(status, bool):
        return None
    rejected = (
        (isinstance(status, int | float) and status == 0)
        or (isinstance(status, str) and status.strip() == "0")
    )
    if not rejected:
        return None
    message = envelope.get("message")
    if not isinstance(message, str):
        return ""
    return message.strip()[:MAX_REJECTION_MESSAGE]


def push_send(*, url: str, secret: str, event_id: str, envelope: dict) -> PushResponse:
    """POST one signed push to `url` and return the 2xx response.

    Raises FarmRejectedPushError for a 2xx whose Komet envelope has status 0, and
    TransientPushError or PermanentPushError for any other outcome but a 2xx.
    """
    if not url:
        raise PermanentPushError("The vendor has no Axerrio push URL; set it on the vendor.")
    if not secret:
        raise PermanentPushError("The vendor has no signing secret; set it on the vendor.")
    body = push_body(envelope)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        EVENT_ID_HEADER: event_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: push_signature(secret=secret, timestamp=timestamp, body=body),
    }
    timeout = (settings.PUSH_CONNECT_TIMEOUT, settings.PUSH_READ_TIMEOUT)
    started = time.monotonic()
    try:
        response = push_session().post(
            url, data=body, headers=headers, timeout=timeout, allow_redirects=False
        )
    except requests.Timeout as error:
        raise TransientPushError(
            f"Timed out after {_elapsed_ms(started)} ms: {error.__class__.__name__}.",
            duration_ms=_elapsed_ms(started),
        ) from error
    except requests.ConnectionError as error:
        raise TransientPushError(
            f"Connection to the farm failed: {error}.", duration_ms=_elapsed_ms(started)
        ) from error
    except INVALID_REQUEST_ERRORS as error:
        raise PermanentPushError(
            f"Invalid push URL {url!r}: {error}.", duration_ms=_elapsed_ms(started)
        ) from error
    except requests.RequestException as error:
        # For example a body cut off mid-answer (ChunkedEncodingError): worth retrying.
        raise TransientPushError(
            f"Push failed: {error.__class__.__name__}: {error}.", duration_ms=_elapsed_ms(started)
        ) from error

    duration_ms = _elapsed_ms(started)
    text = response.text[:MAX_STORED_BODY]
    status = response.status_code
    if 200 <= status < 300:
        farm_message = komet_rejection_message(response.text)
        if farm_message is None:
            return PushResponse(status=status, body=text, duration_ms=duration_ms)
        quoted = f'with the message "{farm_message}"' if farm_message else "without a message"
        raise FarmRejectedPushError(
            f"The farm rejected the push (HTTP {status}, status 0) {quoted}. Fix the cause "
            "with the farm, then retry the push by hand.",
            farm_message=farm_message,
            status=status,
            body=text,
            duration_ms=duration_ms,
        )
    if status == 429 or status >= 500:
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        raise TransientPushError(
            f"The farm returned HTTP {status}.",
            status=status,
            body=text,
            duration_ms=duration_ms,
            retry_after=retry_after,
        )
    raise PermanentPushError(
        f"The farm returned HTTP {status}. Fix the cause, then retry the push by hand.",
        status=status,
        body=text,
        duration_ms=duration_ms,
    )


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
