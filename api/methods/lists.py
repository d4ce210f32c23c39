"""List methods (GET with query parameters) and `login`."""

import datetime
from typing import Any

from django.contrib.auth import authenticate
from django.db.models import Q
from django.utils import timezone
from rest_framework.response import Response

from api import serializers as s
from api.base import ApiCall, KometMethod
from api.envelope import ApiError, AuthenticationFailed, envelope, error_response
from api.komet import (
    prebook_payload,
    prebook_queryset,
    purchase_order_payload,
    purchase_order_queryset,
    vendor_sees_line,
)
from catalog.models import BoxType, Carrier, Customer, Product, Vendor
from orders.models import Prebook, PrebookItem, PurchaseOrder
from sync.models import ExchangeState
from tokens.methods import all_method_names
from tokens.models import ApiToken
from tokens.services import api_token_issue

MAX_WINDOW_DAYS = 183  # six months
LOGIN_FAILED = "Login failed: wrong username or password, or the user may not use the API."


def _window(start: datetime.date | None, end: datetime.date | None, names: str) -> None:
    if start and end:
        if end < start:
            raise ApiError(f"{names}: the end date is before the start date.")
        if (end - start).days > MAX_WINDOW_DAYS:
            raise ApiError(f"{names}: the date range may span at most six months.")


def _flag(value: bool) -> int:
    return 1 if value else 0


class ListMethod(KometMethod):
    http_method = "GET"
    is_write = False


class BoxTypeList(ListMethod):
    """List box types, sorted by code."""

    name = "boxtype.list"
    input_serializer = s.BoxTypeListInput

    def handle(self, call: ApiCall, data: dict[str, Any]) -> dict[str, Any]:
        rows = BoxType.objects.order_by("code")
        if data.get("id"):
            rows = rows.filter(pk=data["id"])
        if data.get("code"):
            rows = rows.filter(code__iexact=data["code"])
        return {
            "boxtypes": [
                {
                    "code": row.code,
                    "kometNetworkName": row.komet_network_name,
                    "fbe": float(row.fbe),
                    "id": row.pk,
                    "kometNetworkId": row.komet_network_id,
                }
                for row in rows
            ]
        }


class CarrierList(ListMethod):
    """List carriers."""

    name = "carrier.list"
    input_serializer = s.CarrierListInput

    def handle(self, call: ApiCall, data: dict[str, Any]) -> dict[str, Any]:
        rows = Carrier.objects.order_by("name")
        if data.get("id"):
            rows = rows.filter(pk=data["id"])
        if data.get("code"):
            rows = rows.filter(code__iexact=data["code"])
        if data.get("name"):
            rows = rows.filter(name__icontains=data["name"])
        if data.get("active") is not None:
            rows = rows.filter(active=data["active"])
        fields = ("street", "city", "state", "country", "phone")
        return {
            "carriers": [
                {
                    "id": row.pk,
                    "code": row.code,
                    "name": row.name,
                    "active": _flag(row.active),
                    **{name: getattr(row, name) for name in fields},
                    "zipCode": row.zip_code,
                    "kometNetworkName": row.komet_network_name,
                    "kometNetworkId": row.komet_network_id,
                }
                for row in rows
            ]
        }


class CustomerList(ListMethod):
    """List customers."""

    name = "customer.list"
    input_serializer = s.CustomerListInput

    def handle(self, call: ApiCall, data: dict[str, Any]) -> dict[str, Any]:
        rows = Customer.objects.order_by("name")
        if not data.get("includeInactive"):
            rows = rows.filter(active=True)
        if data.get("id"):
            rows = rows.filter(pk=data["id"])
        if data.get("code"):
            rows = rows.filter(code__iexact=data["code"])
        if data.get("name"):
            rows = rows.filter(name__icontains=data["name"])
        if data.get("salesPersonId"):
            rows = rows.filter(sales_person_id=data["salesPersonId"])
        if data.get("updateAsOf"):
            rows = rows.filter(updated_at__gte=data["updateAsOf"])
        return {
            "customers": [
                {
                    "id": row.pk,
                    "accountingCode": row.accounting_code,
                    "name": row.name,
                    "code": row.code,
                    "active": _flag(row.active),
                    "salesPerson": row.sales_person,
                    "salesPersonId": row.sales_person_id,
                    "customerType": row.customer_type,
                    "updatedOn": row.updated_at.strftime("%Y-%m-%dT%H:%M:%S"),
                }
                for row in rows
            ]
        }


