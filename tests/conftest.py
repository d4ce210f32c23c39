"""Fixtures shared by the whole suite: real Celery workers and the sandbox farm.

Tests that need the worker use PostgreSQL and Redis (DATABASE_URL and
CELERY_BROKER_URL). Each test session gets its own queue name, so several runs can
share one Redis.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
SESSION_QUEUE = f"test-{uuid.uuid4().hex[:10]}"


@pytest.fixture(autouse=True, scope="session")
def _session_queue() -> Iterator[str]:
    """Route this session's tasks to a queue no other test run listens on."""
    from komet_axerrio.celery import app

    settings.CELERY_TASK_DEFAULT_QUEUE = SESSION_QUEUE
    app.conf.task_default_queue = SESSION_QUEUE
    yield SESSION_QUEUE
    if settings.CELERY_BROKER_URL.startswith("redis"):
        try:
            import redis

            redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(SESSION_QUEUE)
        except Exception:  # noqa: BLE001 - cleanup only; Redis may be down on purpose
            pass


@pytest.fixture(autouse=True)
def _fresh_cache(settings) -> Iterator[None]:
    """Give each test an empty local-memory cache, so throttle counts never leak between tests.

    Tests that exercise the Redis cache set CACHES themselves.
    """
    from django.core.cache import cache

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "tests",
        }
    }
    cache.clear()
    yield
    cache.clear()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_database_url() -> str:
    """URL of the database this test session uses, for subprocesses."""
    params = connection.settings_dict
    if params["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{params['NAME']}"
    user = params.get("USER") or "postgres"
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{params['NAME']}"


def subprocess_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": test_database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CELERY_TASK_DEFAULT_QUEUE": SESSION_QUEUE,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "PYTHONUNBUFFERED": "1",
            "TOKEN_PEPPER": settings.TOKEN_PEPPER,
        }
    )
    env.update(extra)
    return env


def wait_until(predicate, *, timeout: float, interval: float = 0.1, message: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout} s waiting for {message or predicate}")


@dataclass
class WorkerProcess:
    """A real `celery worker` subprocess on this session's queue and test database."""

    name: str
    log_path: Path
    extra_args: list[str] = field(default_factory=list)
    process: subprocess.Popen | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "komet_axerrio", "worker",
                "--pool", "threads", "--concurrency", "4", "--queues", SESSION_QUEUE,
                "--hostname", f"{self.name}-{uuid.uuid4().hex[:6]}@%h",
                "--without-gossip", "--without-mingle", "--loglevel", "INFO",
                *self.extra_args,
            ],
            cwd=ROOT,
            env=subprocess_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_until(
            lambda: b"ready." in self.log_path.read_bytes() or self.process.poll() is not None,
            timeout=60,
            message="the Celery worker to start",
        )
        if self.process.poll() is not None:
            raise RuntimeError(f"Celery worker exited; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL, as a crashed machine would: no task gets to finish."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def celery_worker_process(transactional_db, request) -> Iterator[WorkerProcess]:
    """Start one real worker for the test and stop it afterwards."""
    worker = WorkerProcess(
        name=request.node.name[:40].replace("[", "-").replace("]", ""),
        log_path=ARTIFACTS / "logs" / f"worker-{request.node.name[:60]}.log",
    )
    worker.start()
    yield worker
    worker.stop()


@dataclass
class SandboxProcess:
    """The sandbox farm (`python -m sandbox.axerrio serve`) as a subprocess on 127.0.0.1."""

    port: int
    portal_url: str
    token: str
    secret: str
    customer: str
    log_path: Path
    poll_interval: float = 0
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def push_url(self) -> str:
        return f"{self.url}/axerrio/push"

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        args = [
            sys.executable, "-m", "sandbox.axerrio", "serve",
            "--port", str(self.port), "--portal", self.portal_url, "--customer", self.customer,
            "--poll-interval", str(self.poll_interval),
        ]
        env = dict(os.environ, SANDBOX_TOKEN=self.token, SANDBOX_SECRET=self.secret)
        self.process = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=self.log_path.open("ab"), stderr=subprocess.STDOUT
        )
        wait_until(self.healthy, timeout=30, message="the sandbox farm to answer /health")

    def healthy(self) -> bool:
        try:
            return requests.get(f"{self.url}/health", timeout=1).ok
        except requests.RequestException:
            return False

    def events(self) -> dict:
        return requests.get(f"{self.url}/events", timeout=5).json()

    def control(self, mode: str, count: int | None = None, delay: float = 0) -> None:
        body = {"mode": mode, "count": count, "delay": delay}
        requests.post(f"{self.url}/control", json=body, timeout=5).raise_for_status()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
def demo_sandbox_farm(live_server, celery_worker_process, request) -> Iterator[SandboxProcess]:
    """The demo catalogue, the farm ROSA pointed at a sandbox farm process, and its token.

    `demo_sandbox_farm.client` places the farm's orders over the vendor API.
    """
    from catalog.models import Vendor
    from demo.seed import DEMO_CUSTOMER, DEMO_VENDOR, load_catalog, premap_farm_products
    from sandbox.axerrio.farm import SandboxFarm
    from tokens.models import ApiToken
    from tokens.services import api_token_issue, resolve_methods

    load_catalog()
    port = free_port()
    vendor = Vendor.objects.get(code=DEMO_VENDOR)
    vendor.is_axerrio = True
    vendor.push_url = f"http://127.0.0.1:{port}/axerrio/push"
    vendor.signing_secret = "test-sandbox-signing-secret-0123456789"
    vendor.save()
    premap_farm_products(vendor)
    issued = api_token_issue(
        token_type=ApiToken.TokenType.VENDOR,
        vendor=vendor,
        description="sandbox farm under test",
        methods=resolve_methods("axerrio"),
    )
    sandbox = SandboxProcess(
        port=port,
        portal_url=live_server.url,
        token=issued.plaintext,
        secret=vendor.signing_secret,
        customer=DEMO_CUSTOMER,
        log_path=ARTIFACTS / "logs" / f"sandbox-{request.node.name[:60]}.log",
    )
    sandbox.start()
    sandbox.client = SandboxFarm(
        live_server.url, issued.plaintext, "unused", customer_code=DEMO_CUSTOMER
    )
    yield sandbox
    sandbox.stop()
