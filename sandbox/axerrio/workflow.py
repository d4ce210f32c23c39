"""The sandbox farm's ERP actions on the portal: orders, POs for prebooks, shipping, polling.

Every action is idempotent by prebook item id and PO id, so a push and a poll for the same
document, or a repeated push, act once.
"""

from __future__ import annotations

import logging
import random
import threading
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sandbox.axerrio.client import JSONDict, PortalClient, PortalError, status_ok
from sandbox.axerrio.labels import BoxCodeGenerator, ShippingDocuments
from sandbox.axerrio.orders import (
    OrderResult,
    build_order_line,
    choose_products,
    pick_box_type,
    pick_carrier,
)

logger = logging.getLogger(__name__)

# A PO or prebook line that failed this many times is left alone until the farm restarts.
MAX_ATTEMPTS = 3
# updatedAsOf is moved back by this much so that changes near a poll boundary are not lost.
POLL_OVERLAP = timedelta(seconds=60)
UPDATED_AS_OF_FORMAT = "%Y-%m-%d %H:%M:%S"


def id_key(value: Any) -> str | None:
    """Return an id as a string key, so that ``1056`` and ``"1056"`` match."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    if text.isdigit():
        return str(int(text))
    return text


def as_int(value: Any, default: int = 0) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return default


def _id_value(value: Any) -> Any:
    """Return an id as an integer when it is all digits, else unchanged."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value


