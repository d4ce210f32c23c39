"""Demo data: the catalogue, the people who use the portal, and the sandbox farm's setup."""

import secrets
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from catalog.models import Vendor
from mapping.models import VendorProduct
from mapping.services import vendor_product_resolve
from sandbox.axerrio.catalogue import FARM_PRODUCTS
from tokens.models import ApiToken
from tokens.services import api_token_issue, api_token_revoke, resolve_methods

ROOT = Path(__file__).resolve().parent.parent
CATALOG_FILE = ROOT / "catalog" / "fixtures" / "demo_catalog.json"
DEMO_VENDOR = "ROSA"
DEMO_CUSTOMER = "BAYFRONT"
DEMO_PASSWORD = "portal-demo"
DEMO_TOKEN_DESCRIPTION = "Sandbox farm (demo)"
# One demo login per role; the role is the Django group of the same name.
ROLE_USERS = {
    "procurement": "Procurement",
    "sales": "Sales",
    "warehouse": "Warehouse",
    "mapping": "Mapping",
}


@dataclass(frozen=True)
class DemoSetup:
    vendor: Vendor
    token: str
    signing_secret: str


def load_catalog() -> None:
    call_command("import_catalog", str(CATALOG_FILE), verbosity=0)


def ensure_users() -> None:
    """Create the admin and one user per role, all with the demo password."""
    users = get_user_model()
    admin, _ = users.objects.get_or_create(
        username="admin", defaults={"email": "admin@demo.invalid"}
    )
    admin.is_staff = admin.is_superuser = True
    admin.set_password(DEMO_PASSWORD)
    admin.save()
    for username, role in ROLE_USERS.items():
        user, _ = users.objects.get_or_create(username=username)
        user.is_staff = True
        user.set_password(DEMO_PASSWORD)
        user.save()
        user.groups.add(Group.objects.get_or_create(name=role)[0])


@transaction.atomic
def configure_farm(push_url: str) -> DemoSetup:
    """Point the demo farm at the sandbox, give it a fresh token and map its known products.

    Earlier demo tokens are revoked, since their plaintext was not kept.
    """
    vendor = Vendor.objects.get(code=DEMO_VENDOR)
    vendor.is_axerrio = True
    vendor.push_url = push_url
    vendor.signing_secret = secrets.token_hex(24)
    vendor.save()

    for old in ApiToken.objects.filter(description=DEMO_TOKEN_DESCRIPTION, revoked_at=None):
        api_token_revoke(token=old, reason="replaced by a new demo run")
    issued = api_token_issue(
        token_type=ApiToken.TokenType.VENDOR,
        vendor=vendor,
        description=DEMO_TOKEN_DESCRIPTION,
        methods=resolve_methods("axerrio"),
    )
    premap_farm_products(vendor)
    return DemoSetup(vendor=vendor, token=issued.plaintext, signing_secret=vendor.signing_secret)


def premap_farm_products(vendor: Vendor) -> None:
    """Map the farm's products the way a person would have done on earlier orders.

    The farm's new variety stays unknown, so the mapping queue has real work in it.
    """
    from catalog.models import Product
    from mapping.suggest import CatalogEntry, SuggestionIndex

    products = list(Product.objects.filter(active=True))
    index = SuggestionIndex(
        [
            CatalogEntry(p.pk, p.description, p.category, p.variety, p.color, p.grade)
            for p in products
        ]
    )
    for farm_product in FARM_PRODUCTS:
        if farm_product.unknown_to_importer:
            continue
        row = vendor_product_resolve(
            vendor=vendor, code=farm_product.code, description=farm_product.description
        )
        if row.target_id is not None:
            continue
        best = index.suggest(farm_product.description, limit=1)
        if best:
            VendorProduct.objects.filter(pk=row.pk).update(
                target_id=best[0].product_id, mapped_at=timezone.now()
            )
