"""Resolving a farm's codes to the importer's master data, and mapping unknown ones."""

from django.db import IntegrityError, transaction

from catalog.models import Vendor
from mapping.models import VendorBoxType, VendorCarrier, VendorCode, VendorCustomer, VendorProduct


def _code_key(code: str | None, description: str | None) -> str:
    """The key a farm's code is stored under: its code, or its description when it has none."""
    return (code or "").strip() or " ".join((description or "").split()).upper()


def _resolve(model: type[VendorCode], vendor: Vendor, code: str | None, description: str | None):
    key = _code_key(code, description)[:100]
    row = model.objects.select_related("target").filter(vendor=vendor, code=key).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return model.objects.create(
                vendor=vendor, code=key, description=(description or "").strip()[:200]
            )
    except IntegrityError:
        # Another request created the same code at the same moment.
        return model.objects.select_related("target").get(vendor=vendor, code=key)


def vendor_product_resolve(
    *, vendor: Vendor, code: str | None, description: str | None
) -> VendorProduct:
    """Return the farm's product code row, creating it (unmapped) the first time it is seen."""
    return _resolve(VendorProduct, vendor, code, description)


def vendor_box_type_resolve(
    *, vendor: Vendor, code: str | None, description: str | None
) -> VendorBoxType:
    return _resolve(VendorBoxType, vendor, code, description)


def vendor_carrier_resolve(
    *, vendor: Vendor, code: str | None, description: str | None
) -> VendorCarrier:
    return _resolve(VendorCarrier, vendor, code, description)


def vendor_customer_resolve(
    *, vendor: Vendor, code: str | None, description: str | None
) -> VendorCustomer:
    return _resolve(VendorCustomer, vendor, code, description)
