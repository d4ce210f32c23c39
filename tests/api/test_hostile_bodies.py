"""Bodies built to crash a JSON parser get status 0 and HTTP 400, and write nothing."""

import json

import pytest

from orders.models import Prebook
from sync.models import Exchange, ExchangeState

pytestmark = pytest.mark.django_db


def post_raw(vendor_api, body: str):
    return vendor_api.client.post(
        "/api/prebook.create", data=body, content_type="application/json"
    )


def test_deeply_nested_body_rejected(vendor_api):
    depth = 5000
    head = json.dumps({"authenticationToken": vendor_api.token})[:-1]
    body = head + ', "x": ' + "[" * depth + "]" * depth + "}"

    response = post_raw(vendor_api, body)

    assert response.status_code == 400
    assert response.json()["status"] == 0
    assert "nest deeper than 32 levels" in response.json()["message"]
    assert Prebook.objects.count() == 0


def test_moderately_nested_body_rejected_before_validation(vendor_api):
    nested: object = "leaf"
    for _ in range(40):
        nested = [nested]
    body = json.dumps({"authenticationToken": vendor_api.token, "prebookItems": nested})

    response = post_raw(vendor_api, body)

    assert response.status_code == 400
    assert response.json()["message"] == (
        "Request body: arrays and objects may nest at most 32 levels."
    )
    assert Exchange.objects.get().state == ExchangeState.REJECTED


def test_quota_answer_says_when_to_retry(farm):
    from tests.api.conftest import ApiClient
    from tokens.services import api_token_issue

    issued = api_token_issue(
        token_type="vendor", description="q", methods=["carrier.list"], vendor=farm, daily_quota=1
    )
    client = ApiClient(issued.plaintext)
    assert client.get("carrier.list").status_code == 200

    refused = client.get("carrier.list")

    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 86400


def test_lost_database_answers_503_envelope(vendor_api, monkeypatch):
    from django.db import OperationalError

    from api.base import KometMethod

    def drop_connection(self, call, data, request):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(KometMethod, "_run", drop_connection)

    response = vendor_api.get("carrier.list")

    assert response.status_code == 503
    assert response.json()["status"] == 0
    assert "database is unavailable" in response.json()["message"]
    assert response["Retry-After"] == "5"


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("purchase.order.list", {"date": "2026-12-10", "prebook": "²"}),
        ("purchase.order.list", {"date": "2026-12-10", "purchaseOrderItemIds": "1,²"}),
    ],
)
def test_unicode_digits_rejected_not_crashing(vendor_api, method, params):
    response = vendor_api.get(method, **params)

    assert response.status_code == 400
    assert response.json()["status"] == 0


def test_unicode_digit_lot_number_is_not_a_crash():
    from orders.services.boxes import ShipmentError, _check_lot

    # "²³".isdigit() is true but int("²³") raises, so only ASCII digits make a lot number.
    with pytest.raises(ShipmentError) as raised:
        _check_lot("²³")

    assert raised.value.message == (
        "lotNumber '²³': must be a positive whole number of 1 to 20 digits."
    )


def test_unicode_digit_content_length_rejected(vendor_api):
    response = vendor_api.client.post(
        "/api/prebook.create", data="{}", content_type="application/json", CONTENT_LENGTH="²"
    )

    assert response.status_code == 413
    assert response.json()["status"] == 0
