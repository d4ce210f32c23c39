"""Help text of the API input fields, as shown on the reference page at /api/docs/.

Each field gets its meaning from the tables below and its Komet type from the field
itself: `string:20` for text of at most 20 characters, `integer:5` for up to 5 digits,
`decimal:10,3` for money, `date` as YYYY-MM-DD. Every text here is written in code, so
nothing a farm sends can reach the reference page.
"""

from rest_framework import serializers
from rest_framework.fields import empty

# Meanings of the references that come as an id, a code and a description or name.
REFERENCE_NOUNS = {
    "boxType": "box type",
    "carrier": "carrier",
    "customer": "customer",
    "product": "product",
    "vendor": "vendor (farm)",
}

# Field meanings by name. `SERIALIZER_MEANINGS` overrides a name for one serializer.
FIELD_MEANINGS = {
    "active": "Only active (1) or only inactive (0) rows; both when omitted.",
    "autoGeneratePOsfromPrebooks": (
        "1 also creates the POs, one per vendor and vendor ship date. They start Approved "
        "for a company token unless a line is held, and Pending Approval for a farm's token. "
        "Every line then needs a vendor and a cost."
    ),
    "awb": "Master air waybill number: 11 digits, separators allowed, the last a check digit.",
    "boxCode": "Box code printed on the receiving label.",
    "boxCodes": (
        "One code per shipped box, at most the line's boxes. Fewer codes split the line. "
        "Without codes the portal generates one per box."
    ),
    "boxes": "Number of boxes.",
    "breakdowns": "Mixed-box contents: one entry per product in the box.",
    "bunches": "Bunches per box.",
    "carrier": "Carrier name, partial match.",
    "carrierName": "Carrier name, partial match.",
    "code": "Code, exact match, case-insensitive.",
    "comments": "Free-text comments.",
    "companyLocationCode": "Accepted for Komet compatibility and not used: the portal has one "
    "location.",
    "companyLocationId": "Accepted for Komet compatibility and not used: the portal has one "
    "location.",
    "cost": "Cost per unit (stem or bunch, as unitType says).",
    "createdBy": "Accepted for Komet compatibility and not used: the token identifies the caller.",
    "currentBoxCode": "Box code to replace.",
    "customer": "Customer name (partial match) or code (exact match).",
    "customerPO": "The customer's purchase order number.",
    "customerPONumber": "The customer's purchase order number, exact match.",
    "date": "Vendor ship date.",
    "dateFrom": "First date of the range.",
    "dateTo": "Last date of the range, at most six months after dateFrom.",
    "description": "Description, partial match.",
    "houseAWB": "House air waybill number from the freight forwarder.",
    "id": "Portal id, exact match.",
    "includeInactive": "1 also lists inactive rows.",
    "isEcommerce": "1 marks an e-commerce order.",
    "legacyCode": "Legacy product code, exact match.",
    "locationId": "Accepted for Komet compatibility and not used: the portal has one location.",
    "lotNumber": "The farm's lot number for the shipment.",
    "markCode": "Mark code printed on the box label.",
    "name": "Name, partial match.",
    "newBoxCode": "New box code; it must not be in use on another box.",
    "notes": "Free-text line notes.",
    "number": "PO number, or a comma-separated list of them.",
    "origin": "Origin port code of the farm, such as BOG or UIO.",
    "password": "Password of a portal admin user.",
    "poItemId": "PO line id, from purchase.order.list (details[].poItemId).",
    "poItems": "The PO lines shipped. An invalid item fails alone and the others are shipped.",
    "portOrigin": "Origin port code, exact match.",
    "position": "Warehouse position where the box was put.",
    "prebook": "Prebook number.",
    "prebookId": "Portal id of the prebook.",
    "prebookItemId": "Portal id of the prebook line this line fills.",
    "prebookItems": "The prebook lines.",
    "prebookStatus": "Prebook status (Open or Cancelled), case-insensitive.",
    "price": "Sale price per unit (stem or bunch).",
    "product": "Product description, partial match.",
    "purchaseOrderItemIds": (
        "Comma-separated PO line ids. Only POs with one of these lines are listed, and each "
        "PO's details[] holds only the matching lines."
    ),
    "purchaseOrderItems": "The PO lines.",
    "purchaseOrderNumber": "Number of a Pending Approval PO of this vendor to add the lines to.",
    "salesPersonId": "Portal id of the sales person.",
    "shipDate": "Vendor ship date.",
    "shipDateFrom": "Same as vendorShipDateFrom.",
    "shipDateTo": "Same as vendorShipDateTo.",
    "shipToId": "Accepted for Komet compatibility and not used.",
    "shipViaId": "0 (when omitted) ships through the importer's warehouse, 1 straight from the "
    "grower.",
    "status": "PO status.",
    "stemsBunch": "Stems per bunch, required when unitType is Stem.",
    "unitType": "Unit that cost and price are quoted in.",
    "updateAsOf": "Only rows changed at or after this GMT time.",
    "updatedAsOf": "Only rows changed at or after this GMT time.",
    "useExisting": (
        "1 adds the lines to an open prebook with the same customer, carrier, truck date and "
        "customer PO, when there is one."
    ),
    "username": "Username of a portal admin user.",
    "vendorName": "Vendor (farm) name, used when no vendor id or code is sent.",
    "vendorShipDate": "Date the farm ships the line.",
    "vendorShipDateFrom": "First vendor ship date of the lines listed.",
    "vendorShipDateTo": "Last vendor ship date of the lines listed.",
}

