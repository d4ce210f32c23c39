"""Fixtures for the API tests: a farm with a vendor token, a company token, a JSON client."""

import json
from decimal import Decimal

import pytest
from django.test import Client

from mapping.models import VendorBoxType, VendorCarrier, VendorCustomer, VendorProduct
from tests.factories import (
    BoxTypeFactory,
    CarrierFactory,
    CustomerFactory,
    ProductFactory,
    VendorFactory,
)
from tokens.methods import AXERRIO_METHODS, all_method_names
from tokens.services import api_token_issue


class ApiClient:
    """Calls `/api/<method>` the way a Komet client does."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.client = Client()

    def post(self, method: str, body: dict | None = None, **headers):
        payload = {"authenticationToken": self.token, **(body or {})}
        return self.client.post(
            f"/api/{method}",
            data=json.dumps(payload),
            content_type="application/json",
            headers=headers,
        )

    def get(self, method: str, **params):
        return self.client.get(f"/api/{method}", {"authenticationToken": self.token, **params})


@pytest.fixture
def farm(db):
    return VendorFactory(code="ROSAS", name="Rosas del Valle", transit_days=2)


@pytest.fixture
def other_farm(db):
    return VendorFactory(code="OTRA", name="Otra Finca")


@pytest.fixture
def catalogue(db, farm):
    product = ProductFactory(legacy_code="RS50RED", description="Rose Freedom Red 50cm")
    box_type = BoxTypeFactory(code="HB", fbe=Decimal("0.5"))
    VendorProduct.objects.create(vendor=farm, code="FR50", description="FREEDOM 50", target=product)
    VendorBoxType.objects.create(vendor=farm, code="HB", target=box_type)
    customer = CustomerFactory(code="ANG", name="Ang Flowers")
    carrier = CarrierFactory(code="AR", name="Armellini")
    VendorCustomer.objects.create(vendor=farm, code="ANG", target=customer)
    VendorCarrier.objects.create(vendor=farm, code="AR", target=carrier)
    return {
        "product": product,
        "box_type": box_type,
        "customer": customer,
        "carrier": carrier,
        "inbound": CarrierFactory(code="FF", name="Fresh Forwarding", kind="inbound"),
    }


@pytest.fixture
def vendor_api(farm):
    issued = api_token_issue(
        token_type="vendor",
        description="farm",
        methods=AXERRIO_METHODS + ["purchase.order.item.awb.add"],
        vendor=farm,
    )
    return ApiClient(issued.plaintext)


@pytest.fixture
def other_vendor_api(other_farm):
    issued = api_token_issue(
        token_type="vendor", description="other", methods=AXERRIO_METHODS, vendor=other_farm
    )
    return ApiClient(issued.plaintext)


@pytest.fixture
def company_api(db):
    issued = api_token_issue(token_type="company", description="erp", methods=all_method_names())
    return ApiClient(issued.plaintext)
