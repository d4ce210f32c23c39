"""A logging filter that blanks out credentials in log messages before a handler writes them.

It covers `authenticationToken`, API keys, passwords and signing secrets written as a
query or form parameter (`authenticationToken=...`), as JSON (`"password": "..."`), as a
Python dict repr (`'password': '...'`) or as an `Authorization` header value. It cannot
recognise a secret logged without its name, so code must still never log one.
"""

import logging
import re

REDACTED = "[REDACTED]"

# Parameter names whose values are secrets. `\w*password\w*` also covers Django's
# `new_password1`, `old_password` and similar form fields.
_SECRET_NAMES = (
    r"authenticationToken|apiKey|api_key|token_pepper|secret_key|signing_secret"
    r"|signingSecret|\w*password\w*"
)
_NAME = rf"(?<![A-Za-z0-9_])[\"']?(?:{_SECRET_NAMES})[\"']?\s*[:=]\s*"

# `"name": "value"` or `'name': 'value'`, honouring backslash escapes inside the value.
_QUOTED = re.compile(rf"({_NAME})([\"'])((?:\\.|(?!\2).)*)\2", re.IGNORECASE)
# `name=value` up to the next separator of a query string, a header or a dict.
_BARE = re.compile(rf"({_NAME})([^\s&\"',;}}\]]+)", re.IGNORECASE)
_AUTHORIZATION = re.compile(r"(Authorization[\"']?\s*[:=]\s*[\"']?\w+\s+)([^\s\"',;]+)", re.I)


def redact_secrets(text: str) -> str:
    """Return `text` with the values of secret-named parameters replaced by [REDACTED]."""
    text = _QUOTED.sub(lambda match: f"{match[1]}{match[2]}{REDACTED}{match[2]}", text)
    text = _BARE.sub(lambda match: f"{match[1]}{REDACTED}", text)
    return _AUTHORIZATION.sub(lambda match: f"{match[1]}{REDACTED}", text)


class RedactSecretsFilter(logging.Filter):
    """Rewrite each record's message, traceback and stack text with `redact_secrets`."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            # A malformed %-format; the handler reports it as logging always does.
            return True
        redacted = redact_secrets(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_secrets(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_secrets(record.stack_info)
        return True
