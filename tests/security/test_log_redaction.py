"""The redaction filter blanks secrets in every form they reach a log line."""

import logging

import pytest
from django.conf import settings

from security.log_redaction import REDACTED, RedactSecretsFilter, redact_secrets

SECRET = "k3yv4lu3s3cr3tabcdef0123456789xy"


@pytest.mark.parametrize(
    "text",
    [
        f"GET /api/boxtype.list?authenticationToken={SECRET}&code=HB",
        f"GET /api/boxtype.list?AUTHENTICATIONTOKEN={SECRET}",
        f'{{"authenticationToken": "{SECRET}", "shipDate": "2026-12-08"}}',
        f'{{"authenticationToken":"{SECRET}"}}',
        f"{{'authenticationToken': '{SECRET}'}}",
        f"POST /api/login?username=root&password={SECRET}",
        f'{{"password": "{SECRET}"}}',
        f"new_password1={SECRET}&new_password2={SECRET}",
        f'{{"apiKey": "{SECRET}"}}',
        f"signing_secret={SECRET}",
        f"Authorization: Bearer {SECRET}",
        f'{{"password": "with \\" quote {SECRET}"}}',
    ],
)
def test_redacts_secret(text):
    redacted = redact_secrets(text)

    assert SECRET not in redacted
    assert REDACTED in redacted


def test_keeps_other_values():
    text = "purchase.order.create from token abcd1234 shipDate=2026-12-08 boxes=5"

    assert redact_secrets(text) == text


def test_filter_rewrites_args_and_traceback():
    record_filter = RedactSecretsFilter()
    try:
        raise ValueError(f"bad body {{'password': '{SECRET}'}}")
    except ValueError:
        import sys

        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "x", logging.ERROR, __file__, 1, "call %s failed", (f"?authenticationToken={SECRET}",),
        exc_info,
    )

    assert record_filter.filter(record) is True

    output = logging.Formatter().format(record)
    assert SECRET not in output
    assert "call ?authenticationToken=[REDACTED] failed" in output


def test_root_handlers_carry_filter():
    handlers = settings.LOGGING["root"]["handlers"]

    for name in handlers:
        assert "redact_secrets" in settings.LOGGING["handlers"][name].get("filters", [])
    for handler in logging.getLogger().handlers:
        if type(handler).__module__.startswith("_pytest"):
            continue
        assert any(isinstance(f, RedactSecretsFilter) for f in handler.filters), handler
