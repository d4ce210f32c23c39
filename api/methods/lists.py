"""List methods (GET with query parameters) and `login`."""

import datetime
import re
from collections.abc import Iterable
from typing import Any, ClassVar

from django.contrib.auth import authenticate
from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from rest_framework.response import Response

from api import serializers as s
from api.base import ApiCall, KometMethod
from api.envelope import ApiError, AuthenticationFailed, envelope, error_response
from api.komet import Row, prebook_payloads, purchase_order_payloads, vendor_sees_line
from catalog.models import BoxType, Carrier, Customer, Product, Vendor
from orders.models import Prebook, PrebookItem, PurchaseOrder, PurchaseOrderItem
from sync.models import ExchangeState
from tokens.methods import all_method_names
from tokens.models import ApiToken
from tokens.services import api_token_issue

MAX_WINDOW_DAYS = 183  # six months
PO_NUMBER_MAX_LENGTH = PurchaseOrder._meta.get_field("number").max_length
PO_NUMBER_PATTERN = re.compile(rf"[A-Za-z0-9._/-]{{1,{PO_NUMBER_MAX_LENGTH}}}")
LOGIN_FAILED = "Login failed: wrong username or password, or the user may not use the API."


def _window(start: datetime.date | None, end: datetime.date | None, names: str) -> None:
    if start and end:
        if end < start:
            raise ApiError(f"{names}: the end date is before the start date.")
        if (end - start).days > MAX_WINDOW_DAYS:
            raise ApiError(f"{names}: the date range may span at most six months.")


def _flag(value: bool) -> int:
    return 1 if value else 0


def _filter_by(rows: QuerySet, data: dict[str, Any], lookups: Iterable[tuple[str, str]]):
    """Apply `lookup=data[parameter]` for each (parameter, lookup) pair whose value is set."""
    for parameter, lookup in lookups:
        if data.get(parameter):
            rows = rows.filter(**{lookup: data[parameter]})
    return rows


# The id, code and name filters that the carrier, customer and vendor lists share.
ID_CODE_NAME_LOOKUPS = (("id", "pk"), ("code", "code__iexact"), ("name", "name__icontains"))


class ListMethod(KometMethod):
    http_method = "GET"
    is_write = False


class CatalogueList(ListMethod):
    """A list of one reference table: filter by the parameters, then one payload per row."""

    model: ClassVar[type[Model]]
    ordering: ClassVar[str]
    result_key: ClassVar[str]
    # (query parameter, ORM lookup) pairs, applied in order when the parameter is set.
    lookups: ClassVar[tuple[tuple[str, str], ...]]
    # Inactive rows are left out unless the request sets includeInactive.
    hides_inactive: ClassVar[bool] = False

    def handle(self, call: ApiCall, data: dict[str, Any]) -> dict[str, Any]:
        rows = self.select(data)
        return {self.result_key: [self.row_payload(row) for row in rows]}

    def select(self, data: dict[str, Any]) -> QuerySet:
        rows = self.model.objects.order_by(self.ordering)
        if self.hides_inactive and not data.get("includeInactive"):
            rows = rows.filter(active=True)
        return _filter_by(rows, data, self.lookups)

    def row_payload(self, row: Any) -> dict[str, Any]:
        raise NotImplementedError


class BoxTypeList(CatalogueList):
    """List box types, sorted by code."""

    name = "boxtype.list"
    input_serializer = s.BoxTypeListInput
    model = BoxType
    ordering = "code"
    result_key = "boxtypes"
    lookups = (("id", "pk"), ("code", "code__iexact"))

    def row_payload(self, row: BoxType) -> dict[str, Any]:
        return {
            "code": row.code,
            "kometNetworkName": row.komet_network_name,
            "fbe": float(row.fbe),
            "id": row.pk,
            "kometNetworkId": row.komet_network_id,
        }


class CarrierList(CatalogueList):
    """List carriers."""

    name = "carrier.list"
    input_serializer = s.CarrierListInput
    model = Carrier
    ordering = "name"
    result_key = "carriers"
    lookups = ID_CODE_NAME_LOOKUPS
    address_fields = ("street", "city", "state", "country", "phone")

    def select(self, data: dict[str, Any]) -> QuerySet[Carrier]:
        rows = super().select(data)
        # `active` is a flag, so 0 filters too.
        if data.get("active") is not None:
            rows = rows.filter(active=data["active"])
        return rows

    def row_payload(self, row: Carrier) -> dict[str, Any]:
        return {
            "id": row.pk,
            "code": row.code,
            "name": row.name,
            "active": _flag(row.active),
            **{name: getattr(row, name) for name in self.address_fields},
            "zipCode": row.zip_code,
            "kometNetworkName": row.komet_network_name,
            "kometNetworkId": row.komet_network_id,
        }