SERIALIZER_MEANINGS = {
    "PrebookCreateInput": {"shipDate": "Truck date: the day the customer's truck loads."},
    "PrebookDetailsListInput": {
        "date": "Truck date, required unless a vendor ship date range is given."
    },
    "PurchaseOrderListInput": {
        "date": "Vendor ship date, required unless number or dateFrom / dateTo is given.",
        "dateFrom": "First vendor ship date of the range.",
        "dateTo": "Last vendor ship date of the range, at most six months after dateFrom.",
        "customerId": "Portal id of the customer of the prebook a PO line fills. Each PO's "
        "details[] then holds only the matching lines.",
        "customerPONumber": "Customer PO number of the prebook a PO line fills, exact match. "
        "Each PO's details[] then holds only the matching lines.",
        "product": "Product description, partial match. Each PO's details[] then holds only "
        "the matching lines.",
        "prebook": "Number of the prebook a PO line fills. Each PO's details[] then holds "
        "only the matching lines.",
        "vendor": "Vendor (farm) name (partial match) or code (exact match).",
    },
    "PrebookListInput": {
        "dateFrom": "First truck date of the range.",
        "dateTo": "Last truck date of the range, at most six months after dateFrom.",
    },
    "ShipmentInput": {
        "vendorId": "With a company token, only this vendor's PO lines may be shipped. "
        "A vendor token always ships its own farm's lines."
    },
    "ShipmentLineInput": {"shipDate": "Date the boxes left the farm."},
    "BoxCodeChangeInput": {
        "boxes": "The boxes to rename. An invalid item fails alone and the others are renamed."
    },
}


def _reference_meaning(name: str) -> str:
    for prefix, noun in REFERENCE_NOUNS.items():
        if name == f"{prefix}Id":
            return f"Portal id of the {noun}."
        if name == f"{prefix}Code":
            return f"Code of the {noun}. A farm token's codes are read through its mapping."
        if name in (f"{prefix}Description", f"{prefix}Name"):
            return f"Name of the {noun}, used when no id or code is sent."
    return ""


def _digits(value: int) -> int:
    return len(str(value))


def komet_type(field: serializers.Field) -> str:
    """Return the field's type as Komet's reference writes it, with its bounds.

    A field class can state its own type in a `komet_type` attribute.
    """
    if getattr(field, "komet_type", ""):
        return field.komet_type
    if isinstance(field, serializers.ListSerializer):
        bounds = _length_bounds(field.min_length, field.max_length)
        return f"array of objects{bounds}"
    if isinstance(field, serializers.ListField):
        bounds = _length_bounds(field.min_length, field.max_length)
        return f"array of {komet_type(field.child)}{bounds}"
    if isinstance(field, serializers.BooleanField):
        return "integer:1, 1 or 0"
    if isinstance(field, serializers.IntegerField):
        top = field.max_value
        bottom = 0 if field.min_value is None else field.min_value
        if top is None:
            return "integer"
        return f"integer:{_digits(top)}, {bottom} to {top}"
    if isinstance(field, serializers.DateTimeField):
        return "GMT time, YYYY-MM-DD hh:mm:ss"
    if isinstance(field, serializers.DateField):
        return "date, YYYY-MM-DD"
    if isinstance(field, serializers.ChoiceField):
        return "string, one of " + ", ".join(str(choice) for choice in field.choices)
    if isinstance(field, serializers.CharField) and field.max_length:
        return f"string:{field.max_length}"
    return "string"


def _length_bounds(minimum: int | None, maximum: int | None) -> str:
    if minimum and maximum:
        return f", {minimum} to {maximum} items"
    if maximum:
        return f", at most {maximum} items"
    return ""


def _default_text(field: serializers.Field) -> str:
    default = field.default
    if default is empty or default is None:
        return ""
    if isinstance(field, serializers.BooleanField):
        return f", default {int(default)}"
    return f", default {default}"


def field_help(serializer_name: str, name: str, field: serializers.Field) -> str:
    """Build one field's help text: meaning, then Komet type, requirement and default."""
    meaning = (
        SERIALIZER_MEANINGS.get(serializer_name, {}).get(name)
        or FIELD_MEANINGS.get(name)
        or _reference_meaning(name)
    )
    requirement = "Required" if field.required else "Optional"
    detail = f"Type {komet_type(field)}. {requirement}{_default_text(field)}."
    return f"{meaning} {detail}" if meaning else detail


def describe_serializers(serializer_classes: list[type[serializers.Serializer]]) -> None:
    """Set the help text of every declared field that has none.

    DRF builds each serializer instance's fields by calling the field class again with the
    declared field's constructor arguments (`Field.__deepcopy__` reads `_kwargs`), so the
    text goes into those arguments as well as onto the declared field.
    """
    for serializer_class in serializer_classes:
        for name, field in serializer_class._declared_fields.items():
            if not field.help_text:
                text = field_help(serializer_class.__name__, name, field)
                field.help_text = text
                field._kwargs["help_text"] = text
