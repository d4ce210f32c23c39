"""One WARNING line per HTTP 403, in place of Django's traceback.

Django's `django.request` logger writes every 403 at WARNING. When a view raises
PermissionDenied (the admin does for each page a user may not open) it adds the whole
traceback, which adds nothing useful about a rejected request. `ForbiddenOneLineFilter`,
attached to that logger in settings.LOGGING, rewrites each 403 record into one line:

    Forbidden: GET /admin/tokens/apitoken/ by user buyer: permission denied

The line names the request path without its query string, so an `authenticationToken`
sent as a query parameter never reaches the log. An API call names its token by its
public prefix only.
"""

import logging

from django.db import DatabaseError
from django.http import HttpRequest

# HttpRequest attributes the API pipeline sets for this log line (`forbidden_log_note`).
_TOKEN_PREFIX_ATTRIBUTE = "forbidden_log_token_prefix"
_REASON_ATTRIBUTE = "forbidden_log_reason"
DEFAULT_REASON = "permission denied"


def forbidden_log_note(
    request: HttpRequest, *, token_prefix: str | None = None, reason: str | None = None
) -> None:
    """Store the caller's token prefix or the rejection reason for a later 403 log line.

    ``reason`` must be safe to log, such as an API error message, which the caller also gets.
    """
    if token_prefix is not None:
        setattr(request, _TOKEN_PREFIX_ATTRIBUTE, token_prefix)
    if reason is not None:
        setattr(request, _REASON_ATTRIBUTE, reason)


def _caller(request: HttpRequest | None) -> str:
    token_prefix = getattr(request, _TOKEN_PREFIX_ATTRIBUTE, None)
    if token_prefix:
        return f"token {token_prefix}…"
    try:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return f"user {user.get_username()}"
    except DatabaseError:
        # The session or user row could not be read; the line is still worth writing.
        return "unknown user"
    return "anonymous"


def _reason(record: logging.LogRecord, request: HttpRequest | None) -> str:
    reason = getattr(request, _REASON_ATTRIBUTE, None)
    if reason:
        return reason
    if record.exc_info and record.exc_info[1] is not None:
        return str(record.exc_info[1]) or DEFAULT_REASON
    return DEFAULT_REASON


class ForbiddenOneLineFilter(logging.Filter):
    """Rewrite each HTTP 403 record of `django.request` as one line without a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) != 403:
            return True
        # dictConfig keeps a logger's existing filters, so configuring logging twice runs
        # two instances of this filter. A record already rewritten has lost its exception,
        # so rewriting it again would drop the reason.
        if getattr(record, "forbidden_one_line", False):
            return True
        record.forbidden_one_line = True
        request = getattr(record, "request", None)
        method = getattr(request, "method", None) or "-"
        path = getattr(request, "path", None) or "-"
        record.msg = "Forbidden: %s %s by %s: %s"
        record.args = (method, path, _caller(request), _reason(record, request))
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True
