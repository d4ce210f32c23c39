"""Input serializers of the API methods, with Komet's field names, types and lengths.

Numbers and flags sent as strings ("1", "85063") are accepted, as Komet clients send
them. Integer bounds keep every value inside its database column, so no input can
overflow one.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.envelope import flatten_errors
from api.field_help import describe_serializers
from orders.models import Prebook, PurchaseOrder
from orders.services.boxes import BOX_CODE_MAX_LENGTH
from orders.services.dates import ship_date_error

ID_MAX = 2**63 - 1
QUANTITY_MAX = 99999
DATE_MESSAGE = "must be a date in YYYY-MM-DD form."
MONEY_STEP = Decimal("0.001")


class Id(serializers.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(**kwargs)


class Quantity(serializers.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", QUANTITY_MAX)
        super().__init__(**kwargs)


class Text(serializers.CharField):
    def __init__(self, max_length: int, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(max_length=max_length, **kwargs)


class Flag(serializers.BooleanField):
    """A 1/0 flag; also accepts "1", "0", true, false."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("default", False)
        super().__init__(**kwargs)


class KometDate(serializers.DateField):
    default_error_messages = {"invalid": DATE_MESSAGE, "datetime": DATE_MESSAGE}

    def __init__(self, **kwargs):
        super().__init__(input_formats=["%Y-%m-%d"], **kwargs)


class KometDateTime(serializers.DateTimeField):
    """A time such as `updatedAsOf`, read as GMT whatever the portal's time zone."""

    default_error_messages = {"invalid": "must be a GMT time in 'YYYY-MM-DD hh:mm:ss' form."}

    def __init__(self, **kwargs):
        super().__init__(
            input_formats=["%Y-%m-%d %H:%M:%S", "%Y-%m-%d"],
            default_timezone=datetime.UTC,
            **kwargs,
        )


