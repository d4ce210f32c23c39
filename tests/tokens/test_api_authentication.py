"""Token checks in the API pipeline: one message for every bad token, quota, ranges, throttle."""

import datetime

import pytest
from django.core.cache import caches
from django.utils import timezone

from tokens import throttle
from tokens.models import ApiToken, ApiTokenDailyUsage
from tokens.services import INVALID_TOKEN_MESSAGE, api_token_issue, api_token_revoke

pytestmark = pytest.mark.urls("tests.tokens.probe_urls")

URL = "/api/boxtype.list"


@pytest.fixture
def issued(vendor):
    return api_token_issue(
        token_type=ApiToken.TokenType.VENDOR,
        description="probe",
        methods=["boxtype.list"],
        vendor=vendor,
    )


def _call(client, token: str, address: str = "198.51.100.7"):
    return client.get(URL, {"authenticationToken": token}, REMOTE_ADDR=address)


def test_valid_token_accepted(client, issued, vendor):
    response = _call(client, issued.plaintext)

    assert response.status_code == 200
    assert response.json()["status"] == 1
    assert response.json()["vendorId"] == vendor.pk


def test_bad_tokens_share_one_answer(client, issued):
    wrong_secret = issued.plaintext[:8] + "a" * 24
    unknown_prefix = "zzzzzzzz" + issued.plaintext[8:]

    answers = [
        _call(client, wrong_secret),
        _call(client, unknown_prefix),
        _call(client, "short"),
    ]

    for response in answers:
        assert response.status_code == 401
        assert response.json() == {"status": 0, "message": INVALID_TOKEN_MESSAGE}


def test_revoked_and_expired_share_answer(client, vendor):
    revoked = api_token_issue(
        token_type="vendor", description="r", methods=["boxtype.list"], vendor=vendor
    )
    api_token_revoke(token=revoked.token)
    expired = api_token_issue(
        token_type="vendor",
        description="e",
        methods=["boxtype.list"],
        vendor=vendor,
        expires_at=timezone.now() + datetime.timedelta(seconds=30),
    )
    ApiToken.objects.filter(pk=expired.token.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )

    for plaintext in (revoked.plaintext, expired.plaintext):
        response = _call(client, plaintext)
        assert response.status_code == 401
        assert response.json() == {"status": 0, "message": INVALID_TOKEN_MESSAGE}


def test_token_in_body_is_not_accepted_for_get(client, issued):
    response = client.get(URL, REMOTE_ADDR="198.51.100.7")

    assert response.status_code == 401
    assert response.json()["message"] == "authenticationToken is required."


def test_method_not_granted_rejected(client, vendor):
    issued = api_token_issue(
        token_type="vendor", description="p", methods=["carrier.list"], vendor=vendor
    )

    response = _call(client, issued.plaintext)

    assert response.status_code == 403
    assert response.json()["status"] == 0


def test_vendor_token_cannot_call_company_method(client, vendor):
    issued = api_token_issue(
        token_type="company", description="c", methods=["vendor.list", "boxtype.list"]
    )
    vendor_issued = api_token_issue(
        token_type="vendor", description="v", methods=["boxtype.list"], vendor=vendor
    )

    company = client.get("/api/vendor.list", {"authenticationToken": issued.plaintext})
    refused = client.get("/api/vendor.list", {"authenticationToken": vendor_issued.plaintext})

    assert company.status_code == 200
    assert refused.status_code == 403
    assert refused.json()["message"] == "A vendor token cannot call vendor.list."


def test_quota_exceeded_is_429(client, vendor):
    issued = api_token_issue(
        token_type="vendor",
        description="q",
        methods=["boxtype.list"],
        vendor=vendor,
        daily_quota=3,
    )

    statuses = [_call(client, issued.plaintext).status_code for _ in range(4)]
    last = _call(client, issued.plaintext)

    assert statuses == [200, 200, 200, 429]
    assert last.json()["status"] == 0
    assert "quota of 3" in last.json()["message"]
    usage = ApiTokenDailyUsage.objects.get(token=issued.token)
    assert usage.day == timezone.now().date()
    assert usage.requests == 5


