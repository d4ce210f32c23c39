"""The farm's push endpoint and control endpoints, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import time

import pytest
import requests
from sandbox_helpers import (
    SECRET,
    FakePortal,
    approved_purchase_order,
    envelope,
    send_push,
)

from sandbox.axerrio import SandboxFarm, compute_signature


def set_mode(farm: SandboxFarm, **control: object) -> requests.Response:
    return requests.post(f"{farm.url}/control", json=control, timeout=5)


def test_health_and_bound_port(farm: SandboxFarm) -> None:
    assert farm.port > 0
    answer = requests.get(f"{farm.url}/health", timeout=5)
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"


def test_valid_push_accepted(farm: SandboxFarm, fake_portal: FakePortal) -> None:
    event = envelope("purchase_order.approved", approved_purchase_order())
    answer = send_push(farm, event)
    assert answer.status_code == 200
    assert answer.json()["duplicate"] is False

    listed = requests.get(f"{farm.url}/events", timeout=5).json()
    assert [record["eventId"] for record in listed["events"]] == [event["eventId"]]
    record = listed["events"][0]
    assert record["eventType"] == "purchase_order.approved"
    assert record["number"] == "P700"
    assert record["receivedAt"].endswith("Z")
    assert listed["duplicateCount"] == 0


def test_bad_signature_401(farm: SandboxFarm) -> None:
    event = envelope("purchase_order.approved", approved_purchase_order())
    answer = send_push(farm, event, secret="another-vendor-secret")
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid signature"
    assert farm.events()["events"] == []


def test_malformed_signature_401(farm: SandboxFarm) -> None:
    event = envelope("purchase_order.approved", approved_purchase_order())
    answer = send_push(farm, event, signature="md5=abc")
    assert answer.status_code == 401
    assert "sha256=" in answer.json()["error"]


def test_missing_signature_headers_401(farm: SandboxFarm) -> None:
    answer = requests.post(farm.push_url, json=envelope("prebook.created", {}), timeout=5)
    assert answer.status_code == 401
    assert "missing" in answer.json()["error"]


@pytest.mark.parametrize("offset", [-301, 301, -3600])
def test_stale_timestamp_401(farm: SandboxFarm, offset: int) -> None:
    event = envelope("purchase_order.approved", approved_purchase_order())
    answer = send_push(farm, event, timestamp=int(time.time()) + offset)
    assert answer.status_code == 401
    assert "300 s" in answer.json()["error"]
    assert farm.events()["events"] == []


def test_timestamp_within_tolerance_accepted(farm: SandboxFarm) -> None:
    event = envelope("purchase_order.approved", approved_purchase_order())
    answer = send_push(farm, event, timestamp=int(time.time()) - 290)
    assert answer.status_code == 200


def test_duplicate_event_acted_on_once(farm: SandboxFarm, fake_portal: FakePortal) -> None:
    event = envelope("purchase_order.approved", approved_purchase_order())
    first = send_push(farm, event)
    second = send_push(farm, event)
    third = send_push(farm, event)
    assert first.status_code == 200
    assert second.status_code == 200
    assert second.json() == {"duplicate": True, "eventId": event["eventId"]}
    assert third.json()["duplicate"] is True
    assert farm.wait_idle(5)

    assert len(fake_portal.calls_to("purchase.order.items.awb.add")) == 1
    listed = farm.events()
    assert len(listed["events"]) == 1
    assert listed["duplicateCount"] == 2
    assert listed["events"][0]["duplicates"] == 2


def test_event_id_header_mismatch_400(farm: SandboxFarm) -> None:
    event = envelope("purchase_order.approved", approved_purchase_order())
    body = json.dumps(event).encode()
    sent_at = str(int(time.time()))
    answer = requests.post(farm.push_url, data=body, timeout=5, headers={
        "X-Portal-Event-Id": "another-event-id",
        "X-Portal-Timestamp": sent_at,
        "X-Portal-Signature": compute_signature(SECRET, sent_at, body),
    })
    assert answer.status_code == 400
    assert "does not match" in answer.json()["error"]
    assert farm.events()["events"] == []


def test_unknown_event_type_ignored(farm: SandboxFarm, fake_portal: FakePortal) -> None:
    answer = send_push(farm, envelope("invoice.created", {"number": "I1"}))
    assert answer.status_code == 200
    assert answer.json()["ignored"] is True
    assert fake_portal.calls == []


def test_down_closes_connection(farm: SandboxFarm) -> None:
    assert set_mode(farm, mode="down", count=1).status_code == 200
    event = envelope("purchase_order.cancelled", approved_purchase_order())
    with pytest.raises(requests.ConnectionError):
        send_push(farm, event)
    assert farm.events()["events"] == []
    assert send_push(farm, event).status_code == 200


@pytest.mark.parametrize("mode", ["500", "400"])
def test_error_status_modes(farm: SandboxFarm, mode: str) -> None:
    assert set_mode(farm, mode=mode, count=2).status_code == 200
    event = envelope("purchase_order.cancelled", approved_purchase_order())
    for _ in range(2):
        answer = send_push(farm, event)
        assert answer.status_code == int(mode)
        assert "error" in answer.json()
    assert farm.events()["events"] == []
    assert send_push(farm, event).status_code == 200


def test_rejected_mode_answers_status_zero(farm: SandboxFarm) -> None:
    assert set_mode(farm, mode="rejected", count=1).status_code == 200
    event = envelope("purchase_order.cancelled", approved_purchase_order())
    answer = send_push(farm, event)
    assert answer.status_code == 200
    assert answer.json()["status"] == 0
    assert "rejection" in answer.json()["message"]
    assert farm.events()["events"] == []
    again = send_push(farm, event)
    assert again.status_code == 200
    assert again.json()["duplicate"] is False
    assert [e["eventId"] for e in farm.events()["events"]] == [event["eventId"]]


def test_429_sends_retry_after(farm: SandboxFarm) -> None:
    set_mode(farm, mode="429", count=1)
    event = envelope("purchase_order.cancelled", approved_purchase_order())
    answer = send_push(farm, event)
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "1"
    assert send_push(farm, event).status_code == 200


def test_mode_without_count_until_ok(farm: SandboxFarm) -> None:
    set_mode(farm, mode="500", count=None)
    event = envelope("purchase_order.cancelled", approved_purchase_order())
    for _ in range(4):
        assert send_push(farm, event).status_code == 500
    set_mode(farm, mode="ok")
    assert send_push(farm, event).status_code == 200


def test_slow_delays_answer(farm: SandboxFarm) -> None:
    set_mode(farm, mode="slow", count=1, delay=0.5)
    event = envelope("purchase_order.cancelled", approved_purchase_order())
    started = time.monotonic()
    answer = send_push(farm, event)
    assert answer.status_code == 200
    assert time.monotonic() - started >= 0.5
    started = time.monotonic()
    assert send_push(farm, envelope("purchase_order.cancelled", {"id": 1})).status_code == 200
    assert time.monotonic() - started < 0.5


def test_slow_times_out_client(farm: SandboxFarm) -> None:
    set_mode(farm, mode="slow", count=1, delay=1.0)
    event = envelope("purchase_order.cancelled", approved_purchase_order())
    with pytest.raises(requests.ReadTimeout):
        send_push(farm, event, timeout=0.2)


@pytest.mark.parametrize(
    "control",
    [{"mode": "boom"}, {"mode": "500", "count": 0}, {"mode": "slow", "delay": -1},
     {"mode": "500", "count": "2"}],
)
def test_control_rejects_invalid(farm: SandboxFarm, control: dict[str, object]) -> None:
    answer = set_mode(farm, **control)
    assert answer.status_code == 400
    assert "invalid" in answer.json()["error"]


def test_control_invalid_json_400(farm: SandboxFarm) -> None:
    answer = requests.post(f"{farm.url}/control", data=b"{not json", timeout=5)
    assert answer.status_code == 400


def test_unknown_path_404(farm: SandboxFarm) -> None:
    assert requests.get(f"{farm.url}/nothing", timeout=5).status_code == 404
    assert requests.post(f"{farm.url}/nothing", json={}, timeout=5).status_code == 404
