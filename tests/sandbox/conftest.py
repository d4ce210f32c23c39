"""Fixtures for the sandbox farm tests. They need neither Django nor a database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sandbox_helpers import FakePortal, make_farm, start_fake_portal

from sandbox.axerrio import SandboxFarm


@pytest.fixture
def fake_portal() -> Iterator[FakePortal]:
    portal, server = start_fake_portal()
    yield portal
    server.shutdown()
    server.server_close()


@pytest.fixture
def farm(fake_portal: FakePortal) -> Iterator[SandboxFarm]:
    with make_farm(fake_portal.url) as running:
        yield running
