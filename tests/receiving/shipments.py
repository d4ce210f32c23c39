"""Shipped boxes for the label and receiving tests: a PO line bought for a prebook line."""

import datetime
from decimal import Decimal

from django.contrib.auth.models import Group

from accounts.roles import WAREHOUSE
from accounts.services import role_groups_sync
from orders.models import Box, PurchaseOrder, PurchaseOrderItem
from tests.factories import (
    BoxTypeFactory,
    CustomerFactory,
    PrebookItemFactory,
    PurchaseOrderFactory,
    PurchaseOrderItemFactory,
    UserFactory,
    VendorFactory,
)

SHIP_DATE = datetime.date(2026, 12, 1)
AWB = "36912345675"
OTHER_AWB = "04512345675"


def staff_user(username: str, **fields):
    """A user whose password is saved, so ``force_login`` sessions stay valid."""
    user = UserFactory(username=username, **fields)
    # UserFactory sets the password after saving and skips the second save.
    user.save()
    return user


def warehouse_user(username: str = "warehouse"):
    """A staff user in the Warehouse role group (which may download labels and scan)."""
    role_groups_sync()
    user = staff_user(username)
    user.groups.add(Group.objects.get(name=WAREHOUSE))
    return user


def shipment_create(
    *,
    boxes: int = 3,
    awb: str = AWB,
    code_prefix: str = "BX",
    purchase_order: PurchaseOrder | None = None,
    vendor_name: str = "Flores de la Sabana",
    product_description: str = "Rose Freedom Red 50cm",
    box_type: str = "HB",
    customer_name: str = "Miami Blooms Wholesale",
    mark_code: str = "MB-07",
    ship_date: datetime.date = SHIP_DATE,
) -> PurchaseOrderItem:
    """Create a PO line with ``boxes`` shipped boxes numbered 1..N on ``awb``."""
    fbe = {"FB": "1", "HB": "0.5", "QB": "0.25", "EB": "0.125"}[box_type]
    box_type_row = BoxTypeFactory(code=box_type, fbe=Decimal(fbe))
    if purchase_order is None:
        vendor = VendorFactory(code=f"V{code_prefix}", name=vendor_name)
        purchase_order = PurchaseOrderFactory(
            vendor=vendor, ship_date=ship_date, status=PurchaseOrder.Status.SHIPPED
        )
    prebook_item = PrebookItemFactory(
        vendor=purchase_order.vendor,
        prebook__customer=CustomerFactory(code=f"C{code_prefix}", name=customer_name),
        mark_code=mark_code,
        box_type=box_type_row,
    )
    item = PurchaseOrderItemFactory(
        purchase_order=purchase_order,
        prebook_item=prebook_item,
        product__description=product_description,
        box_type=box_type_row,
        boxes=boxes,
        bunches=12,
        stems_per_bunch=25,
    )
    Box.objects.bulk_create(
        Box(
            code=f"{code_prefix}{index:06d}",
            po_item=item,
            sequence=index,
            awb=awb,
            house_awb="MIA-778",
            lot_number="120001",
            ship_date=ship_date,
        )
        for index in range(1, boxes + 1)
    )
    return item
