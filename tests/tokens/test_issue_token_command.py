"""`manage.py issue_token` prints the token once and rejects bad options with a clear error."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.factories import VendorFactory
from tokens.methods import AXERRIO_METHODS
from tokens.models import ApiToken
from tokens.services import TokenInputError, api_token_authenticate, api_token_issue


def test_prints_token_last(vendor):
    out = StringIO()

    call_command("issue_token", "--vendor", vendor.code, "--description", "Rosas", stdout=out)

    plaintext = out.getvalue().strip().splitlines()[-1]
    token = api_token_authenticate(plaintext)
    assert token.vendor == vendor
    assert sorted(token.methods) == sorted(AXERRIO_METHODS)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--description", "x"], "--vendor CODE is required"),
        (["--vendor", "NOPE", "--description", "x"], "No vendor with code 'NOPE'"),
        (["--vendor", "ROSAS", "--description", "x", "--methods", "vendor.list"], "company"),
        (["--vendor", "ROSAS", "--description", "x", "--methods", "nope"], "Unknown API method"),
        (
            ["--vendor", "ROSAS", "--description", "x", "--allowed-networks", "10.0.0.0/33"],
            "CIDR",
        ),
    ],
)
def test_rejects_bad_options(vendor, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("issue_token", *args, stdout=StringIO())

    assert not ApiToken.objects.exists()


def _issue(*args: str) -> tuple[str, ApiToken]:
    out = StringIO()
    call_command("issue_token", *args, stdout=out)
    plaintext = out.getvalue().strip().splitlines()[-1]
    return plaintext, api_token_authenticate(plaintext)


QUOTA_RULE = "--quota: The daily quota must be 1 to 1,000,000 requests"


@pytest.mark.parametrize(
    ("quota", "shown"),
    [
        ("-5", "-5"),
        ("0", "0"),
        ("1000001", "1,000,001"),
        ("99999999999999999999999", "99,999,999,999,999,999,999,999"),
    ],
)
def test_quota_out_of_range_rejected(vendor, quota, shown):
    args = ["--vendor", "ROSAS", "--description", "x", "--quota", quota]

    with pytest.raises(CommandError, match=f"{QUOTA_RULE}, got {shown}"):
        call_command("issue_token", *args, stdout=StringIO())

    assert not ApiToken.objects.exists()


def test_quota_not_a_number_rejected(vendor):
    with pytest.raises(CommandError, match="--quota: invalid int value: 'lots'"):
        call_command("issue_token", "--vendor", "ROSAS", "--description", "x", "--quota", "lots")


@pytest.mark.parametrize("quota", [1, 1_000_000])
def test_quota_bounds_accepted(vendor, quota):
    _, token = _issue("--vendor", "ROSAS", "--description", "x", "--quota", str(quota))

    assert token.daily_quota == quota


def test_quota_defaults_to_setting(vendor, settings):
    settings.API_DEFAULT_DAILY_QUOTA = 2500

    _, token = _issue("--vendor", "ROSAS", "--description", "x")

    assert token.daily_quota == 2500


@pytest.mark.parametrize(
    ("description", "message"),
    [
        ("x" * 201, "--description: The description must be 1 to 200 characters, got 201"),
        ("x" * 300, "--description: The description must be 1 to 200 characters, got 300"),
        ("   ", "--description: The description must not be empty"),
        ("Rosas\x1b[2J", "--description: The description must not contain control characters"),
    ],
)
def test_bad_description_rejected(vendor, description, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command(
            "issue_token", "--vendor", "ROSAS", "--description", description, stdout=StringIO()
        )

    assert not ApiToken.objects.exists()


def test_description_stripped_and_200_accepted(vendor):
    _, long_token = _issue("--vendor", "ROSAS", "--description", "d" * 200)
    _, padded_token = _issue("--vendor", "ROSAS", "--description", "  Rosas link  ")

    assert long_token.description == "d" * 200
    assert padded_token.description == "Rosas link"


@pytest.mark.parametrize("code", ["rosas", "Rosas", " ROSAS "])
def test_vendor_code_matched_ignoring_case(vendor, code):
    plaintext, token = _issue("--vendor", code, "--description", "Rosas link")

    assert token.vendor == vendor
    assert len(plaintext) == 32


def test_vendor_exact_case_wins_over_others(vendor):
    lower = VendorFactory(code="rosas")

    _, token = _issue("--vendor", "rosas", "--description", "x")

    assert token.vendor == lower


def test_vendor_matching_two_codes_rejected(vendor):
    VendorFactory(code="rosas")

    with pytest.raises(CommandError, match="'Rosas' matches ROSAS, rosas; give the exact code"):
        call_command("issue_token", "--vendor", "Rosas", "--description", "x", stdout=StringIO())

    assert not ApiToken.objects.exists()


def test_company_token_prints_token_last(db):
    plaintext, token = _issue("--type", "company", "--methods", "all", "--description", "ERP")

    assert token.token_type == ApiToken.TokenType.COMPANY
    assert token.vendor is None
    assert len(plaintext) == 32


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"daily_quota": 0}, "daily_quota"),
        ({"daily_quota": 1_000_001}, "daily_quota"),
        ({"daily_quota": True}, "daily_quota"),
        ({"daily_quota": 10.5}, "daily_quota"),
        ({"description": ""}, "description"),
        ({"description": "x" * 201}, "description"),
        ({"description": "a\x00b"}, "description"),
    ],
)
def test_service_rejects_bad_values(vendor, values, field):
    arguments = {
        "token_type": ApiToken.TokenType.VENDOR,
        "description": "Rosas link",
        "methods": ["boxtype.list"],
        "vendor": vendor,
        **values,
    }

    with pytest.raises(TokenInputError) as raised:
        api_token_issue(**arguments)

    assert raised.value.field == field
    assert not ApiToken.objects.exists()
