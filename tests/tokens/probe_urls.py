"""A URL map with one probe method, so token checks are tested apart from the real methods."""

from django.urls import path

from api.base import ApiCall, KometMethod


class ProbeBoxTypeList(KometMethod):
    """Stands in for `boxtype.list`: passes the whole pipeline and reports the caller."""

    name = "boxtype.list"
    http_method = "GET"
    is_write = False

    def handle(self, call: ApiCall, data: dict) -> dict:
        vendor_id = call.vendor.pk if call.vendor else None
        return {"tokenPrefix": call.token.prefix, "vendorId": vendor_id}


class ProbeVendorList(KometMethod):
    name = "vendor.list"
    http_method = "GET"
    is_write = False

    def handle(self, call: ApiCall, data: dict) -> dict:
        return {"vendors": []}


app_name = "api"

urlpatterns = [
    path("api/boxtype.list", ProbeBoxTypeList.as_view(), name="boxtype.list"),
    path("api/vendor.list", ProbeVendorList.as_view(), name="vendor.list"),
]
