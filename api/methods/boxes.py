"""Shipping and box methods: AWB reports, box code changes and warehouse receiving."""

from typing import Any

from api import serializers as s
from api.base import ApiCall, KometMethod
from api.envelope import ApiError, Conflict, NotFound
from catalog.models import Vendor
from orders.services.boxes import (
    ShipmentError,
    box_code_normalize,
    box_codes_change,
    po_item_ship,
    shipment_record,
)
from orders.services.purchase_order_intake import purchase_order_ship_if_complete
from sync.models import ExchangeKind

RESULT_LIST = "purchaseOrderItemDetailsAWBAddAPIResultList"


def _company_vendor(call: ApiCall, data: dict[str, Any]) -> Vendor | None:
    """Return the vendor whose lines a call may touch: the farm, or `vendorId` if given."""
    if call.is_vendor:
        return call.vendor
    vendor_id = data.get("vendorId")
    if vendor_id is None:
        return None
    vendor = Vendor.objects.filter(pk=vendor_id).first()
    if vendor is None:
        raise NotFound(f"vendorId: no vendor with id {vendor_id}.")
    return vendor


class PurchaseOrderItemsAwbAdd(KometMethod):
    """Ship several PO lines on an AWB; each line succeeds or fails on its own."""

    name = "purchase.order.items.awb.add"
    input_serializer = s.ShipmentInput
    ledger_kind = ExchangeKind.SHIPMENT_RECEIVED

    def handle(self, call: ApiCall, data: dict[str, Any]) -> dict[str, Any]:
        outcomes = shipment_record(
            farm=_company_vendor(call, data), lines=data["poItems"], actor_label=call.actor_label
        )
        results = [
            {
                "poItemId": o.po_item_id,
                "status": int(o.ok),
                "message": o.message,
                "boxCodes": o.box_codes,
                "lotNumber": o.lot_number,
                "newPOItemId": o.new_po_item_id,
            }
            for o in outcomes
        ]
        shipped = sum(o.ok for o in outcomes)
        message = f"{shipped} of {len(outcomes)} PO item(s) added to the AWB."
        if not shipped:
            raise ApiError(message, **{RESULT_LIST: results})
        first = next(o for o in outcomes if o.ok)
        call.purchase_order_id = first.purchase_order.pk
        return {"message": message, RESULT_LIST: results}


class PurchaseOrderItemAwbAdd(KometMethod):
    """Ship one PO line on an AWB."""

    name = "purchase.order.item.awb.add"
    input_serializer = s.ShipmentLineInput
    ledger_kind = ExchangeKind.SHIPMENT_RECEIVED

    def handle(self, call: ApiCall, data: dict[str, Any]) -> dict[str, Any]:
        try:
            outcome = po_item_ship(
                farm=call.vendor if call.is_vendor else None,
                po_item_id=data["poItemId"],
                awb=data["awb"],
                house_awb=data.get("houseAWB") or "",
                ship_date=data["shipDate"],
                box_codes=data.get("boxCodes") or [],
                lot_number=data.get("lotNumber") or "",
                actor_label=call.actor_label,
            )
        except ShipmentError as error:
            cls = {"not_found": NotFound, "conflict": Conflict}.get(error.kind, ApiError)
            raise cls(f"poItemId {data['poItemId']}: {error.message}") from None
        call.purchase_order_id = outcome.purchase_order.pk
        purchase_order_ship_if_complete(po=outcome.purchase_order, actor_label=call.actor_label)
        result: dict[str, Any] = {
            "message": outcome.message,
            "boxCodes": outcome.box_codes,
            "lotNumber": outcome.lot_number,
        }
        if outcome.new_po_item_id:
            result["newPOItemId"] = outcome.new_po_item_id
        return result


class BoxCodeChange(KometMethod):
    """Replace box codes, for example with the farm's own label codes."""

    name = "box.code.change"
    input_serializer = s.BoxCodeChangeInput

    def handle(self, call: ApiCall, data: dict[str, Any]) -> dict[str, Any]:
        pairs = [(box["currentBoxCode"], box["newBoxCode"]) for box in data["boxes"]]
        seen: set[str] = set()
        for index, (_current, new) in enumerate(pairs):
            if box_code_normalize(new) in seen:
                raise ApiError(f"boxes[{index}].newBoxCode {new!r}: sent twice in this request.")
            seen.add(box_code_normalize(new))
        outcomes = box_codes_change(
            farm=call.vendor if call.is_vendor else None,
            changes=pairs,
            actor_label=call.actor_label,
        )
        changed = sum(o.ok for o in outcomes)
        boxes = [
            {
                "currentBoxCode": o.current_code,
                "newBoxCode": o.new_code,
                "status": int(o.ok),
                "message": o.message,
            }
            for o in outcomes
        ]
        message = f"{changed} box code(s) changed, {len(outcomes) - changed} not changed."
        if not changed:
            raise ApiError(message, boxes=boxes)
        return {"message": message, "boxes": boxes}


class BoxWarehouseReceive(KometMethod):
    """Mark a box received at the warehouse by its label code (`receiving.services`)."""

    name = "box.warehouse.receive"
    input_serializer = s.BoxReceiveInput

    def handle(self, call: ApiCall, data: dict[str, Any]) -> dict[str, Any]:
        from receiving.services import box_receive

        code = data["boxCode"]
        result = box_receive(
            code=code, user=None, actor_label=call.actor_label, location=data.get("position") or ""
        )
        # The scan log row the service writes is kept even when the scan is refused.
        if result.outcome == "unknown":
            raise NotFound(f"boxCode {code!r}: {result.message}", keep_writes=True)
        if result.outcome == "other_awb":
            raise Conflict(f"boxCode {code!r}: {result.message}", keep_writes=True)
        return {"message": result.message, "outcome": result.outcome}


METHODS = [PurchaseOrderItemsAwbAdd, PurchaseOrderItemAwbAdd, BoxCodeChange, BoxWarehouseReceive]
