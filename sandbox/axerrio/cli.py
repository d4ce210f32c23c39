"""Command line for the sandbox farm: ``serve`` runs the farm, ``order`` places one order."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from sandbox.axerrio.awb import CARGO_PREFIXES
from sandbox.axerrio.client import PortalClient, PortalError
from sandbox.axerrio.farm import SandboxFarm

logger = logging.getLogger("sandbox.axerrio")


def _add_portal_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--portal", default="http://127.0.0.1:8000",
                        help="portal base URL; the API is at <portal>/api/ "
                             "(default: %(default)s)")
    parser.add_argument("--token", default=os.environ.get("SANDBOX_TOKEN"),
                        help="the farm's vendor API token (default: env SANDBOX_TOKEN)")
    parser.add_argument("--customer", help="customer code used on the farm's own prebooks")
    parser.add_argument("--customer-name", help="customer name sent as customerDescription "
                                                "(default: the customer code)")
    parser.add_argument("--carrier", help="carrier code for the prebook's truck "
                                          "(default: the first carrier in carrier.list)")
    parser.add_argument("--inbound-carrier", help="inbound carrier (freight forwarder) code for "
                                                  "POs (default: picked from carrier.list)")
    parser.add_argument("--box-type", help="box type code (default: HB, else QB, else the first)")
    parser.add_argument("--log-level", default="INFO",
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                        help="log level (default: %(default)s)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox.axerrio",
        description="A sandbox farm that plays Axerrio against the portal's Komet-style API.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the farm: receive pushes, poll, react")
    _add_portal_options(serve)
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: %(default)s)")
    serve.add_argument("--port", type=int, default=8765,
                       help="TCP port to listen on, 0 for a free port (default: %(default)s)")
    serve.add_argument("--secret", default=os.environ.get("SANDBOX_SECRET"),
                       help="push signing secret (default: env SANDBOX_SECRET)")
    serve.add_argument("--poll-interval", type=float, default=5.0,
                       help="seconds between polls of the portal, 0 to turn polling off "
                            "(default: %(default)s)")
    serve.add_argument("--poll-days", type=int, default=7,
                       help="vendor ship dates polled, from yesterday on (default: %(default)s)")
    serve.add_argument("--no-auto-ship", action="store_true",
                       help="do not ship approved POs; ship them with POST /ship instead")
    serve.add_argument("--rename-box", action="store_true",
                       help="after shipping a PO, rename one box with box.code.change")
    serve.add_argument("--awb-prefix", default=CARGO_PREFIXES[0],
                       help="3-digit airline prefix of the farm's AWBs (default: %(default)s)")

    order = commands.add_parser("order", help="place one prebook and its PO, print JSON")
    _add_portal_options(order)
    order.add_argument("--lines", type=int, default=3,
                       help="number of prebook lines, 2 to 4 (default: %(default)s)")
    order.add_argument("--with-unknown", action="store_true",
                       help="include the new variety the importer has not mapped yet")
    return parser


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # urllib3 logs full request URLs at DEBUG, and GET URLs carry the token.
    logging.getLogger("urllib3").setLevel(logging.INFO)


def run_serve(args: argparse.Namespace) -> int:
    client = PortalClient(args.portal, args.token)
    farm = SandboxFarm(
        args.portal,
        args.token,
        args.secret,
        customer_code=args.customer,
        customer_name=args.customer_name,
        host=args.host,
        port=args.port,
        poll_interval=args.poll_interval or None,
        poll_window_days=args.poll_days,
        auto_ship=not args.no_auto_ship,
        rename_box=args.rename_box,
        awb_prefix=args.awb_prefix,
        carrier_code=args.carrier,
        inbound_carrier_code=args.inbound_carrier,
        box_type_code=args.box_type,
        client=client,
    )
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    farm.start()
    print(f"sandbox farm push URL: {farm.push_url}", flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        farm.stop()
    return 0


def run_order(args: argparse.Namespace) -> int:
    client = PortalClient(args.portal, args.token)
    # The order command receives no pushes, so the secret is a placeholder.
    farm = SandboxFarm(
        args.portal,
        args.token,
        "unused-order-command",
        customer_code=args.customer,
        customer_name=args.customer_name,
        carrier_code=args.carrier,
        inbound_carrier_code=args.inbound_carrier,
        box_type_code=args.box_type,
        client=client,
    )
    result = farm.place_order(line_count=args.lines, with_unknown=args.with_unknown)
    print(json.dumps(result.to_dict(), indent=2))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level)
    try:
        if args.command == "serve":
            return run_serve(args)
        return run_order(args)
    except (ValueError, PortalError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