def utc_timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FarmWorkflow:
    """The farm's reactions and its own orders, shared by the push worker and the poller."""

    def __init__(
        self,
        client: PortalClient,
        *,
        customer_code: str | None = None,
        customer_name: str | None = None,
        poll_window_days: int = 7,
        auto_ship: bool = True,
        rename_box: bool = False,
        awb_prefix: str = "369",
        carrier_code: str | None = None,
        inbound_carrier_code: str | None = None,
        box_type_code: str | None = None,
        seed: int | None = None,
    ) -> None:
        if poll_window_days < 1:
            raise ValueError(f"invalid poll window {poll_window_days}: expected 1 or more days")
        self.client = client
        self.customer_code = customer_code
        self.customer_name = customer_name
        self.poll_window_days = poll_window_days
        self.auto_ship = auto_ship
        self.rename_box = rename_box
        self.carrier_code = carrier_code
        self.inbound_carrier_code = inbound_carrier_code
        self.box_type_code = box_type_code

        self._rng = random.Random(seed)
        self.box_codes = BoxCodeGenerator()
        self.documents = ShippingDocuments(awb_prefix, random.Random(seed))

        # _act_lock makes the worker, the poller and place_order take turns, so none of them
        # creates a PO or ships twice for the same prebook item or PO.
        self._act_lock = threading.RLock()
        self._po_item_by_prebook_item: dict[str, Any] = {}
        self._cancelled_prebook_items: set[str] = set()
        self._shipped_po_ids: set[str] = set()
        self._cancelled_po_ids: set[str] = set()
        self._attempts: defaultdict[str, int] = defaultdict(int)
        self._carriers: list[JSONDict] | None = None
        self._last_poll: datetime | None = None
        self._actions_lock = threading.Lock()
        self._actions: list[JSONDict] = []

    def actions(self) -> list[JSONDict]:
        """Return what the farm did on the portal (POs created, POs shipped, boxes renamed)."""
        with self._actions_lock:
            return [dict(action) for action in self._actions]

    def _record_action(self, action: JSONDict) -> None:
        action["at"] = utc_timestamp()
        with self._actions_lock:
            self._actions.append(action)

    def act_on_event(self, event_type: str, data: JSONDict) -> None:
        """React to one pushed or polled document. A repeated call for it changes nothing."""
        status = str(data.get("status") or "")
        if event_type == "purchase_order.approved":
            self.ship_purchase_order(data)
        elif event_type == "purchase_order.changed":
            if status == "Approved":
                self.ship_purchase_order(data)
            elif status == "Cancelled":
                self._cancel_purchase_order(data)
            else:
                logger.info("PO %s changed, status %r: nothing to do", data.get("number"),
                            status)
        elif event_type == "purchase_order.cancelled":
            self._cancel_purchase_order(data)
        elif event_type in ("prebook.created", "prebook.changed"):
            self.create_purchase_orders(data)
        elif event_type == "prebook.cancelled":
            self._cancel_prebook(data)

    def _cancel_purchase_order(self, purchase_order: JSONDict) -> None:
        po_id = id_key(purchase_order.get("id"))
        if po_id is None:
            return
        with self._act_lock:
            self._cancelled_po_ids.add(po_id)
        logger.info("PO %s cancelled: it will not be shipped", purchase_order.get("number"))

    def _cancel_prebook(self, prebook: JSONDict) -> None:
        with self._act_lock:
            for detail in prebook.get("details") or []:
                item_id = id_key(detail.get("prebookItemId"))
                if item_id is not None:
                    self._cancelled_prebook_items.add(item_id)
        logger.info("prebook %s cancelled: no PO will be created for it",
                    prebook.get("number"))

    # Flow 2: a PO for each new prebook line

    def create_purchase_orders(self, prebook: JSONDict) -> list[JSONDict]:
        """Create POs for the prebook's lines that have none yet, one PO per vendor ship date.

        Each PO line links its ``prebookItemId`` and repeats the line's boxes, box type, unit
        type, bunches, stems per bunch and cost. Returns the actions taken.
        """
        actions: list[JSONDict] = []
        with self._act_lock:
            lines_by_ship_date: dict[str, list[JSONDict]] = defaultdict(list)
            for detail in prebook.get("details") or []:
                item_id = id_key(detail.get("prebookItemId"))
                if item_id is None or not self._needs_purchase_order(item_id, detail):
                    continue
                ship_date = str(
                    detail.get("vendorShipDate") or prebook.get("truckDate") or date.today()
                )
                lines_by_ship_date[ship_date].append(detail)
            if not lines_by_ship_date:
                return actions

            try:
                inbound = self._inbound_carrier_code()
            except (PortalError, ValueError) as exc:
                logger.error("failed to create a PO for prebook %s: %s", prebook.get("number"), exc)
                self._count_attempts(lines_by_ship_date.values())
                return actions

            for ship_date, details in sorted(lines_by_ship_date.items()):
                action = self._create_purchase_order(prebook, ship_date, inbound, details)
                if action is not None:
                    actions.append(action)
        return actions

    def _needs_purchase_order(self, item_id: str, detail: JSONDict) -> bool:
        if item_id in self._po_item_by_prebook_item or item_id in self._cancelled_prebook_items:
            return False
        if self._attempts[f"prebook-item:{item_id}"] >= MAX_ATTEMPTS:
            return False
        return as_int(detail.get("totalBoxes")) > 0

    def _count_attempts(self, groups: Any) -> None:
        for details in groups:
            for detail in details:
                self._attempts[f"prebook-item:{id_key(detail.get('prebookItemId'))}"] += 1

    def _create_purchase_order(
        self, prebook: JSONDict, ship_date: str, inbound: str, details: list[JSONDict]
    ) -> JSONDict | None:
        body = {
            "shipDate": ship_date,
            "carrierCode": inbound,
            "purchaseOrderItems": [purchase_order_item_from_detail(d) for d in details],
        }
        try:
            answer = self.client.create_purchase_order(body)
        except PortalError as exc:
            if exc.http_status == 409:
                return self._resolve_conflict(prebook, ship_date, inbound, details, exc)
            logger.error("purchase.order.create for prebook %s failed: %s",
                         prebook.get("number"), exc.message)
            self._count_attempts([details])
            return None

        results = {id_key(item.get("prebookItemId")): item for item in answer.get("poItems") or []}
        linked = []
        for detail in details:
            item_id = id_key(detail.get("prebookItemId"))
            result = results.get(item_id, {})
            if results and not status_ok(result.get("status")):
                logger.warning("prebook item %s not added to PO %s: %s", item_id,
                               answer.get("purchaseOrderNumber"), result.get("message"))
            # The line counts as handled either way, so a rejected line is not sent again.
            self._po_item_by_prebook_item[item_id] = result.get("poItemId")
            linked.append({"prebookItemId": detail.get("prebookItemId"),
                           "poItemId": result.get("poItemId")})
        logger.info("created PO %s for prebook %s (%d lines, ship date %s)",
                    answer.get("purchaseOrderNumber"), prebook.get("number"), len(details),
                    ship_date)
        action = {
            "action": "purchase_order.create",
            "prebookNumber": prebook.get("number"),
            "purchaseOrderId": answer.get("purchaseOrderId"),
            "purchaseOrderNumber": answer.get("purchaseOrderNumber"),
            "shipDate": ship_date,
            "items": linked,
        }
        self._record_action(action)
        return action

    def _resolve_conflict(
        self,
        prebook: JSONDict,
        ship_date: str,
        inbound: str,
        details: list[JSONDict],
        error: PortalError,
    ) -> JSONDict | None:
        """Handle HTTP 409: the portal already has a PO for a line (for example one made
        before this farm restarted and forgot it). Lines are retried one by one, and a line
        the portal still refuses is marked handled, so it is never ordered twice.
        """
        if len(details) > 1:
            actions = [
                self._create_purchase_order(prebook, ship_date, inbound, [detail])
                for detail in details
            ]
            done = [action for action in actions if action is not None]
            return done[0] if done else None
        item_id = id_key(details[0].get("prebookItemId"))
        self._po_item_by_prebook_item[item_id] = None
        logger.info("prebook item %s already ordered on the portal: %s", item_id, error.message)
        return None

    def _inbound_carrier_code(self) -> str:
        if self._carriers is None:
            self._carriers = self.client.list_carriers()
        carrier = pick_carrier(self._carriers, self.inbound_carrier_code, inbound=True)
        return str(carrier.get("code"))

    # Shipping approved POs

    def ship_purchase_order(
        self, purchase_order: JSONDict, *, force: bool = False
    ) -> JSONDict | None:
        """Label and ship an approved PO with ``purchase.order.items.awb.add``.

        Each box gets a farm box code, all lines share the day's master AWB, and the PO
        gets one house AWB and one lot number. Lines that already list boxes are skipped.
        Does nothing for a PO already shipped or cancelled, or when auto-ship is off and
        ``force`` is False. Returns the action taken, or None.
        """
        po_id = id_key(purchase_order.get("id"))
        number = purchase_order.get("number")
        if po_id is None:
            logger.warning("PO %s has no id: not shipped", number)
            return None
        if not (self.auto_ship or force):
            logger.info("PO %s approved; auto-ship is off, so it waits for POST /ship", number)
            return None

        with self._act_lock:
            if po_id in self._shipped_po_ids or po_id in self._cancelled_po_ids:
                return None
            if self._attempts[f"po:{po_id}"] >= MAX_ATTEMPTS:
                return None
            ship_date = str(purchase_order.get("shipDate") or date.today().isoformat())
            awb = self.documents.master_awb(ship_date)
            house_awb, lot_number = self.documents.next_shipment(ship_date)
            items = []
            for detail in purchase_order.get("details") or []:
                box_count = as_int(detail.get("totalBoxes"))
                if detail.get("boxes") or box_count <= 0 or detail.get("poItemId") is None:
                    continue
                items.append({
                    "poItemId": _id_value(detail.get("poItemId")),
                    "awb": awb,
                    "houseAWB": house_awb,
                    "shipDate": ship_date,
                    "boxCodes": [self.box_codes.next_code() for _ in range(box_count)],
                    "lotNumber": lot_number,
                })
            if not items:
                logger.info("PO %s has no boxes left to ship", number)
                self._shipped_po_ids.add(po_id)
                return None

            try:
                answer = self.client.add_awb(items)
            except PortalError as exc:
                self._attempts[f"po:{po_id}"] += 1
                logger.error("shipping PO %s failed (attempt %d of %d): %s", number,
                             self._attempts[f"po:{po_id}"], MAX_ATTEMPTS, exc.message)
                return None
            self._shipped_po_ids.add(po_id)

        results = answer.get("purchaseOrderItemDetailsAWBAddAPIResultList") or []
        for result in results:
            if not status_ok(result.get("status")):
                logger.warning("PO %s item %s not shipped: %s", number, result.get("poItemId"),
                               result.get("message"))
        box_count = sum(len(item["boxCodes"]) for item in items)
        logger.info("shipped PO %s: %d boxes on AWB %s, house AWB %s, lot %s", number,
                    box_count, awb, house_awb, lot_number)
        action = {
            "action": "purchase_order.ship",
            "purchaseOrderId": purchase_order.get("id"),
            "purchaseOrderNumber": number,
            "awb": awb,
            "houseAWB": house_awb,
            "lotNumber": lot_number,
            "items": [{"poItemId": item["poItemId"], "boxCodes": item["boxCodes"]}
                      for item in items],
        }
        self._record_action(action)
        if self.rename_box:
            self._rename_one_box(number, results, items)
        return action

    def _rename_one_box(self, number: Any, results: list[JSONDict], items: list[JSONDict]) -> None:
        """Relabel the first shipped box, as a farm does after reprinting a damaged label."""
        codes: list[str] = []
        for result in results:
            if status_ok(result.get("status")) and result.get("boxCodes"):
                codes = [str(code) for code in result["boxCodes"]]
                break
        if not codes:
            codes = list(items[0]["boxCodes"])
        old_code = codes[0]
        new_code = self.box_codes.next_code()
        try:
            answer = self.client.change_box_codes([(old_code, new_code)])
        except PortalError as exc:
            logger.error("renaming box %s of PO %s failed: %s", old_code, number, exc.message)
            return
        for box in answer.get("boxes") or []:
            if not status_ok(box.get("status")):
                logger.warning("box %s of PO %s not renamed: %s", old_code, number,
                               box.get("message"))
        logger.info("renamed box %s to %s on PO %s", old_code, new_code, number)
        self._record_action({"action": "box.code.change", "purchaseOrderNumber": number,
                             "currentBoxCode": old_code, "newBoxCode": new_code})

    def ship_purchase_order_number(self, number: str) -> list[JSONDict]:
        """Fetch a PO by number and ship it even when auto-ship is off, and return the actions."""
        actions = []
        for purchase_order in self.client.list_purchase_orders(number=number):
            if str(purchase_order.get("status") or "") != "Approved":
                logger.warning("PO %s is %r, not Approved: not shipped", number,
                               purchase_order.get("status"))
                continue
            action = self.ship_purchase_order(purchase_order, force=True)
            if action is not None:
                actions.append(action)
        return actions

    # Polling

    def poll_once(self) -> None:
        """Fetch changed prebooks and approved POs for the date window and act on them.

        The window runs from yesterday for ``poll_window_days`` days of vendor ship date.
        ``updatedAsOf`` only moves forward after a poll in which every PO creation worked.
        Raises PortalError when a list call fails.
        """
        started = datetime.now(UTC)
        first_day = started.date() - timedelta(days=1)
        days = [first_day + timedelta(days=offset) for offset in range(self.poll_window_days)]
        updated_as_of = (
            self._last_poll.strftime(UPDATED_AS_OF_FORMAT) if self._last_poll else None
        )
        prebooks = self.client.list_prebook_details(
            vendor_ship_date_from=days[0].isoformat(),
            vendor_ship_date_to=days[-1].isoformat(),
            updated_as_of=updated_as_of,
        )
        with self._act_lock:
            attempts_before = sum(self._attempts.values())
            for prebook in prebooks:
                self.create_purchase_orders(prebook)
            if sum(self._attempts.values()) == attempts_before:
                self._last_poll = started - POLL_OVERLAP

        if not self.auto_ship:
            return
        for day in days:
            for purchase_order in self.client.list_purchase_orders(
                date=day.isoformat(), status="Approved"
            ):
                self.ship_purchase_order(purchase_order)

    # Flow 1: the farm's own order

    def place_order(
        self,
        customer_code: str | None = None,
        *,
        customer_name: str | None = None,
        line_count: int = 3,
        with_unknown: bool = False,
        vendor_ship_date: date | None = None,
        truck_date: date | None = None,
        customer_po: str | None = None,
        comments: str | None = None,
    ) -> OrderResult:
        """Create a prebook of ``line_count`` (2-4) lines and a PO that links every line.

        The vendor ship date defaults to tomorrow and the truck date to two days after it.
        With ``with_unknown`` the last line is the variety the importer has not mapped.
        Raises ValueError for invalid arguments and PortalError when a portal call fails.
        """
        code = customer_code or self.customer_code
        if not code:
            raise ValueError("missing customer code: pass --customer or customer_code")
        name = customer_name or self.customer_name or code
        ship_day = vendor_ship_date or date.today() + timedelta(days=1)
        truck_day = truck_date or ship_day + timedelta(days=2)
        products = choose_products(self._rng, line_count, with_unknown)

        with self._act_lock:
            carriers = self.client.list_carriers()
            self._carriers = carriers
            box_types = self.client.list_box_types()
            carrier = pick_carrier(carriers, self.carrier_code, inbound=False)
            inbound = pick_carrier(carriers, self.inbound_carrier_code, inbound=True)
            box_type = pick_box_type(box_types, self.box_type_code)
            lines = [build_order_line(p, box_type, code[:20], self._rng) for p in products]
            result = OrderResult(
                customer_code=code,
                truck_date=truck_day.isoformat(),
                vendor_ship_date=ship_day.isoformat(),
                carrier_code=str(carrier.get("code")),
                inbound_carrier_code=str(inbound.get("code")),
                lines=lines,
            )

            prebook_answer = self.client.create_prebook({
                "customerCode": code,
                "customerDescription": name,
                "carrierCode": result.carrier_code,
                "carrierDescription": str(carrier.get("name") or result.carrier_code),
                "shipDate": result.truck_date,
                "customerPO": customer_po or f"SBX{datetime.now(UTC):%m%d%H%M%S}",
                "comments": comments if comments is not None else "Sandbox farm order",
                "prebookItems": [line.prebook_item(result.vendor_ship_date) for line in lines],
            })
            result.prebook_id = prebook_answer.get("prebookId")
            result.prebook_number = prebook_answer.get("prebookNumber")
            result.purchase_order_numbers = str(prebook_answer.get("purchaseOrderNumbers") or "")
            self._apply_prebook_items(result, prebook_answer.get("prebookItems") or [])

            linked = [line for line in lines if line.prebook_item_id is not None]
            if not linked:
                raise PortalError(
                    "prebook.create", "the response has no prebookItemId for any line",
                    payload=prebook_answer,
                )
            po_answer = self.client.create_purchase_order({
                "shipDate": result.vendor_ship_date,
                "carrierCode": result.inbound_carrier_code,
                "purchaseOrderItems": [line.purchase_order_item() for line in linked],
            })
            result.purchase_order_id = po_answer.get("purchaseOrderId")
            result.purchase_order_number = po_answer.get("purchaseOrderNumber")
            result.purchase_order_status = po_answer.get("status")
            result.purchase_order_message = str(po_answer.get("message") or "")
            self._apply_po_items(result, po_answer.get("poItems") or [])

        logger.info("placed prebook %s and PO %s for customer %s (%d lines)",
                    result.prebook_number, result.purchase_order_number, code, len(lines))
        self._record_action({
            "action": "order.place",
            "prebookNumber": result.prebook_number,
            "purchaseOrderNumber": result.purchase_order_number,
            "customerCode": code,
        })
        return result

    def _apply_prebook_items(self, result: OrderResult, items: list[JSONDict]) -> None:
        # The portal returns prebookItems in the order they were sent.
        if len(items) != len(result.lines):
            logger.warning("prebook %s: sent %d lines, the response lists %d",
                           result.prebook_number, len(result.lines), len(items))
        for line, item in zip(result.lines, items, strict=False):
            line.prebook_item_id = item.get("prebookItemId")
            line.prebook_item_status = item.get("status")
            line.prebook_item_message = str(item.get("message") or "")
            item_id = id_key(line.prebook_item_id)
            if item_id is not None:
                # Claimed now, so a prebook.created push for this prebook creates no second PO.
                self._po_item_by_prebook_item.setdefault(item_id, None)
            if not status_ok(item.get("status")):
                logger.warning("prebook line %s rejected: %s", line.product_code,
                               line.prebook_item_message)
            elif line.prebook_item_message.upper() not in ("", "OK", "SUCCESS"):
                logger.info("prebook line %s: %s", line.product_code, line.prebook_item_message)

    def _apply_po_items(self, result: OrderResult, items: list[JSONDict]) -> None:
        by_prebook_item = {id_key(item.get("prebookItemId")): item for item in items}
        for line in result.lines:
            item_id = id_key(line.prebook_item_id)
            item = by_prebook_item.get(item_id)
            if item is None:
                continue
            line.po_item_id = item.get("poItemId")
            line.po_item_status = item.get("status")
            line.po_item_message = str(item.get("message") or "")
            if item_id is not None:
                self._po_item_by_prebook_item[item_id] = line.po_item_id


def purchase_order_item_from_detail(detail: JSONDict) -> JSONDict:
    """Return the ``purchaseOrderItems[]`` element for one ``prebook.details.list`` line."""
    return {
        "prebookItemId": _id_value(detail.get("prebookItemId")),
        "productCode": detail.get("productCode"),
        "productDescription": detail.get("productDescription"),
        "boxTypeCode": detail.get("boxType"),
        "unitType": detail.get("unitType"),
        "boxes": as_int(detail.get("totalBoxes")),
        "bunches": detail.get("bunches"),
        "stemsBunch": detail.get("stemsBunch"),
        "cost": detail.get("cost"),
        "markCode": detail.get("markCode") or "",
    }
