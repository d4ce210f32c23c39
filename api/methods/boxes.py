"""Shipping and box methods: AWB reports, box code changes and warehouse receiving."""

from typing import Any

from rest_framework.exceptions import ValidationError

from api import serializers as s
from api.base import ApiCall, KometMethod
from api.envelope import ApiError, Conflict, NotFound
from catalog.models import Vendor
from orders.services.boxes import (
    CodeChangeOutcome,
    ShipmentError,
    ShipmentOutcome,
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


def _sent_po_item_id(item: Any) -> int | None:
    """Return the `poItemId` of a rejected item as an integer, or None if it is not a valid id."""
    value = item.get("poItemId") if isinstance(item, dict) else None
    try:
        return s.Id(required=True).run_validation(value)
    except ValidationError:
        return None


def _shipment_result(outcome: ShipmentOutcome) -> dict[str, Any]:
    return {
        "poItemId": outcome.po_item_id,
        "status": int(outcome.ok),
        "message": outcome.message,
        "boxCodes": outcome.box_codes,
        "lotNumber": outcome.lot_number,
        "newPOItemId": outcome.new_po_item_id,
    }


class PurchaseOrderItemsAwbAdd(KometMethod):
    """Ship several PO lines on an AWB; each line succeeds or fails on its own."""

    name = "purchase.order.items.awb.add"
    input_serializer = s.ShipmentInput
    ledger_kind = ExchangeKind.SHIPMENT_RECEIVED

    def handle(self, call: ApiCall, data: dict[str, Any]) -> dict[str, Any]:
        items = data["poItems"]
        # Items that failed validation are reported as failed lines and never reach the service.
        outcomes: list[ShipmentOutcome | None] = [
            ShipmentOutcome(po_item_id=_sent_po_item_id(item.data), ok=False, message=item.message)
            if isinstance(item, s.RejectedItem)
            else None
            for item in items
        ]
        indexes = [index for index, outcome in enumerate(outcomes) if outcome is None]
        shipped_outcomes = shipment_record(
            farm=_company_vendor(call, data),
            lines=[items[index] for index in indexes],
            line_indexes=indexes,
            actor_label=call.actor_label,
        )
        for index, outcome in zip(indexes, shipped_outcomes, strict=True):
            outcomes[index] = outcome
        results = [_shipment_result(outcome) for outcome in outcomes]
        shipped = sum(outcome.ok for outcome in outcomes)
        message = f"{shipped} of {len(outcomes)} PO item(s) added to the AWB."
        if not shipped:
            raise ApiError(message, **{RESULT_LIST: results})
        first = next(outcome for outcome in outcomes if outcome.ok)
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


def _sent_text(item: Any, key: str) -> str | None:
    value = item.get(key) if isinstance(item, dict) else None
    return value if isinstance(value, str) else None


def _code_change_result(outcome: CodeChangeOutcome) -> dict[str, Any]:
    return {
        "currentBoxCode": outcome.current_code,
        "newBoxCode": outcome.new_code,
        "status": int(outcome.ok),
        "message": outcome.message,
    }


def _code_change_failure(
    item: Any, index: int, first_index: dict[str, int]
) -> CodeChangeOutcome | None:
    """Return the failed outcome of box `index` if it fails before any box changes, else None.

    `first_index` maps each normalized new code seen so far to the first box that sent
    it. A later box that sends the same new code fails.
    """
    if isinstance(item, s.RejectedItem):
        current = _sent_text(item.data, "currentBoxCode")
        return CodeChangeOutcome(current, _sent_text(item.data, "newBoxCode"), False, item.message)
    new = box_code_normalize(item["newBoxCode"])
    if new in first_index:
        message = (
            f"boxes[{index}].newBoxCode {item['newBoxCode']!r}: sent twice in this request "
            f"(first in boxes[{first_index[new]}])."
        )
        return CodeChangeOutcome(item["currentBoxCode"], new, False, message)
    first_index[new] = index
    return None


class BoxCodeChange(KometMethod):
    """Replace box codes, for example with the farm's own label codes."""

    name = "box.code.change"
    input_serializer = s.BoxCodeChangeInput

    def handle(self, call: ApiCall, data: dict[str, Any]) -> dict[str, Any]:
        items = data["boxes"]
        first_index: dict[str, int] = {}
        outcomes = [
            _code_change_failure(item, index, first_index) for index, item in enumerate(items)
        ]
        indexes = [index for index, outcome in enumerate(outcomes) if outcome is None]
        changed_outcomes = box_codes_change(
            farm=call.vendor if call.is_vendor else None,
            changes=[(items[i]["currentBoxCode"], items[i]["newBoxCode"]) for i in indexes],
            indexes=indexes,
            actor_label=call.actor_label,
        )
        for index, outcome in zip(indexes, changed_outcomes, strict=True):
            outcomes[index] = outcome
        changed = sum(outcome.ok and outcome.changed for outcome in outcomes)
        unchanged = sum(outcome.ok and not outcome.changed for outcome in outcomes)
        failed = len(outcomes) - changed - unchanged
        boxes = [_code_change_result(outcome) for outcome in outcomes]
        message = f"{changed} box code(s) changed, {failed} not changed"
        if unchanged:
            message += f", {unchanged} already had the new code"
        message += "."
        if not changed and not unchanged:
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