@pytest.mark.parametrize(
    ("address", "status"),
    [
        ("203.0.113.10", 200),
        ("203.0.113.255", 200),
        ("2001:db8::42", 200),
        ("203.0.114.1", 401),
        ("198.51.100.7", 401),
        ("2001:db9::1", 401),
    ],
)
def test_allowed_ranges_by_remote_addr(client, vendor, address, status):
    issued = api_token_issue(
        token_type="vendor",
        description="ranges",
        methods=["boxtype.list"],
        vendor=vendor,
        allowed_networks="203.0.113.0/24\n2001:db8::/32",
    )

    response = _call(client, issued.plaintext, address=address)

    assert response.status_code == status
    assert response.json()["status"] == (1 if status == 200 else 0)
    if status != 200:
        assert response.json()["message"] == INVALID_TOKEN_MESSAGE


def test_outside_networks_logs_real_reason(client, vendor, caplog):
    issued = api_token_issue(
        token_type="vendor",
        description="ranges",
        methods=["boxtype.list"],
        vendor=vendor,
        allowed_networks="203.0.113.0/24",
    )
    secret = issued.plaintext[len(issued.token.prefix) :]

    with caplog.at_level("WARNING", logger="tokens.services"):
        response = _call(client, issued.plaintext, address="198.51.100.7")

    assert response.status_code == 401
    assert response.json() == {"status": 0, "message": INVALID_TOKEN_MESSAGE}
    records = [record for record in caplog.records if record.name == "tokens.services"]
    assert len(records) == 1
    assert records[0].levelname == "WARNING"
    logged = records[0].getMessage()
    assert issued.token.prefix in logged
    assert "198.51.100.7" in logged
    assert "outside its allowed networks" in logged
    assert secret not in logged


def test_forwarded_for_header_ignored(client, vendor):
    issued = api_token_issue(
        token_type="vendor",
        description="ranges",
        methods=["boxtype.list"],
        vendor=vendor,
        allowed_networks="203.0.113.0/24",
    )

    response = client.get(
        URL,
        {"authenticationToken": issued.plaintext},
        REMOTE_ADDR="198.51.100.7",
        HTTP_X_FORWARDED_FOR="203.0.113.10",
    )

    assert response.status_code == 401
    assert response.json()["message"] == INVALID_TOKEN_MESSAGE


def test_last_used_written_once_a_minute(client, issued):
    _call(client, issued.plaintext, address="198.51.100.7")
    issued.token.refresh_from_db()
    first = issued.token.last_used_at

    _call(client, issued.plaintext, address="198.51.100.8")
    issued.token.refresh_from_db()

    assert first is not None
    assert issued.token.last_used_at == first
    assert issued.token.last_used_ip == "198.51.100.7"


def test_failures_throttle_address(client, issued, settings):
    settings.API_AUTH_FAILURE_LIMIT = 10
    bad = issued.plaintext[:8] + "b" * 24

    statuses = [_call(client, bad).status_code for _ in range(10)]
    blocked_valid = _call(client, issued.plaintext)
    other_address = _call(client, issued.plaintext, address="198.51.100.99")

    assert statuses == [401] * 10
    assert blocked_valid.status_code == 429
    assert blocked_valid.json()["status"] == 0
    assert "Too many failed authentication attempts" in blocked_valid.json()["message"]
    assert other_address.status_code == 200


def test_throttle_block_ends(client, issued, settings):
    settings.API_AUTH_FAILURE_LIMIT = 2
    settings.API_AUTH_BLOCK_SECONDS = 60
    bad = issued.plaintext[:8] + "c" * 24
    _call(client, bad)
    _call(client, bad)

    assert _call(client, issued.plaintext).status_code == 429

    throttle.reset("198.51.100.7")

    assert _call(client, issued.plaintext).status_code == 200


def test_successes_do_not_count(client, issued, settings):
    settings.API_AUTH_FAILURE_LIMIT = 3

    statuses = [_call(client, issued.plaintext).status_code for _ in range(6)]

    assert statuses == [200] * 6


def test_throttle_shared_through_redis(settings):
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("needs CELERY_BROKER_URL pointing at Redis")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.CELERY_BROKER_URL,
            "KEY_PREFIX": f"test-throttle-{timezone.now().timestamp()}",
        }
    }
    settings.API_AUTH_FAILURE_LIMIT = 3
    address = "192.0.2.200"
    try:
        for _ in range(3):
            throttle.record_failure(address)
        # A second connection plays the part of another web process.
        other_process = caches.create_connection("default")
        keys = [key for key in other_process._cache.get_client().keys("*") if b"api-auth" in key]

        with pytest.raises(throttle.Throttled) as raised:
            throttle.check(address)

        assert raised.value.retry_after > 0
        assert keys
    finally:
        throttle.reset(address)