@extend_schema_field(OpenApiTypes.NUMBER)
class Money(serializers.Field):
    """A cost or price (decimal:10,3): a number or numeric string, rounded to 3 places."""

    komet_type = "decimal:10,3, 0 or 0.001 to 9999999.999"
    default_error_messages = {
        "invalid": "must be a number such as 0.70.",
        "range": "must be between 0 and 9999999.999.",
        "too_small": "must be 0 or at least 0.001, because amounts are kept to 3 decimals.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, float, str)):
            self.fail("invalid")
        try:
            value = Decimal(str(data).strip())
        except InvalidOperation:
            self.fail("invalid")
        if not value.is_finite():
            self.fail("invalid")
        if value < 0 or value >= Decimal("10000000"):
            self.fail("range")
        # Rounding would store such an amount as 0, which reads as free of charge.
        if 0 < value < MONEY_STEP:
            self.fail("too_small")
        return value.quantize(MONEY_STEP, rounding=ROUND_HALF_UP)

    def to_representation(self, value):
        return float(value)


class UnitTypeField(serializers.CharField):
    komet_type = "string:10, Stem or Bunch"
    default_error_messages = {"choice": "must be 'Stem' or 'Bunch'."}

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(max_length=10, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data).strip()
        if value and value.lower() not in ("stem", "bunch"):
            self.fail("choice")
        return value.title() or None


class KometChoice(serializers.ChoiceField):
    """A choice from a fixed list of names, matched ignoring case.

    `choices` maps each name a caller may send to the value the database stores, which
    is what validation returns.
    """

    def __init__(self, choices: dict[str, str], **kwargs):
        kwargs.setdefault("required", False)
        self.stored_values = {name.lower(): value for name, value in choices.items()}
        listed = ", ".join(repr(name) for name in choices)
        kwargs.setdefault("error_messages", {"invalid_choice": f"must be one of {listed}."})
        super().__init__(choices=list(choices), **kwargs)

    def to_internal_value(self, data):
        if data == "" and self.allow_blank:
            return ""
        if isinstance(data, str) and data.strip().lower() in self.stored_values:
            return self.stored_values[data.strip().lower()]
        self.fail("invalid_choice")


def add_reference_fields(fields: dict, prefix: str, *, code_length: int, name_key: str) -> None:
    fields[f"{prefix}Id"] = Id(allow_null=True)
    fields[f"{prefix}Code"] = Text(code_length)
    fields[f"{prefix}{name_key}"] = Text(200)


def _ref_fields(prefix: str, code_length: int = 20, name_key: str = "Description") -> dict:
    fields: dict = {}
    add_reference_fields(fields, prefix, code_length=code_length, name_key=name_key)
    return fields


class PrebookBreakdownInput(serializers.Serializer):
    locals().update(_ref_fields("product"))
    bunches = Quantity(min_value=1)
    stemsBunch = Quantity(required=False, allow_null=True)
    cost = Money()
    price = Money()


class PrebookItemInput(serializers.Serializer):
    locals().update(_ref_fields("vendor"))
    vendorName = Text(200)
    locals().update(_ref_fields("product"))
    locals().update(_ref_fields("boxType", code_length=20))
    unitType = UnitTypeField()
    boxes = Quantity(min_value=1)
    bunches = Quantity(min_value=1)
    stemsBunch = Quantity(required=False, allow_null=True)
    cost = Money()
    price = Money()
    markCode = Text(20)
    notes = Text(200)
    vendorShipDate = KometDate(required=False, allow_null=True)
    breakdowns = PrebookBreakdownInput(many=True, required=False)

    def validate(self, attrs):
        if (attrs.get("unitType") or "Stem") == "Stem" and not attrs.get("stemsBunch"):
            raise serializers.ValidationError(
                {"stemsBunch": "required (at least 1) when unitType is Stem."}
            )
        return attrs


class PrebookCreateInput(serializers.Serializer):
    locals().update(_ref_fields("customer"))
    locals().update(_ref_fields("carrier"))
    shipDate = KometDate()
    createdBy = Id(allow_null=True)
    shipViaId = serializers.IntegerField(required=False, min_value=0, max_value=1)
    customerPO = Text(20)
    isEcommerce = Flag()
    useExisting = Flag()
    comments = Text(200)
    autoGeneratePOsfromPrebooks = Flag()
    shipToId = Id(allow_null=True)
    companyLocationCode = Text(20)
    prebookItems = PrebookItemInput(many=True, required=False, max_length=500)


class PurchaseOrderItemInput(serializers.Serializer):
    prebookItemId = Id(allow_null=True)
    locals().update(_ref_fields("product"))
    locals().update(_ref_fields("boxType"))
    unitType = UnitTypeField()
    boxes = Quantity(required=False, allow_null=True, min_value=1)
    bunches = Quantity(required=False, allow_null=True, min_value=1)
    stemsBunch = Quantity(required=False, allow_null=True)
    cost = Money()
    markCode = Text(20)
    notes = Text(200)


class PurchaseOrderHeaderInput(serializers.Serializer):
    shipDate = KometDate()
    vendorId = Id(allow_null=True)
    vendorCode = Text(20)
    companyLocationCode = Text(10)
    carrierId = Id(allow_null=True)
    carrierCode = Text(20)
    carrierDescription = Text(200)
    purchaseOrderNumber = Text(10)
    comments = Text(200)


class PurchaseOrderCreateInput(PurchaseOrderHeaderInput):
    purchaseOrderItems = PurchaseOrderItemInput(many=True, min_length=1, max_length=500)


class MixedBreakdownInput(serializers.Serializer):
    prebookItemId = Id(allow_null=True)
    locals().update(_ref_fields("product"))
    bunches = Quantity(min_value=1)
    stemsBunch = Quantity(required=False, allow_null=True)
    cost = Money()


class MixedBoxInput(serializers.Serializer):
    prebookItemId = Id(allow_null=True)
    locals().update(_ref_fields("product"))
    locals().update(_ref_fields("boxType"))
    unitType = UnitTypeField()
    boxes = Quantity(min_value=1)
    markCode = Text(20)
    notes = Text(200)
    breakdowns = MixedBreakdownInput(many=True, min_length=1, max_length=50)

    def validate(self, attrs):
        # The box line stores the sum as its bunches per box, which has the same limit as
        # a plain PO line's. The line's unit cost is an average of the breakdowns' costs,
        # so it cannot exceed the largest of them and always fits its decimal:10,3 column.
        bunches = sum(breakdown["bunches"] for breakdown in attrs["breakdowns"])
        if bunches > QUANTITY_MAX:
            raise serializers.ValidationError(
                {
                    "breakdowns": (
                        f"the breakdowns' bunches add up to {bunches}, but a box holds at most "
                        f"{QUANTITY_MAX} bunches."
                    )
                }
            )
        return attrs


class PurchaseOrderMixedCreateInput(PurchaseOrderHeaderInput):
    purchaseOrderItems = MixedBoxInput(many=True, min_length=1, max_length=500)


@dataclass
class RejectedItem:
    """An item of an `ItemwiseList` that failed validation, kept at its place in the list."""

    index: int
    # The item as the request sent it, so the result can echo its keys.
    data: Any
    # Each invalid field with its path from the request root, its rule and the value sent.
    message: str


class ItemwiseList(serializers.ListSerializer):
    """A list whose items are validated one by one, so that an invalid item fails alone.

    The list itself (its type and length) is still checked as a whole. Each item that
    breaks a rule becomes a `RejectedItem` at its index in the validated list, so a
    method can report it in its per-item results and process the other items.
    """

    def run_child_validation(self, data):
        try:
            return super().run_child_validation(data)
        except serializers.ValidationError as error:
            # Returned rather than raised, so DRF goes on to the next item.
            return error

    def to_internal_value(self, data):
        items = super().to_internal_value(data)
        validated = []
        for index, item in enumerate(items):
            if isinstance(item, serializers.ValidationError):
                path = f"{self.field_name}[{index}]"
                lines = flatten_errors(item.detail, data[index], path)
                item = RejectedItem(index=index, data=data[index], message=" | ".join(lines))
            validated.append(item)
        return validated


BOX_CODE_LENGTH_RULE = f"must be 1 to {BOX_CODE_MAX_LENGTH} characters long."


class BoxCodeField(serializers.CharField):
    default_error_messages = {"blank": BOX_CODE_LENGTH_RULE, "max_length": BOX_CODE_LENGTH_RULE}

    def __init__(self, **kwargs):
        super().__init__(max_length=BOX_CODE_MAX_LENGTH, allow_blank=False, **kwargs)


class ShipDateField(KometDate):
    """The day a shipment left the farm, within `orders.services.dates.ship_date_error`'s window."""

    def to_internal_value(self, value):
        date = super().to_internal_value(value)
        problem = ship_date_error(date)
        if problem:
            raise serializers.ValidationError(problem)
        return date


LOT_NUMBER_MAX_LENGTH = 20


class LotNumberField(Text):
    """A farm's lot number: 1 to 20 digits, not 0. Empty or null lets the portal assign one."""

    komet_type = f"string:{LOT_NUMBER_MAX_LENGTH}, 1 to {LOT_NUMBER_MAX_LENGTH} digits, not 0"
    default_error_messages = {
        "lot_number": (
            f"must be a positive whole number of 1 to {LOT_NUMBER_MAX_LENGTH} digits, "
            "such as '234232'."
        ),
    }

    def __init__(self, **kwargs):
        super().__init__(LOT_NUMBER_MAX_LENGTH, **kwargs)

    def to_internal_value(self, data):
        # Older Komet docs type lotNumber as an integer; accept both.
        if isinstance(data, int) and not isinstance(data, bool):
            data = str(data)
        value = super().to_internal_value(data)
        if value and not (value.isascii() and value.isdigit() and int(value) > 0):
            self.fail("lot_number")
        return value


class ShipmentLineInput(serializers.Serializer):
    poItemId = Id(required=True)
    awb = serializers.CharField(max_length=25)
    houseAWB = Text(25)
    shipDate = ShipDateField()
    boxCodes = serializers.ListField(
        child=BoxCodeField(), required=False, allow_null=True, max_length=QUANTITY_MAX
    )
    lotNumber = LotNumberField()


class ShipmentInput(serializers.Serializer):
    poItems = ItemwiseList(child=ShipmentLineInput(), min_length=1, max_length=500)
    vendorId = Id(allow_null=True)


class BoxCodeChangeLine(serializers.Serializer):
    currentBoxCode = BoxCodeField()
    newBoxCode = BoxCodeField()


class BoxCodeChangeInput(serializers.Serializer):
    boxes = ItemwiseList(child=BoxCodeChangeLine(), min_length=1, max_length=1000)


class PrebookItemDeleteInput(serializers.Serializer):
    prebookId = Id(required=True)
    prebookItemId = Id(required=True)


class PrebookDeleteInput(serializers.Serializer):
    prebookId = Id(required=True)


class PurchaseOrderItemDeleteInput(serializers.Serializer):
    poItemId = Id(required=True)


class BoxReceiveInput(serializers.Serializer):
    boxCode = BoxCodeField()
    position = Text(4)
    companyLocationId = Id(allow_null=True)


class LoginInput(serializers.Serializer):
    username = serializers.CharField(max_length=100)
    password = serializers.CharField(max_length=100, trim_whitespace=False)


# --- list methods -------------------------------------------------------------------------


class BoxTypeListInput(serializers.Serializer):
    id = Id()
    code = Text(3)


class CarrierListInput(serializers.Serializer):
    id = Id()
    name = Text(200)
    code = Text(10)
    active = serializers.BooleanField(required=False, allow_null=True, default=None)


class CustomerListInput(serializers.Serializer):
    id = Id()
    name = Text(200)
    code = Text(10)
    salesPersonId = Id()
    includeInactive = Flag()
    locationId = Id()
    updateAsOf = KometDateTime(required=False)


class VendorListInput(serializers.Serializer):
    id = Id()
    name = Text(200)
    code = Text(10)
    portOrigin = Text(4)
    includeInactive = Flag()


class ProductListInput(serializers.Serializer):
    id = Id()
    description = Text(200)
    legacyCode = Text(50)


class PrebookListInput(serializers.Serializer):
    dateFrom = KometDate()
    dateTo = KometDate()
    prebook = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    customer = Text(200)
    customerId = Id()
    carrierName = Text(200)
    carrierId = Id()
    customerPONumber = Text(20)
    prebookStatus = KometChoice(
        {"Open": Prebook.Status.OPEN, "Cancelled": Prebook.Status.CANCELLED},
        allow_blank=True,
        allow_null=True,
    )
    isEcommerce = serializers.BooleanField(required=False, allow_null=True, default=None)


class PrebookDetailsListInput(serializers.Serializer):
    date = KometDate(required=False)
    vendorShipDateFrom = KometDate(required=False)
    vendorShipDateTo = KometDate(required=False)
    shipDateFrom = KometDate(required=False)
    shipDateTo = KometDate(required=False)
    prebook = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    updatedAsOf = KometDateTime(required=False)
    customer = Text(200)
    customerId = Id()
    carrierName = Text(200)
    carrier = Text(200)
    carrierId = Id()
    customerPONumber = Text(20)


class PurchaseOrderListInput(serializers.Serializer):
    date = KometDate(required=False)
    dateFrom = KometDate(required=False)
    dateTo = KometDate(required=False)
    number = Text(200)
    vendor = Text(50)
    vendorId = Id()
    customerId = Id()
    customerPONumber = Text(20)
    product = Text(100)
    origin = Text(4)
    prebook = Text(10)
    status = KometChoice({label: value for value, label in PurchaseOrder.Status.choices})
    purchaseOrderItemIds = Text(200)
    updatedAsOf = KometDateTime(required=False)


describe_serializers(
    [
        value
        for value in list(globals().values())
        if isinstance(value, type) and issubclass(value, serializers.Serializer)
    ]
)
