"""Temporary: compare list answers of the refactored methods with the original module."""

import datetime
import importlib.util
import itertools

import pytest
from django.test import RequestFactory

from api.methods import lists
from tests.api.test_queries import make_purchase_orders
from tests.factories import CarrierFactory, CustomerFactory, PrebookFactory, PrebookItemFactory
from tests.factories import ProductFactory, VendorFactory
from tokens.methods import all_method_names
from tokens.services import api_token_issue

pytestmark = pytest.mark.django_db


def _old_module():
    spec = importlib.util.spec_from_file_location("lists_orig", "/tmp/split/lists_orig.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CALLS = {
    "boxtype.list": [{}, {"code": "hb"}, {"id": "1"}, {"id": "999999"}, {"code": "x" * 60}],
    "carrier.list": [{}, {"code": "ar"}, {"name": "arm"}, {"active": "0"}, {"active": "1"},
                     {"active": "true"}, {"id": "abc"}],
    "customer.list": [{}, {"includeInactive": "1"}, {"code": "ang"}, {"name": "flow"},
                      {"salesPersonId": "3"}, {"updateAsOf": "2020-01-01T00:00:00"},
                      {"updateAsOf": "bad"}],
    "vendor.list": [{}, {"includeInactive": "1"}, {"portOrigin": "bog"}, {"name": "ros"},
                    {"code": "ROSAS"}],
    "product.list": [{}, {"description": "rose"}, {"legacyCode": "rs50red"}, {"id": "x"}],
    "prebook.list": [{}, {"dateFrom": "2026-12-01", "dateTo": "2026-12-31"},
                     {"dateFrom": "2026-12-31", "dateTo": "2026-12-01"},
                     {"dateFrom": "2026-01-01", "dateTo": "2026-12-31"},
                     {"dateFrom": "2026-12-01", "dateTo": "2026-12-31", "customer": "ang"},
                     {"dateFrom": "2026-12-01", "dateTo": "2026-12-31", "carrier": "arm"},
                     {"dateFrom": "2026-12-01", "dateTo": "2026-12-31", "prebookStatus": "open"},
                     {"dateFrom": "2026-12-01", "dateTo": "2026-12-31", "isEcommerce": "0"}],
    "prebook.details.list": [{}, {"date": "2026-12-20"}, {"vendorShipDateFrom": "2026-12-18"},
                             {"vendorShipDateTo": "2026-12-25"},
                             {"shipDateFrom": "2026-12-01", "shipDateTo": "2026-12-31"},
                             {"vendorShipDateFrom": "2026-12-31",
                              "vendorShipDateTo": "2026-12-01"},
                             {"date": "2026-12-20", "customerId": "1"},
                             {"date": "2026-12-20", "updatedAsOf": "2020-01-01T00:00:00"}],
    "purchase.order.list": [{}, {"date": "2026-12-20"}, {"dateFrom": "2026-12-19",
                                                          "dateTo": "2026-12-21"},
                            {"number": "Q2000000,Q2000001"}, {"date": "2026-12-20",
                                                              "vendor": "ros"},
                            {"date": "2026-12-20", "status": "Approved"},
                            {"date": "2026-12-20", "origin": "bog"},
                            {"date": "2026-12-20", "prebook": "abc"},
                            {"date": "2026-12-20", "purchaseOrderItemIds": "1,x"},
                            {"dateFrom": "2026-01-01", "dateTo": "2026-12-31"}],
}


@pytest.mark.parametrize("vendor_token", [False, True])
def test_lists_match_original(vendor_token, tmp_path):
    old = _old_module()
    farm = VendorFactory(code="ROSAS", name="Rosas del Valle", port_origin="BOG")
    VendorFactory(code="OFF", name="Off farm", active=False)
    customer = CustomerFactory(code="ANG", name="Ang Flowers")
    CustomerFactory(code="OLD", name="Old Flowers", active=False)
    carrier = CarrierFactory(code="AR", name="Armellini")
    product = ProductFactory(legacy_code="RS50RED", description="Rose Freedom Red 50cm")
    catalogue = {"customer": customer, "carrier": carrier, "product": product,
                 "box_type": __import__("tests.factories").factories.BoxTypeFactory(code="HB")}
    for day in (20, 21):
        prebook = PrebookFactory(customer=customer, carrier=carrier,
                                 truck_date=datetime.date(2026, 12, day))
        PrebookItemFactory(prebook=prebook, vendor=farm, product=product,
                           box_type=catalogue["box_type"],
                           vendor_ship_date=datetime.date(2026, 12, day - 2))
    make_purchase_orders(farm, catalogue, orders=3, lines_per_order=2,
                         ship_date=datetime.date(2026, 12, 20))
    if vendor_token:
        from tokens.methods import token_types_for
        allowed = [m for m in all_method_names() if "vendor" in token_types_for(m)]
        token = api_token_issue(token_type="vendor", description="f",
                                methods=allowed, vendor=farm).plaintext
    else:
        token = api_token_issue(token_type="company", description="c",
                                methods=all_method_names()).plaintext
    factory = RequestFactory()
    new_views = {view.name: view for view in lists.METHODS}
    old_views = {view.name: view for view in old.METHODS}
    compared = 0
    for name, calls in CALLS.items():
        for params in calls:
            answers = []
            for views in (new_views, old_views):
                request = factory.get(f"/api/{name}", {"authenticationToken": token, **params})
                response = views[name].as_view()(request)
                response.render()
                answers.append((response.status_code, response.content))
            assert answers[0] == answers[1], (name, params, answers)
            print(name, params, answers[0][0], len(answers[0][1]))
            compared += 1
    assert compared == sum(len(c) for c in CALLS.values())