class VendorList(ListMethod):
    """List vendors (farms)."""

    name = "vendor.list"
    input_serializer = s.VendorListInput

    def handle(self, call: ApiCall, data: dict[str, Any]) -> dict[str, Any]:
        rows = Vendor.objects.order_by("name")
        if not data.get("includeInactive"):
            rows = rows.filter(active=True)
        if data.get("id"):
            rows = rows.filter(pk=data["id"])
        if data.get("code"):
            rows = rows.filter(code__iexact=data["code"])
        if data.get("name"):
            rows = rows.filter(name__icontains=data["name"])
        if data.get("portOrigin"):
            rows = rows.filter(port_origin__iexact=data["portOrigin"])
        return {
            "vendors": [
                {
                    "id": row.pk,
                    "name": row.name,
                    "code": row.code,
                    "portOrigin": row.port_origin,
                    "active": _flag(row.active),
                }
                for row in rows
            ]
        }


class ProductList(ListMethod):
    """List catalogue products, sorted by description."""

    name = "product.list"
    input_serializer = s.ProductListInput

    def handle(self, call: ApiCall, data: dict[str, Any]) -> dict[str, Any]:
        rows = Product.objects.order_by("description")
        if data.get("id"):
            rows = rows.filter(pk=data["id"])
        if data.get("description"):
            rows = rows.filter(description__icontains=data["description"])
        if data.get("legacyCode"):
            rows = rows.filter(legacy_code__iexact=data["legacyCode"])
        return {
            "products": [
                {
                    "id": row.pk,
                    "description": row.description,
                    "active": _flag(row.active),
                    "category": row.category,
                    "divisionId": row.division_id,
                    "divisionDescription": row.division_description,
                    "variety": row.variety,
                    "color": row.color,
                    "grade": row.grade,
                    "legacyCode": row.legacy_code,
                    "tags": row.tags,
                }
                for row in rows
            ]
        }


def _prebook_filters(rows, data: dict[str, Any]):
    if data.get("prebook"):
        rows = rows.filter(number=data["prebook"])
    if data.get("customer"):
        text = data["customer"]
        rows = rows.filter(Q(customer__name__icontains=text) | Q(customer__code__iexact=text))
    if data.get("customerId"):
        rows = rows.filter(customer_id=data["customerId"])
    carrier_name = data.get("carrierName") or data.get("carrier")
    if carrier_name:
        rows = rows.filter(carrier__name__icontains=carrier_name)
    if data.get("carrierId"):
        rows = rows.filter(carrier_id=data["carrierId"])
    if data.get("customerPONumber"):
        rows = rows.filter(customer_po__iexact=data["customerPONumber"])
    return rows


class PrebookList(ListMethod):
    """List prebook headers for a truck-date range."""

    name = "prebook.list"
    input_serializer = s.PrebookListInput

    def handle(self, call: ApiCall, data: dict[str, Any]) -> dict[str, Any]:
        _window(data["dateFrom"], data["dateTo"], "dateFrom / dateTo")
        rows = Prebook.objects.select_related("customer", "carrier").filter(
            truck_date__range=(data["dateFrom"], data["dateTo"])
        )
        rows = _prebook_filters(rows, data)
        if data.get("prebookStatus"):
            rows = rows.filter(status__iexact=data["prebookStatus"])
        if data.get("isEcommerce") is not None:
            rows = rows.filter(is_ecommerce=data["isEcommerce"])
        return {
            "prebooks": [
                {
                    "id": row.pk,
                    "number": row.number,
                    "status": row.get_status_display(),
                    "customerId": row.customer_id,
                    "customerCode": row.customer.code if row.customer else "",
                    "customerName": row.customer.name if row.customer else "",
                    "truckDate": row.truck_date.isoformat(),
                    "customerPONumber": row.customer_po,
                    "carrierId": row.carrier_id,
                    "carrierName": row.carrier.name if row.carrier else "",
                    "shipVia": row.ship_via,
                    "isEcommerce": _flag(row.is_ecommerce),
                    "comments": row.comments,
                    "heldLines": row.held_line_count,
                }
                for row in rows.order_by("truck_date", "number")
            ]
        }