class CustomerList(CatalogueList):
    """List customers."""

    name = "customer.list"
    input_serializer = s.CustomerListInput
    model = Customer
    ordering = "name"
    result_key = "customers"
    hides_inactive = True
    lookups = (
        *ID_CODE_NAME_LOOKUPS,
        ("salesPersonId", "sales_person_id"),
        ("updateAsOf", "updated_at__gte"),
    )

    def row_payload(self, row: Customer) -> dict[str, Any]:
        return {
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


class VendorList(CatalogueList):
    """List vendors (farms)."""

    name = "vendor.list"
    input_serializer = s.VendorListInput
    model = Vendor
    ordering = "name"
    result_key = "vendors"
    hides_inactive = True
    lookups = (*ID_CODE_NAME_LOOKUPS, ("portOrigin", "port_origin__iexact"))

    def row_payload(self, row: Vendor) -> dict[str, Any]:
        return {
            "id": row.pk,
            "name": row.name,
            "code": row.code,
            "portOrigin": row.port_origin,
            "active": _flag(row.active),
        }


class ProductList(CatalogueList):
    """List catalogue products, sorted by description."""

    name = "product.list"
    input_serializer = s.ProductListInput
    model = Product
    ordering = "description"
    result_key = "products"
    lookups = (
        ("id", "pk"),
        ("description", "description__icontains"),
        ("legacyCode", "legacy_code__iexact"),
    )

    def row_payload(self, row: Product) -> dict[str, Any]:
        return {
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


def _prebook_filters(rows: QuerySet[Prebook], data: dict[str, Any]) -> QuerySet[Prebook]:
    """Apply the prebook header filters that prebook.list and prebook.details.list share."""
    rows = _filter_by(rows, data, [("prebook", "number")])
    if data.get("customer"):
        text = data["customer"]
        rows = rows.filter(Q(customer__name__icontains=text) | Q(customer__code__iexact=text))
    rows = _filter_by(rows, data, [("customerId", "customer_id")])
    carrier_name = data.get("carrierName") or data.get("carrier")
    if carrier_name:
        rows = rows.filter(carrier__name__icontains=carrier_name)
    return _filter_by(
        rows, data, [("carrierId", "carrier_id"), ("customerPONumber", "customer_po__iexact")]
    )


class PrebookList(ListMethod):
    """List prebook headers for a truck-date range."""

    name = "prebook.list"
    input_serializer = s.PrebookListInput

    def handle(self, call: ApiCall, data: dict[str, Any]) -> dict[str, Any]:
        _window(data["dateFrom"], data["dateTo"], "dateFrom / dateTo")
        rows = self.select(data)
        return {"prebooks": [self.row_payload(row) for row in rows]}

    @staticmethod
    def select(data: dict[str, Any]) -> QuerySet[Prebook]:
        rows = Prebook.objects.select_related("customer", "carrier").filter(
            truck_date__range=(data["dateFrom"], data["dateTo"])
        )
        rows = _filter_by(_prebook_filters(rows, data), data, [("prebookStatus", "status__iexact")])
        if data.get("isEcommerce") is not None:
            rows = rows.filter(is_ecommerce=data["isEcommerce"])
        return rows.order_by("truck_date", "number")

    @staticmethod
    def row_payload(row: Prebook) -> dict[str, Any]:
        return {
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


class PrebookDetailsList(ListMethod):
    """List prebooks with their lines; a farm's token gets only its own lines."""

    name = "prebook.details.list"
    input_serializer = s.PrebookDetailsListInput

    def handle(self, call: ApiCall, data: dict[str, Any]) -> dict[str, Any]:
        ship_from, ship_to = self._ship_window(data)
        vendor = call.vendor if call.is_vendor else None

        def keep(line: Row) -> bool:
            return self._keeps(call, line, ship_from, ship_to)

        rows = self.select(call, data, ship_from, ship_to)
        return {"prebooks": prebook_payloads(rows, vendor=vendor, keep=keep)}

    @staticmethod
    def _ship_window(data: dict[str, Any]) -> tuple[datetime.date | None, datetime.date | None]:
        """Return the vendor ship-date range; one given end stretches to the maximum window."""
        ship_from = data.get("vendorShipDateFrom") or data.get("shipDateFrom")
        ship_to = data.get("vendorShipDateTo") or data.get("shipDateTo")
        if not data.get("date") and not (ship_from or ship_to):
            raise ApiError("date: required unless vendorShipDateFrom / vendorShipDateTo is given.")
        _window(ship_from, ship_to, "vendorShipDateFrom / vendorShipDateTo")
        if ship_from and not ship_to:
            ship_to = ship_from + datetime.timedelta(days=MAX_WINDOW_DAYS)
        if ship_to and not ship_from:
            ship_from = ship_to - datetime.timedelta(days=MAX_WINDOW_DAYS)
        return ship_from, ship_to

    @staticmethod
    def select(call: ApiCall, data: dict[str, Any], ship_from, ship_to) -> QuerySet[Prebook]:
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
        rows = Prebook.objects.filter(pk__in=lines.values("prebook_id"))
        rows = _filter_by(rows, data, [("date", "truck_date"), ("updatedAsOf", "updated_at__gte")])
        return _prebook_filters(rows, data).order_by("truck_date", "number")

    @staticmethod
    def _keeps(call: ApiCall, line: Row, ship_from, ship_to) -> bool:
        """Return whether the list shows this prebook line row (see `prebook_payloads`)."""
        ship_date = line["vendor_ship_date"]
        if ship_from and not (ship_date and ship_from <= ship_date <= ship_to):
            return False
        if not call.is_vendor:
            return True
        yesterday = timezone.localdate() - datetime.timedelta(days=1)
        return vendor_sees_line(line, call.vendor) and ship_date >= yesterday


class PurchaseOrderList(ListMethod):
    """List POs with their lines, boxes and breakdowns.

    The line filters (customerId, customerPONumber, product, prebook, purchaseOrderItemIds)
    select the POs that have a matching line and trim each PO's `details[]` to those lines.
    The header totals still cover the whole PO.
    """

    name = "purchase.order.list"
    input_serializer = s.PurchaseOrderListInput

    def handle(self, call: ApiCall, data: dict[str, Any]) -> dict[str, Any]:
        start = data.get("dateFrom") or data.get("date")
        end = data.get("dateTo") or data.get("date")
        if not start and not end and not data.get("number"):
            raise ApiError("date: required unless number is given (or dateFrom / dateTo).")
        _window(start, end, "dateFrom / dateTo")
        rows = self.select(call, data, start, end)
        line_filters = _po_line_filters(data)
        return {"purchaseOrders": purchase_order_payloads(rows, lines=line_filters or None)}

    @staticmethod
    def select(call: ApiCall, data: dict[str, Any], start, end) -> QuerySet[PurchaseOrder]:
        line_filters = _po_line_filters(data)
        rows = PurchaseOrder.objects.all()
        if call.is_vendor:
            rows = rows.filter(vendor=call.vendor)
        if start or end:
            rows = rows.filter(ship_date__range=(start or end, end or start))
        if data.get("number"):
            rows = rows.filter(number__in=_po_numbers(data["number"]))
        if data.get("vendor"):
            text = data["vendor"]
            rows = rows.filter(Q(vendor__name__icontains=text) | Q(vendor__code__iexact=text))
        rows = _filter_by(
            rows,
            data,
            [
                ("vendorId", "vendor_id"),
                ("origin", "vendor__port_origin__iexact"),
                ("status", "status"),
                ("updatedAsOf", "updated_at__gte"),
            ],
        )
        if line_filters:
            matching = PurchaseOrderItem.objects.exclude(
                status=PurchaseOrderItem.Status.DELETED
            ).filter(line_filters)
            rows = rows.filter(pk__in=matching.values("purchase_order_id"))
        return rows.order_by("ship_date", "number")


def _po_line_filters(data: dict[str, Any]) -> Q:
    """Return the filter on PurchaseOrderItem from the line-level parameters, empty if none."""
    line_filters = Q()
    if data.get("customerId"):
        line_filters &= Q(prebook_item__prebook__customer_id=data["customerId"])
    if data.get("customerPONumber"):
        line_filters &= Q(prebook_item__prebook__customer_po__iexact=data["customerPONumber"])
    if data.get("product"):
        line_filters &= Q(product__description__icontains=data["product"])
    if data.get("prebook"):
        prebook_number = _int_or_none(data["prebook"])
        if prebook_number is None:
            raise ApiError(f"prebook: must be a prebook number. Received {data['prebook']!r}.")
        line_filters &= Q(prebook_item__prebook__number=prebook_number)
    if data.get("purchaseOrderItemIds"):
        ids = [_int_or_none(part) for part in data["purchaseOrderItemIds"].split(",")]
        if None in ids:
            raise ApiError(
                "purchaseOrderItemIds: must be comma-separated numbers. "
                f"Received {data['purchaseOrderItemIds']!r}."
            )
        line_filters &= Q(pk__in=ids)
    return line_filters


def _po_numbers(text: str) -> list[str]:
    """Split the `number` filter into PO numbers; raise ApiError for a malformed one.

    The portal issues numeric PO numbers, but imported POs may carry letters, so each part
    may be 1 to 10 ASCII letters, digits, dots, dashes, slashes or underscores.
    """
    numbers = [part.strip() for part in text.split(",")]
    for number in numbers:
        if not PO_NUMBER_PATTERN.fullmatch(number):
            raise ApiError(
                f"number: must be PO numbers of 1 to {PO_NUMBER_MAX_LENGTH} letters, digits, "
                f"'.', '-', '/' or '_', separated by commas. Received {text!r}."
            )
    return numbers


def _int_or_none(text: str) -> int | None:
    text = text.strip()
    # isdigit() alone accepts digits such as "²" that int() rejects.
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
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
