"""Issuing, checking and revoking API tokens.

A token is 32 lower-case letters and digits, like Komet's own tokens: the first 8 are a
public prefix used to find the row, the other 24 are the secret. The row stores
HMAC-SHA256(TOKEN_PEPPER, secret), compared in constant time.
"""

import hashlib
import hmac
import ipaddress
import logging
import secrets
import string
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit.services import audit_record
from catalog.models import Vendor
from tokens.methods import AXERRIO_METHODS, all_method_names, token_types_for
from tokens.models import ApiToken, ApiTokenDailyUsage

logger = logging.getLogger(__name__)

ALPHABET = string.ascii_lowercase + string.digits
PREFIX_LENGTH = 8
SECRET_LENGTH = 24
# last_used_at and last_used_ip are written at most this often, to spare a write per call.
LAST_USED_WRITE_INTERVAL = timedelta(minutes=1)
# Bounds on a token's daily request quota. A quota of 0 would make every call fail with HTTP 429.
MIN_DAILY_QUOTA = 1
MAX_DAILY_QUOTA = 1_000_000
DESCRIPTION_MAX_LENGTH = ApiToken._meta.get_field("description").max_length


class TokenError(Exception):
    """Authentication or authorisation failed; `reason` is safe to show the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TokenInputError(ValueError):
    """A value given for a new token breaks a rule; `field` names the ApiToken field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


# One message for an unknown prefix, a wrong secret, a revoked or expired token and a call
# from outside the token's allowed networks, so a caller cannot tell which check failed.
INVALID_TOKEN_MESSAGE = "Invalid authentication token."


def _hash_secret(secret: str) -> str:
    return hmac.new(settings.TOKEN_PEPPER.encode(), secret.encode(), hashlib.sha256).hexdigest()


