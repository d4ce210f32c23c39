"""Shared helpers for the bench scripts: a throwaway portal on 127.0.0.1.

A bench script calls `bootstrap()` before it imports any model. That points Django at a
throwaway PostgreSQL database and a Redis db of its own, with a private Celery queue, so
a run never touches another run's data. `Stack` then builds the database (migrate,
`manage.py import_catalog`, `manage.py issue_token`), starts gunicorn, real Celery
workers and the sandbox farm as subprocesses, and stops them all in `stop()`.

Environment (all optional): BENCH_DATABASE (default `portal_bench`), BENCH_REDIS_DB
(default 8), BENCH_PG (default `postgres://postgres@127.0.0.1:5432`), BENCH_REDIS
(default `redis://127.0.0.1:6379`).
"""

from __future__ import annotations

import os
import platform
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CATALOG_FILE = ROOT / "catalog" / "fixtures" / "demo_catalog.json"
LOG_DIR = ROOT / "var" / "bench"
FARM_VENDOR = "ROSA"
FARM_CUSTOMER = "BAYFRONT"
# The largest daily quota issue_token accepts. No bench run reaches it, so the quota never
# throttles a measurement.
BENCH_QUOTA = 1_000_000


@dataclass(frozen=True)
class BenchConfig:
    database: str
    redis_db: int
    pg_server: str
    redis_server: str
    queue: str

    @property
    def database_url(self) -> str:
        return f"{self.pg_server}/{self.database}"

    @property
    def broker_url(self) -> str:
        return f"{self.redis_server}/{self.redis_db}"


CONFIG: BenchConfig | None = None


def bootstrap(*, database: str | None = None, redis_db: int | None = None) -> BenchConfig:
    """Point this process at the bench database and Redis db, then run `django.setup()`.

    Call it before importing any model. DEBUG is off, as in production, so Django does
    not keep every query in memory during a long run.
    """
    global CONFIG
    CONFIG = BenchConfig(
        database=database or os.environ.get("BENCH_DATABASE", "portal_bench"),
        redis_db=int(redis_db if redis_db is not None else os.environ.get("BENCH_REDIS_DB", 8)),
        pg_server=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"),
        redis_server=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379"),
        queue=f"bench-{uuid.uuid4().hex[:8]}",
    )
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "komet_axerrio.settings",
            "DATABASE_URL": CONFIG.database_url,
            "CELERY_BROKER_URL": CONFIG.broker_url,
            "CELERY_TASK_DEFAULT_QUEUE": CONFIG.queue,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DJANGO_DEBUG": "false",
            "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
        }
    )
    import django

    django.setup()
    return CONFIG


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(
    predicate: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.1
) -> float:
    """Poll `predicate` until it is true; return the seconds waited. Raises TimeoutError."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def percentile(values: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile (`fraction` in 0..1) of `values`."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def machine_lines() -> list[str]:
    """Describe the machine and the servers the figures were measured on."""
    import psutil
    from django.db import connection

    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    redis_version = "unknown"
    try:
        import redis

        redis_version = redis.Redis.from_url(CONFIG.broker_url).info("server")["redis_version"]
    except Exception as error:  # noqa: BLE001 - the version is informational only
        redis_version = f"unknown ({error})"
    memory_gib = psutil.virtual_memory().total / 2**30
    return [
        f"CPU: {cpu}, {os.cpu_count()} logical cores ({psutil.cpu_count(logical=False)} physical)",
        f"memory: {memory_gib:.1f} GiB",
        f"Python {platform.python_version()} on {platform.system()} {platform.release()}",
        f"PostgreSQL {pg_version}, Redis {redis_version} (both on 127.0.0.1)",
    ]


def print_machine() -> None:
    print("machine:")
    for line in machine_lines():
        print(f"  {line}")


def _admin_connection():
    import psycopg

    return psycopg.connect(f"{CONFIG.pg_server}/postgres", autocommit=True)


def database_recreate() -> None:
    """Drop and create the bench database. Only `portal_bench*` names are accepted."""
    name = CONFIG.database
    if not name.startswith("portal_bench"):
        raise ValueError(f"invalid bench database {name!r}: expected a portal_bench* name")
    from django.db import connections

    connections.close_all()
    with _admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def database_terminate_connections(*, keep_pids: tuple[int, ...] = ()) -> int:
    """Terminate the connections to the bench database except `keep_pids`; return how many."""
    with _admin_connection() as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid() AND NOT (pid = ANY(%s))",
            [CONFIG.database, list(keep_pids)],
        ).fetchall()
    return len(rows)


def own_backend_pid() -> int:
    """Return the PostgreSQL backend pid of this thread's Django connection."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def database_backend_pids() -> list[int]:
    """Return the PostgreSQL backend pids connected to the bench database."""
    with _admin_connection() as admin:
        rows = admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [CONFIG.database],
        ).fetchall()
    return [row[0] for row in rows]


