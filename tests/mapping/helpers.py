"""Builders for held prebooks and POs shared by the mapping tests."""

from decimal import Decimal

from catalog.models import Product
from mapping.models import VendorProduct
from orders.models import Prebook, PrebookItem, PurchaseOrder, PurchaseOrderItem
from orders.services.holds import prebook_refresh_holds, purchase_order_refresh_holds
from tests.factories import (
    PrebookFactory,
    PrebookItemFactory,
    PurchaseOrderFactory,
    PurchaseOrderItemFactory,
    VendorFactory,
)


def catalogue_product(**fields) -> Product:
    defaults = {
        "legacy_code": "RS-FREEDOM-50",
        "description": "Rose Freedom Red 50cm",
        "category": "Roses",
        "variety": "Freedom",
        "color": "Red",
        "grade": "50cm",
    }
    defaults.update(fields)
    return Product.objects.create(**defaults)


def held_documents(
    vendor_product: VendorProduct, *, boxes: int = 4
) -> tuple[Prebook, PrebookItem, PurchaseOrder, PurchaseOrderItem]:
    """Create a prebook line and the farm's PO line, both held by `vendor_product`."""
    vendor = vendor_product.vendor
    prebook_item = PrebookItemFactory(
        vendor=vendor, product=None, vendor_product=vendor_product, boxes=boxes
    )
    po_item = PurchaseOrderItemFactory(
        purchase_order=PurchaseOrderFactory(vendor=vendor),
        prebook_item=prebook_item,
        product=None,
        vendor_product=vendor_product,
        boxes=boxes,
        cost=Decimal("0.280"),
    )
    prebook_refresh_holds(prebook_item.prebook)
    purchase_order_refresh_holds(po_item.purchase_order)
    prebook_item.refresh_from_db()
    po_item.refresh_from_db()
    return prebook_item.prebook, prebook_item, po_item.purchase_order, po_item


def plain_prebook(vendor=None) -> Prebook:
    prebook = PrebookFactory()
    PrebookItemFactory(prebook=prebook, vendor=vendor or VendorFactory())
    return prebook
