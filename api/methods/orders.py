"""Write methods for prebooks and purchase orders."""

from typing import Any

from api import serializers as s
from api.base import ApiCall, KometMethod
from api.envelope import ApiError, Conflict, NotFound
from orders.services import intake, purchase_order_intake
from orders.services.codes import IntakeError
from sync.models import ExchangeKind

ERROR_CLASSES = {"invalid": ApiError, "not_found": NotFound, "conflict": Conflict}


def intake_error(error: IntakeError) -> ApiError:
    return ERROR_CLASSES.get(error.kind, ApiError)(error.message)


class PrebookCreate(KometMethod):
    """Create a prebook with its lines (and, on request, its POs)."""

    name = "prebook.create"
    input_serializer = s.PrebookCreateInput
    ledger_kind = ExchangeKind.PREBOOK_RECEIVED

    def handle(self, call: ApiCall, data: dict[str, Any]) -> dict[str, Any]:
        try:
            result = intake.prebook_intake(
                farm=call.vendor if call.is_vendor else None,
                data=data,
                actor_label=call.actor_label,
            )
        except IntakeError as error:
            raise intake_error(error) from None
        prebook = result.prebook
        call.prebook_id = prebook.pk
        if result.purchase_orders:
            call.purchase_order_id = result.purchase_orders[0].pk
        held = sum(1 for line in result.lines if line.item.hold_reason)
        message = "Prebook was successfully created."
        if held:
            message += f" {held} line(s) kept but held until their codes are mapped."
        return {
            "message": message,
            "prebookId": prebook.pk,
            "prebookNumber": prebook.number,
            "purchaseOrderNumbers": ",".join(po.number for po in result.purchase_orders),
            "prebookItems": [
                {
                    "prebookItemId": line.item.pk,
                    "productCode": (
                        line.item.vendor_product.code
                        if line.item.vendor_product
                        else (line.item.product.legacy_code if line.item.product else "")
                    ),
                    "status": 1,
                    "message": line.message,
                }
                for line in result.lines
            ],
        }


class _PurchaseOrderCreateBase(KometMethod):
    ledger_kind = ExchangeKind.PO_RECEIVED
    service = staticmethod(purchase_order_intake.purchase_order_intake)

    def handle(self, call: ApiCall, data: dict[str, Any]) -> dict[str, Any]:
        farm = call.vendor if call.is_vendor else None
        try:
            result = type(self).service(farm=farm, data=data, actor_label=call.actor_label)
        except IntakeError as error:
            raise intake_error(error) from None
        po = result.purchase_order
        call.purchase_order_id = po.pk
        message = f"Purchase order {po.number} was successfully created ({po.status})."
        return {
            "message": message,
            "purchaseOrderId": po.pk,
            "purchaseOrderNumber": po.number,
            "purchaseOrderStatus": po.status,
            "poItems": [
                {
                    "poItemId": line.item.pk,
                    "prebookItemId": line.prebook_item_id,
                    "status": 1,
                    "message": line.message,
                }
                for line in result.lines
            ],
        }


class PurchaseOrderCreate(_PurchaseOrderCreateBase):
    """Create a PO from prebook lines, or a standalone PO."""

    name = "purchase.order.create"
    input_serializer = s.PurchaseOrderCreateInput


class PurchaseOrderMixedCreate(_PurchaseOrderCreateBase):
    """Create a PO of mixed boxes, each with product breakdowns."""

    name = "purchase.order.mixed.create"
    input_serializer = s.PurchaseOrderMixedCreateInput
    service = staticmethod(purchase_order_intake.purchase_order_mixed_intake)


class PrebookItemDelete(KometMethod):
    """Delete a prebook line; a farm's token sets its boxes to 0 instead."""

    name = "prebook.item.delete"
    input_serializer = s.PrebookItemDeleteInput

    def handle(self, call: ApiCall, data: dict[str, Any]) -> dict[str, Any]:
        try:
            intake.prebook_item_remove(
                farm=call.vendor if call.is_vendor else None,
                prebook_id=data["prebookId"],
                item_id=data["prebookItemId"],
                actor_label=call.actor_label,
            )
        except IntakeError as error:
            raise intake_error(error) from None
        call.prebook_id = data["prebookId"]
        return {"message": "success"}


class PrebookDelete(KometMethod):
    """Delete a whole prebook that no PO line refers to."""

    name = "prebook.delete"
    input_serializer = s.PrebookDeleteInput

    def handle(self, call: ApiCall, data: dict[str, Any]) -> dict[str, Any]:
        try:
            intake.prebook_remove(prebook_id=data["prebookId"], actor_label=call.actor_label)
        except IntakeError as error:
            raise intake_error(error) from None
        return {"message": "The prebook was successfully deleted."}


class PurchaseOrderItemDelete(KometMethod):
    """Delete an open PO line (it is kept, marked deleted)."""

    name = "purchase.order.item.delete"
    input_serializer = s.PurchaseOrderItemDeleteInput

    def handle(self, call: ApiCall, data: dict[str, Any]) -> dict[str, Any]:
        try:
            item = purchase_order_intake.purchase_order_item_remove(
                farm=call.vendor if call.is_vendor else None,
                item_id=data["poItemId"],
                actor_label=call.actor_label,
            )
        except IntakeError as error:
            raise intake_error(error) from None
        call.purchase_order_id = item.purchase_order_id
        return {"message": "OK"}


METHODS = [
    PrebookCreate,
    PurchaseOrderCreate,
    PurchaseOrderMixedCreate,
    PrebookItemDelete,
    PrebookDelete,
    PurchaseOrderItemDelete,
]