def cpu_seconds(pids: list[int]) -> float:
    """Return the user + system CPU seconds used so far by the processes `pids`.

    Processes that have exited are skipped, so their CPU time is not counted.
    """
    import psutil

    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        total += times.user + times.system
    return total


def redis_flush() -> None:
    """Empty the bench's own Redis db (FLUSHDB on that db only)."""
    import redis

    redis.Redis.from_url(CONFIG.broker_url).flushdb()


def manage(*args: str, quiet: bool = True) -> str:
    """Run `manage.py` with the bench environment; return its standard output."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


@dataclass
class FarmSetup:
    vendor_code: str
    customer_code: str
    token: str
    signing_secret: str


def seed(*, push_url: str = "") -> FarmSetup:
    """Migrate, import the demo catalogue, set the farm up and issue its API token.

    The farm's known products are mapped the way `make demo` maps them, so orders for
    them are not held for mapping.
    """
    from django.db import connections

    manage("migrate", "--noinput")
    manage("import_catalog", str(CATALOG_FILE))
    connections.close_all()

    from catalog.models import Vendor
    from demo.seed import ensure_users, premap_farm_products

    ensure_users()
    vendor = Vendor.objects.get(code=FARM_VENDOR)
    vendor.is_axerrio = True
    vendor.push_url = push_url
    vendor.signing_secret = secrets.token_hex(24)
    vendor.save()
    premap_farm_products(vendor)
    _premap_codes(vendor)
    output = manage(
        "issue_token", "--vendor", FARM_VENDOR, "--methods", "axerrio",
        "--description", "bench farm", "--quota", str(BENCH_QUOTA),
    )
    token = output.strip().splitlines()[-1]
    return FarmSetup(
        vendor_code=FARM_VENDOR,
        customer_code=FARM_CUSTOMER,
        token=token,
        signing_secret=vendor.signing_secret,
    )


def _premap_codes(vendor) -> None:
    """Map the farm's customer, carrier and box type codes to the importer's same codes."""
    from django.utils import timezone

    from catalog.models import BoxType, Carrier, Customer
    from mapping.models import VendorBoxType, VendorCarrier, VendorCustomer

    now = timezone.now()
    for model, targets in (
        (VendorCustomer, Customer.objects.all()),
        (VendorCarrier, Carrier.objects.all()),
        (VendorBoxType, BoxType.objects.all()),
    ):
        for target in targets:
            model.objects.update_or_create(
                vendor=vendor,
                code=target.code,
                defaults={"description": str(target)[:200], "target": target, "mapped_at": now},
            )


def vendor_set_push_url(push_url: str) -> None:
    from catalog.models import Vendor

    Vendor.objects.filter(code=FARM_VENDOR).update(push_url=push_url)


@dataclass
class Stack:
    """gunicorn, Celery workers and the sandbox farm, each a subprocess on 127.0.0.1."""

    name: str = "bench"
    web_workers: int = 2
    web_threads: int = 4
    log_dir: Path = LOG_DIR
    web_port: int = 0
    farm_port: int = 0
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def farm_url(self) -> str:
        return f"http://127.0.0.1:{self.farm_port}"

    @property
    def push_url(self) -> str:
        return f"{self.farm_url}/axerrio/push"

    def __post_init__(self) -> None:
        self.web_port = self.web_port or free_port()
        self.farm_port = self.farm_port or free_port()

    def _log_path(self, role: str) -> Path:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        return self.log_dir / f"{self.name}-{role}.log"

    def _spawn(self, role: str, args: list[str], env: dict[str, str] | None = None):
        log = self._log_path(role).open("ab")
        process = subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env=env or dict(os.environ, PYTHONUNBUFFERED="1"),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes[role] = process
        return process

    def start_web(self) -> subprocess.Popen:
        process = self._spawn(
            "web",
            [
                "-m", "gunicorn", "komet_axerrio.wsgi:application",
                "--bind", f"127.0.0.1:{self.web_port}",
                "--workers", str(self.web_workers), "--threads", str(self.web_threads),
                "--timeout", "120", "--backlog", "2048",
            ],
        )
        wait_for(self.web_answers, timeout=60, what="gunicorn to answer")
        return process

    def web_answers(self) -> bool:
        import requests

        try:
            return requests.get(f"{self.web_url}/admin/login/", timeout=2).status_code < 500
        except requests.RequestException:
            return False

    def start_worker(self, role: str = "worker", *, concurrency: int = 8, beat: bool = False):
        log_path = self._log_path(role)
        start_size = log_path.stat().st_size if log_path.exists() else 0
        args = [
            "-m", "celery", "-A", "komet_axerrio", "worker",
            "--pool", "threads", "--concurrency", str(concurrency),
            "--queues", CONFIG.queue,
            "--hostname", f"{role}-{uuid.uuid4().hex[:6]}@%h",
            "--without-gossip", "--without-mingle", "--loglevel", "INFO",
        ]
        if beat:
            args += ["--beat", "--schedule", str(self.log_dir / f"{self.name}-beat-schedule")]
        process = self._spawn(role, args)

        def ready() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"Celery worker {role} exited; see {log_path}")
            return b"ready." in log_path.read_bytes()[start_size:]

        wait_for(ready, timeout=60, what=f"Celery worker {role} to start")
        return process

    def start_farm(self, farm: FarmSetup, *, poll_interval: float = 0) -> subprocess.Popen:
        import requests

        env = dict(
            os.environ,
            PYTHONUNBUFFERED="1",
            SANDBOX_TOKEN=farm.token,
            SANDBOX_SECRET=farm.signing_secret,
        )
        process = self._spawn(
            "farm",
            [
                "-m", "sandbox.axerrio", "serve", "--port", str(self.farm_port),
                "--portal", self.web_url, "--customer", farm.customer_code,
                "--poll-interval", str(poll_interval), "--log-level", "WARNING",
            ],
            env=env,
        )

        def healthy() -> bool:
            try:
                return requests.get(f"{self.farm_url}/health", timeout=1).ok
            except requests.RequestException:
                return False

        wait_for(healthy, timeout=30, what="the sandbox farm to answer /health")
        return process

    def farm_get(self, path: str) -> dict:
        import requests

        return requests.get(f"{self.farm_url}{path}", timeout=30).json()

    def farm_control(self, mode: str, count: int | None = None, delay: float = 0) -> None:
        import requests

        body = {"mode": mode, "count": count, "delay": delay}
        requests.post(f"{self.farm_url}/control", json=body, timeout=5).raise_for_status()

    def kill(self, role: str) -> None:
        """SIGKILL one process and its children, as a crash would: nothing gets to finish.

        The children matter because `celery worker --beat` runs beat in a child process.
        """
        import psutil

        process = self.processes.get(role)
        if process and process.poll() is None:
            children = psutil.Process(process.pid).children(recursive=True)
            process.kill()
            process.wait(timeout=10)
            for child in children:
                try:
                    child.kill()
                except psutil.NoSuchProcess:
                    pass

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 20
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        self.processes.clear()

    def tree_pids(self, role: str) -> list[int]:
        """Return the process id of `role` and of its children (gunicorn's workers)."""
        import psutil

        process = self.processes[role]
        try:
            parent = psutil.Process(process.pid)
            return [process.pid, *(child.pid for child in parent.children(recursive=True))]
        except psutil.NoSuchProcess:
            return []


class RssSampler:
    """Sample the resident memory of process trees every `interval` seconds in a thread."""

    def __init__(self, pids_by_role: Callable[[], dict[str, list[int]]], interval: float = 1.0):
        import threading

        self._pids_by_role = pids_by_role
        self.interval = interval
        self.samples: dict[str, list[tuple[float, int]]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._start = time.monotonic()

    def start(self) -> RssSampler:
        self._start = time.monotonic()
        self._thread.start()
        return self

    def sample_once(self) -> None:
        import psutil

        now = time.monotonic() - self._start
        for role, pids in self._pids_by_role().items():
            for pid in pids:
                try:
                    rss = psutil.Process(pid).memory_info().rss
                except psutil.NoSuchProcess:
                    continue
                self.samples.setdefault(f"{role}[{pid}]", []).append((now, rss))

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample_once()
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sample_once()

    def summary_lines(self) -> list[str]:
        """Return one line per process: first, last and max RSS in MiB, and the second half.

        The growth over the second half of the run distinguishes warm-up (it levels off)
        from a leak (it keeps growing).
        """
        lines = []
        for key, values in sorted(self.samples.items()):
            rss = [value for _, value in values]
            half = rss[len(rss) // 2]
            lines.append(
                f"{key}: first {rss[0] / 2**20:.1f} MiB, last {rss[-1] / 2**20:.1f} MiB, "
                f"max {max(rss) / 2**20:.1f} MiB over {len(rss)} samples; "
                f"second half {half / 2**20:.1f} -> {rss[-1] / 2**20:.1f} MiB"
            )
        return lines


class KometClient:
    """A farm's Komet API client over HTTP, timing every call.

    One instance per thread: it keeps a `requests.Session` for connection reuse.
    """

    def __init__(self, base_url: str, token: str, *, timeout: float = 60.0) -> None:
        import requests

        self.base_url = base_url
        self.token = token
        self.timeout = timeout
        self.session = requests.Session()

    def post(self, method: str, body: dict) -> tuple[int, dict, float]:
        """POST `body`; return (HTTP status, decoded JSON or {}, seconds taken).

        HTTP status 0 means no response at all (connection refused, reset or timed out).
        """
        import requests

        start = time.perf_counter()
        try:
            response = self.session.post(
                f"{self.base_url}/api/{method}",
                json={"authenticationToken": self.token, **body},
                timeout=self.timeout,
            )
        except requests.RequestException as error:
            return 0, {"message": f"{type(error).__name__}: {error}"}, time.perf_counter() - start
        return response.status_code, _json_or_empty(response), time.perf_counter() - start

    def get(self, method: str, params: dict | None = None) -> tuple[int, dict, float]:
        import requests

        start = time.perf_counter()
        try:
            response = self.session.get(
                f"{self.base_url}/api/{method}",
                params={"authenticationToken": self.token, **(params or {})},
                timeout=self.timeout,
            )
        except requests.RequestException as error:
            return 0, {"message": f"{type(error).__name__}: {error}"}, time.perf_counter() - start
        return response.status_code, _json_or_empty(response), time.perf_counter() - start


def _json_or_empty(response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def envelope_ok(body: dict) -> bool:
    return str(body.get("status")) == "1"


@dataclass(frozen=True)
class OrderCodes:
    """The farm-side codes an order uses, read once from the seeded catalogue."""

    customer: str
    carrier: str
    inbound_carrier: str
    box_type: str = "HB"


def order_codes() -> OrderCodes:
    from catalog.models import Carrier

    outbound = Carrier.objects.filter(kind=Carrier.Kind.OUTBOUND).order_by("code").first()
    inbound = Carrier.objects.exclude(kind=Carrier.Kind.OUTBOUND).order_by("code").first()
    return OrderCodes(
        customer=FARM_CUSTOMER,
        carrier=outbound.code,
        inbound_carrier=(inbound or outbound).code,
    )


def prebook_body(
    codes: OrderCodes, *, lines: int, truck_date: str, vendor_ship_date: str, tag: str
) -> dict:
    """Return a prebook.create body of `lines` lines over the farm's mapped products.

    Lines cycle through the sandbox farm's known products, so every line maps.
    """
    from sandbox.axerrio.catalogue import KNOWN_PRODUCTS

    items = []
    for index in range(lines):
        product = KNOWN_PRODUCTS[index % len(KNOWN_PRODUCTS)]
        items.append(
            {
                "productCode": product.code,
                "productDescription": product.description,
                "boxTypeCode": codes.box_type,
                "unitType": product.unit_type,
                "boxes": 1 + index % 3,
                "bunches": product.bunches_per_half_box,
                "stemsBunch": product.stems_per_bunch,
                "cost": product.cost,
                "markCode": tag[:20],
                "vendorShipDate": vendor_ship_date,
            }
        )
    return {
        "customerCode": codes.customer,
        "customerDescription": codes.customer,
        "carrierCode": codes.carrier,
        "carrierDescription": codes.carrier,
        "shipDate": truck_date,
        "customerPO": tag[:20],
        "prebookItems": items,
    }


def purchase_order_body(
    codes: OrderCodes, prebook: dict, answer: dict, *, vendor_ship_date: str
) -> dict:
    """Return the purchase.order.create body linking every line prebook.create accepted."""
    returned = answer.get("prebookItems") or []
    items = []
    for sent, got in zip(prebook["prebookItems"], returned, strict=False):
        if got.get("prebookItemId") is None:
            continue
        items.append(
            {
                "prebookItemId": got["prebookItemId"],
                **{key: value for key, value in sent.items() if key != "vendorShipDate"},
            }
        )
    return {
        "shipDate": vendor_ship_date,
        "carrierCode": codes.inbound_carrier,
        "purchaseOrderItems": items,
    }
