"""HMAC-SHA256 signatures on the portal's pushes to the farm.

The portal signs ``f"{timestamp}.".encode() + body`` with the vendor's signing secret and
sends ``X-Portal-Timestamp`` (Unix seconds) and ``X-Portal-Signature: sha256=<hex>``.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_SCHEME = "sha256="
DEFAULT_TOLERANCE_SECONDS = 300


class SignatureError(Exception):
    """A push whose signature headers are missing, malformed, wrong or stale."""


def compute_signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """Return the ``sha256=<hex>`` header value for a push body sent at timestamp."""
    message = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return SIGNATURE_SCHEME + digest


def verify_signature(
    secret: str,
    timestamp_header: str | None,
    signature_header: str | None,
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> None:
    """Raise SignatureError unless the headers carry a valid, fresh signature of body.

    The digests are compared in constant time. A timestamp more than ``tolerance`` seconds
    before or after ``now`` is rejected even when the signature matches.
    """
    if not timestamp_header:
        raise SignatureError("missing X-Portal-Timestamp header")
    if not signature_header:
        raise SignatureError("missing X-Portal-Signature header")
    try:
        timestamp = int(timestamp_header.strip())
    except ValueError:
        raise SignatureError(
            f"invalid X-Portal-Timestamp {timestamp_header!r}: expected Unix seconds"
        ) from None
    if not signature_header.startswith(SIGNATURE_SCHEME):
        raise SignatureError("invalid X-Portal-Signature: expected 'sha256=<hex>'")

    expected = compute_signature(secret, timestamp_header.strip(), body)
    if not hmac.compare_digest(expected.encode(), signature_header.strip().encode()):
        raise SignatureError("invalid signature")

    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise SignatureError(
            f"timestamp {timestamp} is more than {tolerance} s away from the farm's clock"
        )
