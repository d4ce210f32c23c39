"""The request pipeline shared by every API method.

Each method is a `KometMethod` subclass with a name, an HTTP verb, an input serializer
and a `handle` function. The pipeline enforces, in order: the body size limit, JSON
parsing, the token (body or query), the token's methods, the daily quota, the
`Idempotency-Key` header, input validation, and then runs `handle` in one transaction.
Every call, accepted or rejected, is written to the exchange ledger.
"""

import datetime
import hashlib
import json
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.conf import settings
from django.db import (
    DatabaseError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    transaction,
)
from django.utils import timezone
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.envelope import (
    ApiError,
    AuthenticationFailed,
    Conflict,
    PayloadTooLarge,
    PermissionDenied,
    QuotaExceeded,
    envelope,
    error_response,
    validation_message,
)
from api.models import IdempotencyRecord
from api.schema import KometAutoSchema
from catalog.models import Vendor
from security.forbidden_log import forbidden_log_note
from sync.models import Direction, Exchange, ExchangeKind, ExchangeState, payload_digest
from tokens import throttle as token_throttle
from tokens.methods import token_types_for
from tokens.models import ApiToken
from tokens.services import TokenError, api_token_authenticate, api_token_count_request

logger = logging.getLogger(__name__)

DATABASE_UNAVAILABLE = ApiError(
    "The portal's database is unavailable; nothing was written. Send the request again in "
    "a few seconds (with the same Idempotency-Key, if you use one).",
    http_status=503,
    retry_after=5,
)

TOKEN_FIELD = "authenticationToken"
# Komet's bodies nest three levels (prebook → items → breakdowns); anything far deeper is
# refused before validation, so no recursive step can exhaust Python's stack.
MAX_JSON_DEPTH = 32


def _json_depth(value: Any) -> int:
    """Return how deeply arrays and objects nest in `value`, walking without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


@dataclass
class ApiCall:
    """The caller and the documents of one API call, as a method's handler sees them."""

    token: ApiToken
    method: str
    remote_address: str | None
    vendor: Vendor | None = None
    # Documents the call touched, for the ledger row.
    prebook_id: int | None = None
    purchase_order_id: int | None = None
    kind: str = ExchangeKind.API_CALL
    notes: list[str] = field(default_factory=list)

    @property
    def is_vendor(self) -> bool:
        return self.token.token_type == ApiToken.TokenType.VENDOR

    @property
    def actor_label(self) -> str:
        return f"token {self.token.prefix}"


def ledger_safe(value: Any) -> Any:
    """Return `value` with NUL characters replaced, because PostgreSQL's jsonb rejects them."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {ledger_safe(key): ledger_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [ledger_safe(item) for item in value]
    return value


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _has_surrogate(value: Any) -> bool:
    """Return whether any string in `value` contains a lone surrogate, which UTF-8 cannot encode."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_surrogate(key) or _has_surrogate(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(item) for item in value)
    return False


def client_address(request: Request) -> str | None:
    # The portal expects to run behind one trusted reverse proxy that sets REMOTE_ADDR
    # correctly (gunicorn with --forwarded-allow-ips); X-Forwarded-For is not trusted here.
    return request.META.get("REMOTE_ADDR") or None


