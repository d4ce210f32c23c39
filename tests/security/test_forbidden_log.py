"""Each HTTP 403 is logged as one WARNING line with method, path, caller and reason."""

import logging
import sys

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseForbidden
from django.test import Client
from django.urls import reverse
from django.utils.log import log_response

from security.forbidden_log import ForbiddenOneLineFilter
from tests.factories import UserFactory, VendorFactory
from tokens.services import api_token_issue

pytestmark = pytest.mark.django_db


def _forbidden_records(caplog) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name == "django.request" and getattr(record, "status_code", None) == 403
    ]


@pytest.fixture
def farm_token():
    return api_token_issue(
        token_type="vendor",
        description="farm",
        methods=["boxtype.list"],
        vendor=VendorFactory(code="ROSAS"),
    )


def test_admin_403_logs_one_line(client, caplog):
    client.force_login(UserFactory(username="buyer", groups=["Procurement"]))
    url = reverse("admin:tokens_apitoken_changelist")
    caplog.set_level(logging.WARNING)

    response = client.get(url)

    assert response.status_code == 403
    records = _forbidden_records(caplog)
    assert len(records) == 1
    record = records[0]
    assert record.levelno == logging.WARNING
    assert record.getMessage() == f"Forbidden: GET {url} by user buyer: permission denied"
    assert record.exc_info is None
    assert record.exc_text is None
    assert "Traceback" not in caplog.text


def test_api_scope_403_logs_token_prefix(farm_token, caplog):
    caplog.set_level(logging.WARNING)

    response = Client().get("/api/carrier.list", {"authenticationToken": farm_token.plaintext})

    assert response.status_code == 403
    assert response.json()["status"] == 0
    records = _forbidden_records(caplog)
    assert len(records) == 1
    assert records[0].getMessage() == (
        f"Forbidden: GET /api/carrier.list by token {farm_token.token.prefix}…: "
        "This token is not allowed to call carrier.list."
    )
    assert records[0].exc_info is None
    assert farm_token.plaintext not in caplog.text
    assert farm_token.plaintext[8:] not in caplog.text


def test_api_token_type_403_logs_reason(farm_token, caplog):
    caplog.set_level(logging.WARNING)

    response = Client().get("/api/vendor.list", {"authenticationToken": farm_token.plaintext})

    assert response.status_code == 403
    records = _forbidden_records(caplog)
    assert len(records) == 1
    assert records[0].getMessage() == (
        f"Forbidden: GET /api/vendor.list by token {farm_token.token.prefix}…: "
        "A vendor token cannot call vendor.list."
    )
    assert farm_token.plaintext[8:] not in caplog.text


def test_anonymous_403_logs_exception_message(rf, caplog):
    request = rf.get("/reports/receiving/", {"authenticationToken": "a" * 32})
    request.user = AnonymousUser()
    caplog.set_level(logging.WARNING)

    try:
        raise PermissionDenied("The receiving report permission is required.")
    except PermissionDenied as error:
        log_response(
            "Forbidden (Permission denied): %s",
            request.path,
            response=HttpResponseForbidden(),
            request=request,
            exception=error,
        )

    records = _forbidden_records(caplog)
    assert len(records) == 1
    assert records[0].getMessage() == (
        "Forbidden: GET /reports/receiving/ by anonymous: "
        "The receiving report permission is required."
    )
    assert records[0].exc_info is None
    assert "a" * 32 not in caplog.text


def test_other_status_codes_untouched(client, caplog):
    caplog.set_level(logging.WARNING)

    response = client.get("/api/carrier.list", {"authenticationToken": "x" * 32})

    assert response.status_code == 401
    records = [record for record in caplog.records if record.name == "django.request"]
    assert len(records) == 1
    assert records[0].getMessage() == "Unauthorized: /api/carrier.list"


def test_filter_twice_keeps_reason(rf):
    """A logger configured twice runs two instances of the filter on one record."""
    request = rf.get("/reports/receiving/")
    request.user = AnonymousUser()
    try:
        raise PermissionDenied("The receiving report permission is required.")
    except PermissionDenied:
        record = logging.LogRecord(
            "django.request", logging.WARNING, __file__, 1, "Forbidden (Permission denied): %s",
            (request.path,), sys.exc_info(),
        )
    record.status_code = 403
    record.request = request

    assert ForbiddenOneLineFilter().filter(record)
    assert ForbiddenOneLineFilter().filter(record)

    assert record.getMessage() == (
        "Forbidden: GET /reports/receiving/ by anonymous: "
        "The receiving report permission is required."
    )