def _random_text(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    plaintext: str


def resolve_methods(spec: str | list[str]) -> list[str]:
    """Expand 'axerrio', 'all' or a comma-separated list into method names, checking each."""
    if isinstance(spec, str):
        names = [part.strip() for part in spec.split(",") if part.strip()]
    else:
        names = list(spec)
    known = set(all_method_names())
    resolved: list[str] = []
    for name in names:
        if name == "axerrio":
            resolved += AXERRIO_METHODS
        elif name == "all":
            resolved += sorted(known)
        elif name in known:
            resolved.append(name)
        else:
            raise ValueError(
                f"Unknown API method {name!r}; known methods: {', '.join(sorted(known))}."
            )
    return list(dict.fromkeys(resolved))


def token_description_clean(description: str) -> str:
    """Return the description stripped, or raise TokenInputError if empty or too long."""
    text = (description or "").strip()
    if not text:
        raise TokenInputError("description", "The description must not be empty.")
    if len(text) > DESCRIPTION_MAX_LENGTH:
        raise TokenInputError(
            "description",
            f"The description must be 1 to {DESCRIPTION_MAX_LENGTH} characters, got {len(text)}.",
        )
    if any(unicodedata.category(character) in ("Cc", "Cs") for character in text):
        raise TokenInputError("description", "The description must not contain control characters.")
    return text


def token_daily_quota_clean(daily_quota: int) -> int:
    """Return the quota, or raise TokenInputError unless it is a whole number in range."""
    if isinstance(daily_quota, bool) or not isinstance(daily_quota, int):
        raise TokenInputError(
            "daily_quota", f"The daily quota must be a whole number, got {daily_quota!r}."
        )
    if not MIN_DAILY_QUOTA <= daily_quota <= MAX_DAILY_QUOTA:
        raise TokenInputError(
            "daily_quota",
            f"The daily quota must be {MIN_DAILY_QUOTA:,} to {MAX_DAILY_QUOTA:,} requests, "
            f"got {daily_quota:,}.",
        )
    return daily_quota


def api_token_issue(
    *,
    token_type: str,
    description: str,
    methods: list[str],
    vendor: Vendor | None = None,
    expires_at=None,
    daily_quota: int | None = None,
    allowed_networks: str = "",
    actor: Any = None,
) -> IssuedToken:
    """Create a token and return it with its plaintext, which is never stored.

    Raises TokenInputError for a bad description or quota and ValueError for a bad scope.
    """
    description = token_description_clean(description)
    if daily_quota is None:
        daily_quota = settings.API_DEFAULT_DAILY_QUOTA
    daily_quota = token_daily_quota_clean(daily_quota)
    if token_type == ApiToken.TokenType.VENDOR and vendor is None:
        raise ValueError("A vendor token needs a vendor.")
    if token_type == ApiToken.TokenType.COMPANY and vendor is not None:
        raise ValueError("A company token cannot be bound to a vendor.")
    if not methods:
        raise ValueError("A token needs at least one API method.")
    unknown = sorted(set(methods) - set(all_method_names()))
    if unknown:
        raise ValueError(f"Unknown API method(s): {', '.join(unknown)}.")
    not_allowed = [name for name in methods if token_type not in token_types_for(name)]
    if not_allowed:
        raise ValueError(
            f"A {token_type} token cannot call {', '.join(not_allowed)}. "
            "Those methods need a company token."
        )
    allowed_networks = "\n".join(networks_parse(allowed_networks))

    with transaction.atomic():
        while True:
            prefix = _random_text(PREFIX_LENGTH)
            if not ApiToken.objects.filter(prefix=prefix).exists():
                break
        secret = _random_text(SECRET_LENGTH)
        token = ApiToken.objects.create(
            prefix=prefix,
            secret_hash=_hash_secret(secret),
            token_type=token_type,
            vendor=vendor,
            description=description,
            methods=methods,
            expires_at=expires_at,
            daily_quota=daily_quota,
            allowed_networks=allowed_networks,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit_record(
            action="token.create",
            obj=token,
            actor=actor,
            changes={"methods": [None, methods], "type": [None, token_type]},
        )
    return IssuedToken(token=token, plaintext=prefix + secret)


def networks_parse(text: str) -> list[str]:
    """Split CIDR ranges separated by commas, spaces or new lines and normalise each one.

    Raises ValueError naming the first invalid range. A bare address is a one-address range.
    """
    networks = []
    for part in text.replace(",", " ").split():
        try:
            networks.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            raise ValueError(
                f"{part!r} is not an IP range in CIDR form, "
                "such as 203.0.113.0/24 or 2001:db8::/32."
            ) from None
    return list(dict.fromkeys(networks))


class TokenStatus:
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


def api_token_status(token: ApiToken, *, now=None) -> str:
    """Return TokenStatus.ACTIVE, EXPIRED or REVOKED. Revocation wins over expiry."""
    if token.revoked_at is not None:
        return TokenStatus.REVOKED
    if token.expires_at is not None and token.expires_at <= (now or timezone.now()):
        return TokenStatus.EXPIRED
    return TokenStatus.ACTIVE


# Fields an admin may change on a live token. Type, vendor and methods are fixed at
# creation: a different scope needs a new token, so the old one can be revoked.
UPDATABLE_FIELDS = ("description", "expires_at", "daily_quota", "allowed_networks")


def api_token_update(*, token: ApiToken, actor: Any = None, **values: Any) -> ApiToken:
    """Change the description, expiry, quota or allowed ranges of a live token, with audit.

    Raises ValueError for a revoked token, an unknown field or an invalid range.
    """
    unknown = sorted(set(values) - set(UPDATABLE_FIELDS))
    if unknown:
        raise ValueError(f"These token fields cannot be changed: {', '.join(unknown)}.")
    if "allowed_networks" in values:
        values["allowed_networks"] = "\n".join(networks_parse(values["allowed_networks"]))
    with transaction.atomic():
        current = ApiToken.objects.select_for_update().get(pk=token.pk)
        if current.revoked_at is not None:
            raise ValueError("A revoked token cannot be changed.")
        changes = {
            name: [_audit_value(getattr(current, name)), _audit_value(value)]
            for name, value in values.items()
            if getattr(current, name) != value
        }
        if not changes:
            return current
        for name, value in values.items():
            setattr(current, name, value)
        current.save(update_fields=list(values))
        audit_record(action="token.change", obj=current, actor=actor, changes=changes)
    return current


def _audit_value(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def api_token_revoke(*, token: ApiToken, actor: Any = None, reason: str = "") -> ApiToken:
    """Revoke a token for good; a revoked token cannot be restored."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.revoked_by = actor if getattr(actor, "is_authenticated", False) else None
            token.save(update_fields=["revoked_at", "revoked_by"])
            audit_record(action="token.revoke", obj=token, actor=actor, reason=reason)
    return token


def _address_allowed(token: ApiToken, remote_address: str | None) -> bool:
    networks = token.allowed_networks.split()
    if not networks:
        return True
    if not remote_address:
        return False
    try:
        address = ipaddress.ip_address(remote_address)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in networks)


def api_token_authenticate(raw: str, *, remote_address: str | None = None) -> ApiToken:
    """Return the live token for `raw` or raise TokenError with the same message for any miss."""
    raw = (raw or "").strip()
    if len(raw) != PREFIX_LENGTH + SECRET_LENGTH:
        # Hash anyway so a malformed token costs the same time as a wrong one.
        _hash_secret(raw)
        raise TokenError(INVALID_TOKEN_MESSAGE)
    prefix, secret = raw[:PREFIX_LENGTH], raw[PREFIX_LENGTH:]
    token = ApiToken.objects.select_related("vendor").filter(prefix=prefix).first()
    expected = token.secret_hash if token else _hash_secret(_random_text(SECRET_LENGTH))
    matches = hmac.compare_digest(expected, _hash_secret(secret))
    now = timezone.now()
    if token is None or not matches or token.revoked_at is not None:
        raise TokenError(INVALID_TOKEN_MESSAGE)
    if token.expires_at is not None and token.expires_at <= now:
        raise TokenError(INVALID_TOKEN_MESSAGE)
    if not _address_allowed(token, remote_address):
        # The caller gets the generic message, so only the log records that the token was valid.
        logger.warning(
            "API token %s… rejected: address %s is outside its allowed networks.",
            token.prefix,
            remote_address or "(none)",
        )
        raise TokenError(INVALID_TOKEN_MESSAGE)
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_WRITE_INTERVAL:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=remote_address)
        token.last_used_at, token.last_used_ip = now, remote_address
    return token


def api_token_count_request(token: ApiToken) -> int:
    """Count one request against today's quota (UTC day) and return today's total."""
    table = ApiTokenDailyUsage._meta.db_table
    # One statement inserts today's row or increments it, so concurrent requests of one
    # token neither race on the insert nor wait on a lock longer than the statement.
    # PostgreSQL and SQLite (3.35 and later) both accept ON CONFLICT ... RETURNING.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (token_id, day, requests) VALUES (%s, %s, 1) "
            f"ON CONFLICT (token_id, day) DO UPDATE SET requests = {table}.requests + 1 "
            "RETURNING requests",
            [token.pk, timezone.now().date()],
        )
        return cursor.fetchone()[0]
