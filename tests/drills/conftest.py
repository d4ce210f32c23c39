"""Fixtures of the fault drills: the demo catalogue, a farm token and fast push retries."""

from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.utils import timezone

from catalog.models import BoxType, Carrier, Customer, Vendor
from demo.seed import CATALOG_FILE, DEMO_CUSTOMER, DEMO_VENDOR, premap_farm_products
from mapping.models import VendorBoxType, VendorCarrier, VendorCustomer
from tests.conftest import ARTIFACTS, SandboxProcess, free_port
from tokens.models import ApiToken
from tokens.services import api_token_issue, resolve_methods

# Short timeouts and backoff so a failed push is retried within seconds, in the test
# process (live server, sweeps) and in every worker started after this fixture.
FAST_PUSH_SETTINGS = {
    "PUSH_CONNECT_TIMEOUT": "1",
    "PUSH_READ_TIMEOUT": "3",
    "PUSH_STUCK_MARGIN": "1",
    "PUSH_BACKOFF_BASE": "0.2",
    "PUSH_BACKOFF_MAX": "1",
    "PUSH_SWEEP_GRACE": "0",
}


@pytest.fixture
def fast_push_retries(settings, monkeypatch):
    for name, value in FAST_PUSH_SETTINGS.items():
        monkeypatch.setenv(name, value)
        setattr(settings, name, float(value))


@dataclass
class DrillPortal:
    vendor: Vendor
    token: str
    customer: str
    carrier: str
    inbound_carrier: str
    url: str


@pytest.fixture
def drill_portal(transactional_db, live_server) -> DrillPortal:
    """The demo catalogue, the farm with every code it sends mapped, and its vendor token."""
    call_command("import_catalog", str(CATALOG_FILE), verbosity=0)
    vendor = Vendor.objects.get(code=DEMO_VENDOR)
    vendor.is_axerrio = True
    vendor.signing_secret = "drill-signing-secret-0123456789"
    vendor.save()
    premap_farm_products(vendor)
    now = timezone.now()
    for model, targets in (
        (VendorCustomer, Customer.objects.all()),
        (VendorCarrier, Carrier.objects.all()),
        (VendorBoxType, BoxType.objects.all()),
    ):
        for target in targets:
            model.objects.update_or_create(
                vendor=vendor, code=target.code,
                defaults={"description": str(target)[:200], "target": target, "mapped_at": now},
            )
    issued = api_token_issue(
        token_type=ApiToken.TokenType.VENDOR,
        vendor=vendor,
        description="fault drill farm",
        methods=resolve_methods("axerrio"),
        daily_quota=1_000_000,
    )
    outbound = Carrier.objects.filter(kind=Carrier.Kind.OUTBOUND).order_by("code").first()
    inbound = Carrier.objects.filter(kind=Carrier.Kind.INBOUND).order_by("code").first()
    return DrillPortal(
        vendor=vendor,
        token=issued.plaintext,
        customer=DEMO_CUSTOMER,
        carrier=outbound.code,
        inbound_carrier=(inbound or outbound).code,
        url=live_server.url,
    )


@pytest.fixture
def drill_farm(drill_portal, request):
    """The sandbox farm process, set as the farm's push URL."""
    port = free_port()
    sandbox = SandboxProcess(
        port=port,
        portal_url=drill_portal.url,
        token=drill_portal.token,
        secret=drill_portal.vendor.signing_secret,
        customer=drill_portal.customer,
        log_path=ARTIFACTS / "logs" / f"sandbox-{request.node.name[:60]}.log",
    )
    sandbox.start()
    Vendor.objects.filter(pk=drill_portal.vendor.pk).update(push_url=sandbox.push_url)
    yield sandbox
    sandbox.stop()