class PrebookDetailsList(ListMethod):
    """List prebooks with their lines; a farm's token gets only its own lines."""

    name = "prebook.details.list"
    input_serializer = s.PrebookDetailsListInput

    def handle(self, call: ApiCall, data: dict[str, Any]) -> dict[str, Any]:
        ship_from = data.get("vendorShipDateFrom") or data.get("shipDateFrom")
        ship_to = data.get("vendorShipDateTo") or data.get("shipDateTo")
        if not data.get("date") and not (ship_from or ship_to):
            raise ApiError("date: required unless vendorShipDateFrom / vendorShipDateTo is given.")
        _window(ship_from, ship_to, "vendorShipDateFrom / vendorShipDateTo")
        if ship_from and not ship_to:
            ship_to = ship_from + datetime.timedelta(days=MAX_WINDOW_DAYS)
        if ship_to and not ship_from:
            ship_from = ship_to - datetime.timedelta(days=MAX_WINDOW_DAYS)

        lines = PrebookItem.objects.all()
        if call.is_vendor:
            yesterday = timezone.localdate() - datetime.timedelta(days=1)
            lines = lines.filter(
                vendor=call.vendor,
                cost__isnull=False,
                vendor_ship_date__isnull=False,
                vendor_ship_date__gte=yesterday,
            )
        if ship_from:
            lines = lines.filter(vendor_ship_date__range=(ship_from, ship_to))
        rows = prebook_queryset().filter(pk__in=lines.values("prebook_id"))
        if data.get("date"):
            rows = rows.filter(truck_date=data["date"])
        if data.get("updatedAsOf"):
            rows = rows.filter(updated_at__gte=data["updatedAsOf"])
        rows = _prebook_filters(rows, data).order_by("truck_date", "number")

        prebooks = []
        for prebook in rows:
            kept = [
                item for item in prebook.items.all() if self._keeps(call, item, ship_from, ship_to)
            ]
            prebooks.append(
                prebook_payload(prebook, vendor=call.vendor if call.is_vendor else None, lines=kept)
            )
        return {"prebooks": prebooks}

    @staticmethod
    def _keeps(call: ApiCall, item: PrebookItem, ship_from, ship_to) -> bool:
        if ship_from and not (
            item.vendor_ship_date and ship_from <= item.vendor_ship_date <= ship_to
        ):
            return False
        if not call.is_vendor:
            return True
        yesterday = timezone.localdate() - datetime.timedelta(days=1)
        return vendor_sees_line(item, call.vendor) and item.vendor_ship_date >= yesterday


