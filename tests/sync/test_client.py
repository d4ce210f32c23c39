"""Unit tests of sync.client against `responses`: signing, headers and error classes."""

import hashlib
import hmac
import json

import pytest
import requests
import responses

from sync.client import (
    EVENT_ID_HEADER,
    MAX_REJECTION_MESSAGE,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    FarmRejectedPushError,
    PermanentPushError,
    TransientPushError,
    push_body,
    push_send,
    push_signature,
    retry_after_seconds,
)

URL = "http://127.0.0.1:8765/axerrio/push"
SECRET = "farm-secret-for-client-tests"
ENVELOPE = {"eventId": "e-1", "eventType": "purchase_order.approved", "data": {"number": "P1"}}


def send():
    return push_send(url=URL, secret=SECRET, event_id="e-1", envelope=ENVELOPE)


@responses.activate
def test_push_sends_signed_headers():
    responses.post(URL, json={"ok": True})
    result = send()
    request = responses.calls[0].request
    timestamp = request.headers[TIMESTAMP_HEADER]
    expected = hmac.new(
        SECRET.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256
    ).hexdigest()
    assert result.status == 200
    assert request.headers[EVENT_ID_HEADER] == "e-1"
    assert request.headers[SIGNATURE_HEADER] == f"sha256={expected}"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.body) == ENVELOPE


def test_signature_matches_documented_formula():
    body = push_body(ENVELOPE)
    digest = hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert push_signature(secret="s3cret", timestamp=1700000000, body=body) == f"sha256={digest}"


@responses.activate
@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_push_server_errors_are_transient(status):
    responses.post(URL, status=status, body="busy")
    with pytest.raises(TransientPushError) as caught:
        send()
    assert caught.value.status == status
    assert caught.value.body == "busy"


@responses.activate
def test_push_429_reads_retry_after():
    responses.post(URL, status=429, headers={"Retry-After": "7"})
    with pytest.raises(TransientPushError) as caught:
        send()
    assert caught.value.retry_after == 7.0


@responses.activate
@pytest.mark.parametrize("status", [400, 401, 404, 409, 422, 301])
def test_push_client_errors_are_permanent(status):
    responses.post(URL, status=status, json={"error": "bad"})
    with pytest.raises(PermanentPushError) as caught:
        send()
    assert caught.value.status == status
    assert "bad" in caught.value.body


@responses.activate
def test_push_timeout_is_transient():
    responses.post(URL, body=requests.ReadTimeout("read timed out"))
    with pytest.raises(TransientPushError) as caught:
        send()
    assert caught.value.status is None
    assert "Timed out" in caught.value.message


@responses.activate
def test_push_connection_error_is_transient():
    responses.post(URL, body=requests.ConnectionError("refused"))
    with pytest.raises(TransientPushError):
        send()


def test_push_without_url_is_permanent():
    with pytest.raises(PermanentPushError, match="push URL"):
        push_send(url="", secret=SECRET, event_id="e-1", envelope=ENVELOPE)


def test_push_without_secret_is_permanent():
    with pytest.raises(PermanentPushError, match="signing secret"):
        push_send(url=URL, secret="", event_id="e-1", envelope=ENVELOPE)


@responses.activate
def test_push_uses_configured_timeouts(settings):
    settings.PUSH_CONNECT_TIMEOUT = 1.5
    settings.PUSH_READ_TIMEOUT = 7.0
    responses.post(URL, json={})
    send()
    assert responses.calls[0].request.req_kwargs["timeout"] == (1.5, 7.0)


@responses.activate
def test_push_never_logs_secret_or_signature(caplog):
    responses.post(URL, status=500)
    caplog.set_level("DEBUG")
    with pytest.raises(TransientPushError):
        send()
    signature = responses.calls[0].request.headers[SIGNATURE_HEADER]
    assert SECRET not in caplog.text
    assert signature.removeprefix("sha256=") not in caplog.text


def test_retry_after_parses_seconds_and_dates():
    assert retry_after_seconds("12") == 12.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    http_date = "Wed, 21 Oct 2015 07:28:10 GMT"
    assert retry_after_seconds(http_date, now=1445412480.0) == 10.0


@responses.activate
@pytest.mark.parametrize("status_value", [0, "0", " 0 ", 0.0])
def test_push_status_zero_is_rejection(status_value):
    body = {"status": status_value, "message": "Unknown carrier XX"}
    responses.post(URL, json=body)
    with pytest.raises(FarmRejectedPushError) as caught:
        send()
    assert isinstance(caught.value, PermanentPushError)
    assert caught.value.status == 200
    assert caught.value.farm_message == "Unknown carrier XX"
    assert 'with the message "Unknown carrier XX"' in caught.value.message
    assert "status 0" in caught.value.message
    assert json.loads(caught.value.body) == body
    assert caught.value.duration_ms is not None


@responses.activate
def test_push_status_zero_on_201_is_rejection():
    responses.post(URL, status=201, json={"status": "0", "message": "closed"})
    with pytest.raises(FarmRejectedPushError) as caught:
        send()
    assert caught.value.status == 201
    assert "HTTP 201" in caught.value.message


@responses.activate
@pytest.mark.parametrize("message", [None, 42, ""])
def test_push_rejection_without_message(message):
    body = {"status": 0} if message is None else {"status": 0, "message": message}
    responses.post(URL, json=body)
    with pytest.raises(FarmRejectedPushError) as caught:
        send()
    assert caught.value.farm_message == ""
    assert "without a message" in caught.value.message


@responses.activate
def test_push_rejection_message_is_capped():
    responses.post(URL, json={"status": 0, "message": "x" * 5000})
    with pytest.raises(FarmRejectedPushError) as caught:
        send()
    assert len(caught.value.farm_message) == MAX_REJECTION_MESSAGE


@responses.activate
@pytest.mark.parametrize(
    "body",
    [
        '{"status": 1, "message": "OK"}',
        '{"status": "1", "message": "OK"}',
        '{"status": false, "message": "no"}',
        '{"status": "failed"}',
        '{"duplicate": false, "eventId": "e-1"}',
        '[{"status": 0}]',
        '{"data": {"status": 0}}',
        "stored",
        "",
    ],
)
def test_push_2xx_without_status_zero_is_delivered(body):
    responses.post(URL, body=body)
    result = send()
    assert result.status == 200
    assert result.body == body


@responses.activate
def test_push_204_without_body_is_delivered():
    responses.post(URL, status=204)
    assert send().status == 204


@responses.activate
def test_push_deeply_nested_2xx_body_is_delivered():
    body = "[" * 100_000 + "]" * 100_000
    responses.post(URL, body=body)
    assert send().status == 200
