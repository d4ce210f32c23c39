"""Komet's response envelope and the portal's API errors.

Every response is JSON with `status` (1 success, 0 failure) and `message`. Errors also
carry an HTTP 4xx code, and their message names the field and the rule it broke.
"""

import logging
from typing import Any

from rest_framework import exceptions, status
from rest_framework.response import Response

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """A request the portal rejects; nothing it asked for is written."""

    http_status = status.HTTP_400_BAD_REQUEST

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        keep_writes: bool = False,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        # True when what the handler wrote before failing (such as a scan log) must be kept.
        self.keep_writes = keep_writes
        if http_status is not None:
            self.http_status = http_status
        self.extra = extra


class AuthenticationFailed(ApiError):
    http_status = status.HTTP_401_UNAUTHORIZED


class PermissionDenied(ApiError):
    http_status = status.HTTP_403_FORBIDDEN


class NotFound(ApiError):
    http_status = status.HTTP_404_NOT_FOUND


class Conflict(ApiError):
    http_status = status.HTTP_409_CONFLICT


class QuotaExceeded(ApiError):
    http_status = status.HTTP_429_TOO_MANY_REQUESTS


class PayloadTooLarge(ApiError):
    http_status = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE


def envelope(message: str = "OK", *, ok: bool = True, **fields: Any) -> dict[str, Any]:
    return {"status": 1 if ok else 0, "message": message, **fields}


def error_response(error: ApiError) -> Response:
    extra = dict(error.extra)
    retry_after = extra.pop("retry_after", None)
    response = Response(envelope(error.message, ok=False, **extra), status=error.http_status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def _received(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _list_index(key: Any) -> int | None:
    """Return the list index that an error key names, or None when the key is a field name.

    Index keys are integers, or digit strings once the detail has been through JSON. No
    Komet field name is made of digits only.
    """
    if isinstance(key, int):
        return key
    if isinstance(key, str) and key.isascii() and key.isdigit():
        return int(key)
    return None


def flatten_errors(detail: Any, data: Any, path: str = "") -> list[str]:
    """Turn DRF's nested error detail into 'items[0].field: rule Received value.' lines.

    List items are written with brackets (`poItems[0].shipDate`), never as `poItems.0`.
    """
    lines: list[str] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key == "non_field_errors":
                lines += flatten_errors(value, data, path)
                continue
            index = _list_index(key)
            if index is not None:
                # ListField reports its items' errors in a dict keyed by the item's index.
                child = data[index] if isinstance(data, list) and index < len(data) else None
                lines += flatten_errors(value, child, f"{path}[{index}]")
                continue
            child = data.get(key) if isinstance(data, dict) else None
            lines += flatten_errors(value, child, f"{path}.{key}" if path else str(key))
    elif isinstance(detail, list):
        if detail and all(isinstance(item, (str, exceptions.ErrorDetail)) for item in detail):
            rules = " ".join(str(item) for item in detail)
            where = path or "request"
            if data is not None and not isinstance(data, (dict, list)):
                lines.append(f"{where}: {rules} Received {_received(data)}.")
            else:
                lines.append(f"{where}: {rules}")
        else:
            for index, item in enumerate(detail):
                if item:
                    child = data[index] if isinstance(data, list) and index < len(data) else None
                    lines += flatten_errors(item, child, f"{path}[{index}]")
    else:
        lines.append(f"{path or 'request'}: {detail}")
    return lines


def validation_message(detail: Any, data: Any) -> str:
    return "Invalid request. " + " | ".join(flatten_errors(detail, data))


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """Convert DRF exceptions into responses in Komet's envelope."""
    if isinstance(exc, ApiError):
        return error_response(exc)
    if isinstance(exc, exceptions.ValidationError):
        request = context.get("request")
        data = getattr(request, "data", None) if request is not None else None
        return Response(
            envelope(validation_message(exc.detail, data), ok=False),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, exceptions.APIException):
        return Response(envelope(str(exc.detail), ok=False), status=exc.status_code)
    return None