class PurchaseOrderList(ListMethod):
    """List POs with their lines, boxes and breakdowns."""

    name = "purchase.order.list"
    input_serializer = s.PurchaseOrderListInput

    def handle(self, call: ApiCall, data: dict[str, Any]) -> dict[str, Any]:
        start = data.get("dateFrom") or data.get("date")
        end = data.get("dateTo") or data.get("date")
        if not start and not end and not data.get("number"):
            raise ApiError("date: required unless number is given (or dateFrom / dateTo).")
        _window(start, end, "dateFrom / dateTo")
        rows = purchase_order_queryset()
        if call.is_vendor:
            rows = rows.filter(vendor=call.vendor)
        if start or end:
            rows = rows.filter(ship_date__range=(start or end, end or start))
        if data.get("number"):
            numbers = [n.strip() for n in data["number"].split(",") if n.strip()]
            rows = rows.filter(number__in=numbers)
        if data.get("vendor"):
            text = data["vendor"]
            rows = rows.filter(Q(vendor__name__icontains=text) | Q(vendor__code__iexact=text))
        if data.get("vendorId"):
            rows = rows.filter(vendor_id=data["vendorId"])
        if data.get("origin"):
            rows = rows.filter(vendor__port_origin__iexact=data["origin"])
        if data.get("status"):
            rows = rows.filter(status=data["status"])
        if data.get("updatedAsOf"):
            rows = rows.filter(updated_at__gte=data["updatedAsOf"])
        line_filters = _po_line_filters(data)
        if line_filters:
            rows = rows.filter(pk__in=PurchaseOrder.objects.filter(line_filters).values("pk"))
        rows = rows.order_by("ship_date", "number")
        return {"purchaseOrders": [purchase_order_payload(po) for po in rows]}


def _po_line_filters(data: dict[str, Any]) -> Q:
    """Return the filter on PO lines (customer, customer PO, product, prebook, line ids)."""
    line_filters = Q()
    if data.get("customerId"):
        line_filters &= Q(items__prebook_item__prebook__customer_id=data["customerId"])
    if data.get("customerPONumber"):
        line_filters &= Q(
            items__prebook_item__prebook__customer_po__iexact=data["customerPONumber"]
        )
    if data.get("product"):
        line_filters &= Q(items__product__description__icontains=data["product"])
    if data.get("prebook"):
        prebook_number = _int_or_none(data["prebook"])
        if prebook_number is None:
            raise ApiError(f"prebook: must be a prebook number. Received {data['prebook']!r}.")
        line_filters &= Q(items__prebook_item__prebook__number=prebook_number)
    if data.get("purchaseOrderItemIds"):
        ids = [_int_or_none(part) for part in data["purchaseOrderItemIds"].split(",")]
        if None in ids:
            raise ApiError("purchaseOrderItemIds: must be comma-separated numbers.")
        line_filters &= Q(items__pk__in=ids)
    return line_filters


def _int_or_none(text: str) -> int | None:
    text = text.strip()
    if not text.isdigit() or len(text) > 18:
        return None
    return int(text)


class Login(KometMethod):
    """`login`: username and password in the URL; returns a company token as `apiKey`."""

    name = "login"
    input_serializer = s.LoginInput

    def _dispatch_method(self, request, verb: str):
        if verb != "POST":
            return error_response(ApiError("login must be called with POST.", http_status=405))

        data = {key: request.query_params.get(key) for key in ("username", "password")}
        serializer = s.LoginInput(data=data)
        user = None
        if serializer.is_valid():
            user = authenticate(
                request._request,
                username=serializer.validated_data["username"],
                password=serializer.validated_data["password"],
            )
        allowed = (
            user is not None
            and user.is_active
            and (user.is_superuser or user.groups.filter(name="Admin").exists())
        )

        # The ledger row records who tried to log in, never the password or the key.
        ledger_data = {"username": str(data.get("username") or "")[:100]}
        if not allowed:
            response = error_response(AuthenticationFailed(LOGIN_FAILED))
            self._record(None, ledger_data, request, response, ExchangeState.REJECTED)
            return response

        issued = api_token_issue(
            token_type=ApiToken.TokenType.COMPANY,
            description=f"Issued by login for {user.get_username()}"[:200],
            methods=all_method_names(),
            actor=user,
        )
        response = Response(envelope("OK", apiKey=issued.plaintext))
        redacted = Response(envelope("OK", apiKey=f"{issued.token.prefix}..."))
        self._record(None, ledger_data, request, redacted, ExchangeState.PROCESSED)
        return response


METHODS = [
    BoxTypeList,
    CarrierList,
    CustomerList,
    VendorList,
    ProductList,
    PrebookList,
    PrebookDetailsList,
    PurchaseOrderList,
    Login,
]
