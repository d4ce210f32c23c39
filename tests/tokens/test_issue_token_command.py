"""`manage.py issue_token` prints the token once and rejects bad options with a clear error."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tokens.methods import AXERRIO_METHODS
from tokens.models import ApiToken
from tokens.services import api_token_authenticate


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
