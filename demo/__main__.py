"""`python -m demo run` (serve the portal with demo data) and `python -m demo headless`.

Both set up the database and the demo data, start the portal (gunicorn), a Celery
worker with beat and the sandbox farm, and run both Axerrio flows once. `headless`
then prints a summary and exits 0 only if both flows completed; `run` keeps serving
until Ctrl-C. Without DATABASE_URL and CELERY_BROKER_URL the portal uses SQLite and a
filesystem broker under var/.
"""

import argparse
import logging
import os
import signal
import sys
import time
import traceback
from pathlib import Path

import django

from demo.processes import (
    ROOT,
    ProcessGroup,
    answers,
    free_port,
    port_is_free,
    portal_env,
    wait_for,
)

RUN_PORT = 8000


def _setup_django(var_dir: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "komet_axerrio.settings")
    os.environ.setdefault("PORTAL_VAR_DIR", str(var_dir))
    (var_dir / "broker").mkdir(parents=True, exist_ok=True)
    django.setup()


def _start_services(group: ProcessGroup, *, web_port: int, farm_port: int) -> None:
    group.start(
        "web",
        [
            "-m", "gunicorn", "komet_axerrio.wsgi:application",
            # gunicorn.conf.py sets the workers, keep-alive and an access log format that
            # leaves out query strings, where API tokens travel.
            "--bind", f"127.0.0.1:{web_port}", "--access-logfile", "-",
        ],
    )
    group.start(
        "worker",
        [
            "-m", "celery", "-A", "komet_axerrio", "worker", "--beat",
            "--pool", "threads", "--concurrency", "4", "--loglevel", "INFO",
            "--schedule", str(Path(group.env["PORTAL_VAR_DIR"]) / "celerybeat-schedule"),
        ],
    )
    wait_for(lambda: answers(f"http://127.0.0.1:{web_port}/admin/login/"), timeout=60,
             what="the portal to answer")


def _start_farm(group: ProcessGroup, setup, *, web_port: int, farm_port: int):
    from demo.seed import DEMO_CUSTOMER

    env_token = {"SANDBOX_TOKEN": setup.token, "SANDBOX_SECRET": setup.signing_secret}
    group.env.update(env_token)
    group.start(
        "sandbox-farm",
        [
            "-m", "sandbox.axerrio", "serve", "--port", str(farm_port),
            "--portal", f"http://127.0.0.1:{web_port}", "--customer", DEMO_CUSTOMER,
            "--poll-interval", "10",
        ],
    )
    for key in env_token:
        group.env.pop(key)
    wait_for(lambda: answers(f"http://127.0.0.1:{farm_port}/health"), timeout=30,
             what="the sandbox farm to answer")


def interrupt_restore() -> None:
    """Make SIGINT raise KeyboardInterrupt, even if this process inherited it as ignored.

    A shell script that starts a command with `&` starts it with SIGINT ignored, and Python
    keeps that. Ctrl-C or `kill -INT` during setup and the flows must still stop the demo
    and, through the `finally` below, its child processes.
    """
    signal.signal(signal.SIGINT, signal.default_int_handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo")
    parser.add_argument("mode", choices=["run", "headless"])
    parser.add_argument("--port", type=int, default=RUN_PORT, help="Portal port for `run`.")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    interrupt_restore()
    # Checked before the slow migrate and catalog import, so a busy port fails at once.
    if args.mode == "run" and not port_is_free(args.port):
        print(f"Port {args.port} is in use; stop what runs there or pass --port.")
        return 2

    # The headless demo keeps its own SQLite file, broker and logs, so running it while
    # `make run` serves does not touch the running portal's farm token or data.
    default_var = ROOT / "var" / ("demo" if args.mode == "headless" else "")
    var_dir = Path(os.environ.get("PORTAL_VAR_DIR", default_var))
    _setup_django(var_dir)
    from django.conf import settings
    from django.core.management import call_command

    from demo import flows, seed

    database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"Database: {database}; broker: {settings.CELERY_BROKER_URL.split('://')[0]}", flush=True)
    print("Preparing the database and demo data...", flush=True)
    call_command("migrate", verbosity=0, interactive=False)
    seed.load_catalog()
    seed.ensure_users()

    if args.mode == "run":
        web_port = args.port
    else:
        web_port = free_port()
    farm_port = free_port()
    setup = seed.configure_farm(f"http://127.0.0.1:{farm_port}/axerrio/push")

    group = ProcessGroup(log_dir=var_dir / "logs", env=portal_env(var_dir))
    results = []
    try:
        _start_services(group, web_port=web_port, farm_port=farm_port)
        _start_farm(group, setup, web_port=web_port, farm_port=farm_port)
        print(f"Portal at http://127.0.0.1:{web_port}/, sandbox farm at :{farm_port}", flush=True)
        results = _run_flows(flows, setup, web_port)
        label_files = flows.write_label_files(
            [r.po_number for r in results if r.po_number], var_dir / "labels"
        )
        print("\nSummary", flush=True)
        for line in flows.summary_lines(label_files):
            print(f"  {line}", flush=True)
        completed = all(result.ok for result in results)
        for result in results:
            print(f"  {result.name}: {'completed' if result.ok else 'FAILED ' + result.detail}")
        if args.mode == "headless":
            return 0 if completed else 1
        _serve_until_interrupted(group, web_port)
        return 0
    finally:
        group.stop()


def _run_flows(flows, setup, web_port: int) -> list:
    from demo.seed import DEMO_CUSTOMER
    from sandbox.axerrio.farm import SandboxFarm

    farm_client = SandboxFarm(
        f"http://127.0.0.1:{web_port}", setup.token, "unused-by-the-order-client",
        customer_code=DEMO_CUSTOMER,
    )
    results = []
    for name, run in (
        ("flow 1", lambda: flows.flow_order_entered_in_axerrio(farm_client)),
        ("flow 1 (unknown product)",
         lambda: flows.flow_order_entered_in_axerrio(farm_client, with_unknown=True)),
        ("flow 2", lambda: flows.flow_prebook_entered_in_portal(setup.vendor)),
    ):
        print(f"\nRunning {name}...", flush=True)
        try:
            results.append(run())
        except Exception as error:  # noqa: BLE001 - report the flow as failed and go on
            traceback.print_exc()
            results.append(flows.FlowResult(name=name, ok=False, detail=str(error)))
    return results


def _serve_until_interrupted(group: ProcessGroup, web_port: int) -> None:
    from demo.seed import DEMO_PASSWORD

    print(
        f"\nThe portal is running at http://127.0.0.1:{web_port}/admin/\n"
        f"  Log in as admin / {DEMO_PASSWORD} (or procurement, sales, warehouse, mapping "
        f"with the same password).\n  Logs are in {group.log_dir}. Press Ctrl-C to stop.",
        flush=True,
    )
    stopping = []

    def request_stop(signum, frame) -> None:
        stopping.append(signum)

    # Ctrl-C reaches the children too; note the request first so their exit is expected.
    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    while not stopping:
        time.sleep(1)
        if not stopping:
            group.check_alive()
    print("\nStopping...", flush=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        # Any child processes were already stopped by the `finally` in main().
        print("\nInterrupted.", flush=True)
        sys.exit(130)