class KometMethod(APIView):
    """Base view for one Komet API method at `/api/<name>`."""

    name: ClassVar[str]
    http_method: ClassVar[str] = "POST"
    input_serializer: ClassVar[type[serializers.Serializer] | None] = None
    # Writes accept an Idempotency-Key header; lists do not need one.
    is_write: ClassVar[bool] = True
    ledger_kind: ClassVar[str] = ExchangeKind.API_CALL
    parser_classes: ClassVar[list] = []
    schema = KometAutoSchema()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Only the method's own verb is routed, so the schema lists one operation per method.
        cls.http_method_names = [cls.http_method.lower(), "options"]

    def http_method_not_allowed(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return error_response(
            ApiError(f"{self.name} must be called with {self.http_method}.", http_status=405)
        )

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._dispatch_method(request, "GET")

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._dispatch_method(request, "POST")

    def handle(self, call: ApiCall, data: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    # --- pipeline ------------------------------------------------------------------------

    def _read_input(self, request: Request, verb: str) -> dict[str, Any]:
        length = request.META.get("CONTENT_LENGTH") or "0"
        limit = settings.API_MAX_BODY_BYTES
        if not (length.isascii() and length.isdigit()) or int(length) > limit:
            raise PayloadTooLarge(f"Request body is larger than the {limit // 1024} KB limit.")
        body = request._request.body
        if len(body) > limit:
            raise PayloadTooLarge(f"Request body is larger than the {limit // 1024} KB limit.")
        data: dict[str, Any] = {key: request.query_params.get(key) for key in request.query_params}
        if verb == "POST" and body.strip():
            try:
                parsed = json.loads(body, parse_constant=_reject_constant)
            except (UnicodeDecodeError, ValueError) as error:
                raise ApiError(f"Request body is not valid JSON: {error}.") from None
            except RecursionError:
                raise ApiError(
                    f"Request body is not valid JSON: arrays and objects nest deeper than "
                    f"{MAX_JSON_DEPTH} levels."
                ) from None
            if _json_depth(parsed) > MAX_JSON_DEPTH:
                raise ApiError(
                    f"Request body: arrays and objects may nest at most {MAX_JSON_DEPTH} levels."
                )
            if _has_surrogate(parsed):
                raise ApiError(
                    "Request body is not valid JSON: it contains an unpaired UTF-16 surrogate "
                    "escape (\\ud800-\\udfff)."
                )
            if not isinstance(parsed, dict):
                raise ApiError("Request body must be a JSON object.")
            data.update(parsed)
        return data

    def _authenticate(self, data: dict[str, Any], request: Request) -> ApiToken:
        raw = data.get(TOKEN_FIELD)
        if not raw or not isinstance(raw, str):
            raise AuthenticationFailed(f"{TOKEN_FIELD} is required.")
        # Repeated failures from one address: HTTP 429 until its cooling-off period ends.
        try:
            token_throttle.check(client_address(request))
        except token_throttle.Throttled as error:
            raise QuotaExceeded(error.reason) from None
        try:
            token = api_token_authenticate(raw, remote_address=client_address(request))
        except TokenError as error:
            token_throttle.record_failure(client_address(request))
            raise AuthenticationFailed(error.reason) from None
        forbidden_log_note(request._request, token_prefix=token.prefix)
        if token.token_type not in token_types_for(self.name):
            raise PermissionDenied(f"A {token.token_type} token cannot call {self.name}.")
        if self.name not in token.methods:
            raise PermissionDenied(f"This token is not allowed to call {self.name}.")
        used = api_token_count_request(token)
        if used > token.daily_quota:
            now = timezone.now()
            midnight = (now + datetime.timedelta(days=1)).replace(
                hour=0, minute=0, second=0, microsecond=0
            )
            raise QuotaExceeded(
                f"Daily request quota of {token.daily_quota} reached for this token; "
                "it resets at 00:00 UTC.",
                retry_after=int((midnight - now).total_seconds()) + 1,
            )
        return token

    def _dispatch_method(self, request: Request, verb: str) -> Response:
        if verb != self.http_method:
            return error_response(
                ApiError(f"{self.name} must be called with {self.http_method}.", http_status=405)
            )
        call: ApiCall | None = None
        data: dict[str, Any] = {}
        try:
            data = self._read_input(request, verb)
            token = self._authenticate(data, request)
            call = ApiCall(
                token=token,
                method=self.name,
                remote_address=client_address(request),
                vendor=token.vendor,
                kind=self.ledger_kind,
            )
            response = self._run(call, data, request)
        except ApiError as error:
            response = error_response(error)
            forbidden_log_note(request._request, reason=error.message)
            self._record(call, data, request, response, ExchangeState.REJECTED)
        except (OperationalError, InterfaceError) as error:
            # The database went away mid-request (restart, failover, dropped connection).
            # The transaction was rolled back, so the caller may safely send it again.
            logger.warning("API %s: database unavailable: %s", self.name, error)
            close_old_connections()
            response = error_response(DATABASE_UNAVAILABLE)
            try:
                self._record(call, data, request, response, ExchangeState.REJECTED)
            except DatabaseError as record_error:
                logger.error(
                    "API %s: could not record the rejected call: %s", self.name, record_error
                )
        return response

    def _run(self, call: ApiCall, data: dict[str, Any], request: Request) -> Response:
        key = request.headers.get("Idempotency-Key", "").strip() if self.is_write else ""
        clean = {k: v for k, v in data.items() if k != TOKEN_FIELD}
        digest = payload_digest(clean) if key else ""
        if key:
            if len(key) > 200:
                raise ApiError("Idempotency-Key header: must be at most 200 characters.")
            previous = IdempotencyRecord.objects.filter(token=call.token, key=key).first()
            if previous is not None:
                return self._replay(previous, digest)

        validated = self._validate(clean)
        try:
            with transaction.atomic():
                try:
                    result = self.handle(call, validated)
                    response = Response(envelope(**result))
                    state = ExchangeState.PROCESSED
                except ApiError as error:
                    # Most errors roll everything back; a few keep a record of the attempt.
                    if not error.keep_writes:
                        raise
                    response, state = error_response(error), ExchangeState.REJECTED
                self._record(call, data, request, response, state)
                if key:
                    IdempotencyRecord.objects.create(
                        token=call.token,
                        key=key,
                        method=self.name,
                        request_sha256=digest,
                        response_status=response.status_code,
                        response_body=ledger_safe(response.data),
                    )
        except IntegrityError:
            # A concurrent retry with the same key won the race, so return its stored result.
            previous = IdempotencyRecord.objects.filter(token=call.token, key=key).first()
            if key and previous is not None:
                return self._replay(previous, digest)
            raise
        return response

    def _replay(self, previous: IdempotencyRecord, digest: str) -> Response:
        if previous.method != self.name or previous.request_sha256 != digest:
            raise Conflict(
                "Idempotency-Key header: this key was already used with a different request."
            )
        response = Response(previous.response_body, status=previous.response_status)
        response["Idempotent-Replay"] = "true"
        return response

    def _validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if self.input_serializer is None:
            return data
        serializer = self.input_serializer(data=data)
        if not serializer.is_valid():
            raise ApiError(validation_message(serializer.errors, data))
        return serializer.validated_data

    def _record(
        self,
        call: ApiCall | None,
        data: dict[str, Any],
        request: Request,
        response: Response,
        state: str,
    ) -> None:
        """Write the ledger row for this call; a rejected call is recorded after rollback."""
        fields = {
            "direction": Direction.INBOUND,
            "kind": call.kind if call else self.ledger_kind,
            "method": self.name,
            "vendor": call.vendor if call else None,
            "prebook_id": call.prebook_id if call else None,
            "purchase_order_id": call.purchase_order_id if call else None,
            "payload": ledger_safe({k: v for k, v in data.items() if k != TOKEN_FIELD}),
            "state": state,
            "attempts": 1,
            "response_status": response.status_code,
            "response_body": json.dumps(response.data, default=str)[:20000],
            "remote_address": client_address(request),
            "token_prefix": call.token.prefix if call else "",
        }
        key = request.headers.get("Idempotency-Key", "")
        if not key.strip():
            # A new UUID4 collides with negligible probability, so no savepoint is taken.
            Exchange.objects.create(external_id=_ledger_external_id(key), **fields)
            return
        external_id = _ledger_external_id(key)
        try:
            with transaction.atomic():
                Exchange.objects.create(external_id=external_id, **fields)
        except IntegrityError:
            # The key already names a row of this vendor and kind: a replayed rejection, or
            # another token of the same farm. Every call still gets its own row.
            logger.info("Inbound %s reuses idempotency key; recorded under a suffix", self.name)
            Exchange.objects.create(external_id=f"{external_id[:60]}:{uuid.uuid4().hex}", **fields)


def _ledger_external_id(key: str) -> str:
    """Return the ledger id of a call: its Idempotency-Key (hashed past 100 characters) or new."""
    key = ledger_safe(key.strip())
    if not key:
        return uuid.uuid4().hex
    if len(key) > 100:
        return "sha256:" + hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()
    return key
