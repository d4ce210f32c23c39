"""Fixtures for the sync tests: fast retry settings, a farm on 127.0.0.1, push data."""

from collections.abc import Iterator

import pytest

from tests.conftest import ARTIFACTS, SandboxProcess, free_port
from tests.factories import PurchaseOrderFactory, PurchaseOrderItemFactory, VendorFactory

# Settings for worker subprocesses, which read them from the environment. Retries come
# fast, and a push in flight is treated as lost 5 s after it started (connect 1 s + read
# 4 s + margin 0). The sweep enqueues due rows at once.
WORKER_ENVIRONMENT = {
    "PUSH_BACKOFF_BASE": "0.2",
    "PUSH_BACKOFF_MAX": "1",
    "PUSH_MAX_ATTEMPTS": "50",
    "PUSH_CONNECT_TIMEOUT": "1",
    "PUSH_READ_TIMEOUT": "4",
    "PUSH_STUCK_MARGIN": "0",
    "PUSH_SWEEP_GRACE": "0",
}


@pytest.fixture(autouse=True)
def _fast_push_settings(monkeypatch, settings) -> None:
    """Apply WORKER_ENVIRONMENT to this process and to workers started by the test."""
    for name, value in WORKER_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
        setattr(settings, name, int(value) if name == "PUSH_MAX_ATTEMPTS" else float(value))


@pytest.fixture
def sandbox_farm(request) -> Iterator[SandboxProcess]:
    """The sandbox farm on a free port; its portal URL is a closed port, so it only records."""
    farm = SandboxProcess(
        port=free_port(),
        portal_url=f"http://127.0.0.1:{free_port()}",
        token="sandbox-token-unused",
        secret="sandbox-signing-secret-0123456789",
        customer="CUST0",
        log_path=ARTIFACTS / "logs" / f"sandbox-{request.node.name[:60]}.log",
    )
    farm.start()
    yield farm
    farm.stop()


def farm_vendor(farm: SandboxProcess, **overrides):
    return VendorFactory(push_url=farm.push_url, signing_secret=farm.secret, **overrides)


def purchase_order_with_lines(vendor, lines: int = 2):
    po = PurchaseOrderFactory(vendor=vendor)
    for _ in range(lines):
        PurchaseOrderItemFactory(purchase_order=po)
    return po
