"""Where each kind of farm code sits on prebooks and POs, so one set of services maps all four.

A product or box type code sits on the order lines themselves; a carrier code sits on the
prebook and PO headers, and a customer code on the prebook header only. Each spec names
the lookup path from a line to the farm code and to the catalogue field that mapping fills.
"""

from dataclasses import dataclass

from django.db import models

from catalog.models import BoxType, Carrier, Customer, Product
from mapping.models import (
    HoldReason,
    MappingKind,
    VendorBoxType,
    VendorCarrier,
    VendorCode,
    VendorCustomer,
    VendorProduct,
)


@dataclass(frozen=True)
class KindSpec:
    kind: str
    code_model: type[VendorCode]
    target_model: type[models.Model]
    hold_reason: str
    # Lookups from PrebookItem and PurchaseOrderItem to the farm code and to the field that
    # mapping fills. `None` where that kind of code never appears on PO lines.
    prebook_code_path: str
    prebook_target_path: str
    po_code_path: str | None
    po_target_path: str | None

    @property
    def holds_headers(self) -> bool:
        """True when the code sits on the prebook or PO header rather than on its lines."""
        return "__" in self.prebook_code_path


SPECS: dict[str, KindSpec] = {
    MappingKind.PRODUCT: KindSpec(
        kind=MappingKind.PRODUCT,
        code_model=VendorProduct,
        target_model=Product,
        hold_reason=HoldReason.PRODUCT_NOT_MAPPED,
        prebook_code_path="vendor_product",
        prebook_target_path="product",
        po_code_path="vendor_product",
        po_target_path="product",
    ),
    MappingKind.BOX_TYPE: KindSpec(
        kind=MappingKind.BOX_TYPE,
        code_model=VendorBoxType,
        target_model=BoxType,
        hold_reason=HoldReason.BOX_TYPE_NOT_MAPPED,
        prebook_code_path="vendor_box_type",
        prebook_target_path="box_type",
        po_code_path="vendor_box_type",
        po_target_path="box_type",
    ),
    MappingKind.CARRIER: KindSpec(
        kind=MappingKind.CARRIER,
        code_model=VendorCarrier,
        target_model=Carrier,
        hold_reason=HoldReason.CARRIER_NOT_MAPPED,
        prebook_code_path="prebook__vendor_carrier",
        prebook_target_path="prebook__carrier",
        po_code_path="purchase_order__vendor_carrier",
        po_target_path="purchase_order__carrier",
    ),
    MappingKind.CUSTOMER: KindSpec(
        kind=MappingKind.CUSTOMER,
        code_model=VendorCustomer,
        target_model=Customer,
        hold_reason=HoldReason.CUSTOMER_NOT_MAPPED,
        prebook_code_path="prebook__vendor_customer",
        prebook_target_path="prebook__customer",
        po_code_path=None,
        po_target_path=None,
    ),
}


def spec_for(code: VendorCode | type[VendorCode]) -> KindSpec:
    """Return the spec of a farm code row or model class."""
    model = code if isinstance(code, type) else type(code)
    for spec in SPECS.values():
        if issubclass(model, spec.code_model):
            return spec
    raise LookupError(f"{model.__name__} is not a farm code model.")
