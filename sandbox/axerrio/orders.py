"""Request bodies and results of the farm's own orders (a prebook followed by its PO)."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from typing import Any

from sandbox.axerrio.catalogue import KNOWN_PRODUCTS, UNKNOWN_PRODUCT, FarmProduct
from sandbox.axerrio.client import JSONDict

MIN_ORDER_LINES = 2
MAX_ORDER_LINES = 4


@dataclass
class OrderLine:
    """One line of a farm order and the ids the portal returned for it."""

    product_code: str
    product_description: str
    box_type_code: str
    unit_type: str
    boxes: int
    bunches: int
    stems_bunch: int
    cost: float
    mark_code: str
    prebook_item_id: Any = None
    prebook_item_status: Any = None
    prebook_item_message: str = ""
    po_item_id: Any = None
    po_item_status: Any = None
    po_item_message: str = ""

    def prebook_item(self, vendor_ship_date: str) -> JSONDict:
        """Return the ``prebookItems[]`` element for prebook.create."""
        return {
            "productCode": self.product_code,
            "productDescription": self.product_description,
            "boxTypeCode": self.box_type_code,
            "unitType": self.unit_type,
            "boxes": self.boxes,
            "bunches": self.bunches,
            "stemsBunch": self.stems_bunch,
            "cost": self.cost,
            "markCode": self.mark_code,
            "notes": "",
            "vendorShipDate": vendor_ship_date,
        }

    def purchase_order_item(self) -> JSONDict:
        """Return the ``purchaseOrderItems[]`` element that links this line's prebook item."""
        return {
            "prebookItemId": self.prebook_item_id,
            "productCode": self.product_code,
            "productDescription": self.product_description,
            "boxTypeCode": self.box_type_code,
            "unitType": self.unit_type,
            "boxes": self.boxes,
            "bunches": self.bunches,
            "stemsBunch": self.stems_bunch,
            "cost": self.cost,
            "markCode": self.mark_code,
        }


@dataclass
class OrderResult:
    """Prebook and PO the farm created with ``SandboxFarm.place_order``."""

    customer_code: str
    truck_date: str
    vendor_ship_date: str
    carrier_code: str
    inbound_carrier_code: str
    prebook_id: Any = None
    prebook_number: Any = None
    purchase_order_numbers: str = ""
    purchase_order_id: Any = None
    purchase_order_number: Any = None
    purchase_order_status: Any = None
    purchase_order_message: str = ""
    lines: list[OrderLine] = field(default_factory=list)

    def to_dict(self) -> JSONDict:
        """Return the result with camelCase keys, ready for ``json.dumps``."""
        return _camel_case(asdict(self))


def _camel_case(value: Any) -> Any:
    if isinstance(value, dict):
        return {_camel_key(key): _camel_case(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_camel_case(item) for item in value]
    return value


def _camel_key(key: str) -> str:
    first, *rest = key.split("_")
    return first + "".join(part.capitalize() for part in rest)


def choose_products(
    rng: random.Random, line_count: int, with_unknown: bool
) -> list[FarmProduct]:
    """Pick distinct products for an order, with the unmapped variety last when requested."""
    if not MIN_ORDER_LINES <= line_count <= MAX_ORDER_LINES:
        raise ValueError(
            f"invalid line count {line_count}: expected {MIN_ORDER_LINES} to {MAX_ORDER_LINES}"
        )
    known_count = line_count - 1 if with_unknown else line_count
    products = rng.sample(KNOWN_PRODUCTS, known_count)
    if with_unknown:
        products.append(UNKNOWN_PRODUCT)
    return products


def build_order_line(
    product: FarmProduct, box_type: JSONDict, mark_code: str, rng: random.Random
) -> OrderLine:
    """Return an order line of 1-4 boxes, packed for the box type's full-box equivalent."""
    try:
        fbe = float(box_type.get("fbe") or 0.5)
    except (TypeError, ValueError):
        fbe = 0.5
    return OrderLine(
        product_code=product.code,
        product_description=product.description,
        box_type_code=str(box_type.get("code") or "HB"),
        unit_type=product.unit_type,
        boxes=rng.randint(1, 4),
        bunches=product.bunches_per_box(fbe if fbe > 0 else 0.5),
        stems_bunch=product.stems_per_bunch,
        cost=product.cost,
        mark_code=mark_code,
    )


def _is_active(record: JSONDict) -> bool:
    active = record.get("active", 1)
    return active not in (0, "0", False, "false", "False")


def _is_inbound(carrier: JSONDict) -> bool:
    kind = carrier.get("type") or carrier.get("carrierType") or ""
    return "inbound" in str(kind).lower()


def pick_carrier(carriers: list[JSONDict], wanted_code: str | None, *, inbound: bool) -> JSONDict:
    """Pick a carrier from ``carrier.list``.

    A wanted code must exist. Otherwise, when the portal sends a ``type`` field, an inbound
    carrier (freight forwarder) is picked for POs and a non-inbound one for prebooks. Without
    that field, POs get the last active carrier and prebooks the first, so that the two
    differ whenever the list has more than one carrier. Raises ValueError when none fits.
    """
    if wanted_code:
        for carrier in carriers:
            if str(carrier.get("code", "")).upper() == wanted_code.upper():
                return carrier
        codes = ", ".join(str(carrier.get("code")) for carrier in carriers) or "none"
        raise ValueError(f"carrier {wanted_code!r} not found in carrier.list (codes: {codes})")

    active = [carrier for carrier in carriers if _is_active(carrier)] or carriers
    if not active:
        raise ValueError("carrier.list returned no carriers: add one in the portal first")
    inbound_carriers = [carrier for carrier in active if _is_inbound(carrier)]
    if inbound:
        return inbound_carriers[0] if inbound_carriers else active[-1]
    others = [carrier for carrier in active if not _is_inbound(carrier)]
    return (others or active)[0]


def pick_box_type(box_types: list[JSONDict], wanted_code: str | None) -> JSONDict:
    """Pick a box type from ``boxtype.list``: the wanted code, else HB, else QB, else the first.

    Raises ValueError when the wanted code is missing or the list is empty.
    """
    by_code = {str(box_type.get("code", "")).upper(): box_type for box_type in box_types}
    if wanted_code:
        if wanted_code.upper() in by_code:
            return by_code[wanted_code.upper()]
        codes = ", ".join(by_code) or "none"
        raise ValueError(f"box type {wanted_code!r} not found in boxtype.list (codes: {codes})")
    for preferred in ("HB", "QB"):
        if preferred in by_code:
            return by_code[preferred]
    if not box_types:
        raise ValueError("boxtype.list returned no box types: add one in the portal first")
    return box_types[0]
