"""Resolving the products, box types, customers, carriers and vendors named in an API request.

A reference is an id (the portal's own record), or a code and/or a description. For a
farm's token, codes are the farm's own and resolve through its mapping rows
(`mapping.models.Vendor*`): a mapped row gives the catalogue record, an unmapped one
puts the line on hold. For a company token, codes are the portal's own codes and an unknown
code is an error. All references of a request are resolved together, with one query
per kind for ids and known codes.
"""

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import connection, models

from catalog.models import BoxType, Carrier, Customer, Product, Vendor
from mapping import services as mapping_services
from mapping.models import VendorBoxType, VendorCarrier, VendorCustomer, VendorProduct

PRODUCT = "product"
BOX_TYPE = "boxType"
CUSTOMER = "customer"
CARRIER = "carrier"
VENDOR = "vendor"

CATALOGUE_MODELS: dict[str, type[models.Model]] = {
    PRODUCT: Product,
    BOX_TYPE: BoxType,
    CUSTOMER: Customer,
    CARRIER: Carrier,
    VENDOR: Vendor,
}
# The catalogue field a company token's code matches, and the one its description matches.
CODE_FIELDS = {
    PRODUCT: "legacy_code",
    BOX_TYPE: "code",
    CUSTOMER: "code",
    CARRIER: "code",
    VENDOR: "code",
}
NAME_FIELDS = {
    PRODUCT: "description",
    BOX_TYPE: "description",
    CUSTOMER: "name",
    CARRIER: "name",
    VENDOR: "name",
}
FARM_MODELS = {
    PRODUCT: VendorProduct,
    BOX_TYPE: VendorBoxType,
    CUSTOMER: VendorCustomer,
    CARRIER: VendorCarrier,
}
FARM_RESOLVERS = {
    PRODUCT: mapping_services.vendor_product_resolve,
    BOX_TYPE: mapping_services.vendor_box_type_resolve,
    CUSTOMER: mapping_services.vendor_customer_resolve,
    CARRIER: mapping_services.vendor_carrier_resolve,
}
LABELS = {
    PRODUCT: "product",
    BOX_TYPE: "box type",
    CUSTOMER: "customer",
    CARRIER: "carrier",
    VENDOR: "vendor",
}


class IntakeError(Exception):
    """A request the intake services reject as a whole; nothing is written.

    `kind` is "invalid", "not_found" or "conflict", so the API can pick the HTTP status.
    """

    def __init__(self, message: str, *, kind: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


@dataclass
class CodeRef:
    """One reference in a request: `field` is its Komet path, e.g. `prebookItems[2].product`."""

    kind: str
    field: str
    id: int | None = None
    code: str = ""
    description: str = ""

    @property
    def is_empty(self) -> bool:
        return self.id is None and not self.code and not self.description


@dataclass
class Resolved:
    """Resolution of one reference: the catalogue record, and the farm's code row if any."""

    record: Any = None
    farm_code: Any = None


def code_ref(kind: str, field: str, data: dict[str, Any], *, name_key: str = "Description"):
    """Build a CodeRef from `<field>Id`, `<field>Code` and `<field><name_key>` keys of `data`.

    Raises IntakeError when both the id and the code are sent, even when they name the
    same record, because the portal does not guess which of the two the caller meant.
    """
    prefix = field.rsplit(".", 1)[-1]
    ref = CodeRef(
        kind=kind,
        field=field,
        id=data.get(f"{prefix}Id"),
        code=(data.get(f"{prefix}Code") or "").strip(),
        description=(data.get(f"{prefix}{name_key}") or "").strip(),
    )
    if ref.id is not None and ref.code:
        raise IntakeError(f"{field}Id / {prefix}Code: send one of them, not both.")
    return ref


def _farm_key(ref: CodeRef) -> str:
    return mapping_services._code_key(ref.code, ref.description)[:100]


class CodeResolver:
    """Reference collector: `add` them all, `resolve()` in bulk, then read each with `get(ref)`.

    `farm` is the calling farm for a vendor token (its codes go through mapping), or
    None for a company token.
    """

    def __init__(self, *, farm: Vendor | None) -> None:
        self.farm = farm
        self.refs: list[CodeRef] = []
        self.results: dict[int, Resolved] = {}

    def add(self, ref: CodeRef) -> CodeRef:
        self.refs.append(ref)
        return ref

    def resolve(self) -> None:
        by_kind: dict[str, list[CodeRef]] = defaultdict(list)
        for ref in self.refs:
            if not ref.is_empty:
                by_kind[ref.kind].append(ref)
        farm_named: dict[str, list[CodeRef]] = {}
        for kind, refs in by_kind.items():
            self._resolve_ids(kind, [ref for ref in refs if ref.id is not None])
            named = [ref for ref in refs if ref.id is None]
            if not named:
                continue
            if self.farm is not None and kind in FARM_MODELS:
                farm_named[kind] = named
            else:
                self._resolve_own_codes(kind, named)
        if farm_named:
            self._resolve_farm_codes(farm_named)

    def get(self, ref: CodeRef) -> Resolved:
        return self.results.get(id(ref), Resolved())

    def _resolve_ids(self, kind: str, refs: list[CodeRef]) -> None:
        if not refs:
            return
        model = CATALOGUE_MODELS[kind]
        found = model.objects.in_bulk({ref.id for ref in refs})
        for ref in refs:
            record = found.get(ref.id)
            if record is None:
                raise IntakeError(
                    f"{ref.field}Id: no {LABELS[kind]} with id {ref.id}.", kind="not_found"
                )
            self.results[id(ref)] = Resolved(record=record)

    def _resolve_farm_codes(self, named: dict[str, list[CodeRef]]) -> None:
        rows = _farm_code_rows(
            self.farm, {kind: {_farm_key(ref) for ref in refs} for kind, refs in named.items()}
        )
        for kind, refs in named.items():
            for ref in refs:
                key = _farm_key(ref)
                row = rows[kind].get(key)
                if row is None:
                    # First sight of this code: the mapping service creates the unmapped row
                    # (and whatever suggestions it computes), costing a few queries per new code.
                    row = FARM_RESOLVERS[kind](
                        vendor=self.farm, code=ref.code or None, description=ref.description or None
                    )
                    rows[kind][key] = row
                self.results[id(ref)] = Resolved(record=row.target, farm_code=row)

    def _resolve_own_codes(self, kind: str, refs: list[CodeRef]) -> None:
        model = CATALOGUE_MODELS[kind]
        code_field, name_field = CODE_FIELDS[kind], NAME_FIELDS[kind]
        codes = {ref.code for ref in refs if ref.code}
        rows = model.objects.filter(**{f"{code_field}__in": codes}) if codes else []
        by_code = {getattr(row, code_field): row for row in rows}
        names = {ref.description.lower() for ref in refs if not ref.code}
        by_name: dict[str, Any] = {}
        if names:
            query = models.Q()
            for name in names:
                query |= models.Q(**{f"{name_field}__iexact": name})
            for row in model.objects.filter(query):
                by_name.setdefault(getattr(row, name_field).lower(), row)
        for ref in refs:
            if ref.code:
                record = by_code.get(ref.code)
                what = f"{ref.field}Code: no {LABELS[kind]} with code {ref.code!r}."
            else:
                record = by_name.get(ref.description.lower())
                what = f"{ref.field}: no {LABELS[kind]} named {ref.description!r}."
            if record is None:
                raise IntakeError(what, kind="not_found")
            self.results[id(ref)] = Resolved(record=record)


def _farm_code_rows(farm: Vendor, keys_by_kind: dict[str, set[str]]) -> dict[str, dict[str, Any]]:
    """Load the farm's code rows for several kinds in one query: kind → code → row.

    One UNION ALL replaces a query per kind because ORM query building cost more CPU
    than the database work on the intake path (`bench/intake.py`). Each row's `target`
    is a catalogue instance holding only its id; other fields load on first access.
    """
    kinds = [kind for kind, keys in keys_by_kind.items() if keys]
    found: dict[str, dict[str, Any]] = {kind: {} for kind in keys_by_kind}
    if not kinds:
        return found
    attnames = [field.attname for field in FARM_MODELS[kinds[0]]._meta.concrete_fields]
    selects, params = [], []
    for index, kind in enumerate(kinds):
        meta = FARM_MODELS[kind]._meta
        # The four mapping models share their columns through one abstract model.
        columns = {field.attname: field.column for field in meta.concrete_fields}
        keys = sorted(keys_by_kind[kind])
        quote = connection.ops.quote_name
        select_list = ", ".join(quote(columns[name]) for name in attnames)
        placeholders = ", ".join(["%s"] * len(keys))
        selects.append(
            f"SELECT {index} AS kind_index, {select_list} FROM {quote(meta.db_table)} "
            f"WHERE {quote(columns['vendor_id'])} = %s AND {quote(columns['code'])} "
            f"IN ({placeholders})"
        )
        params += [farm.pk, *keys]
    target_position = attnames.index("target_id")
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects), params)
        for kind_index, *values in cursor.fetchall():
            kind = kinds[kind_index]
            row = FARM_MODELS[kind].from_db(connection.alias, attnames, values)
            target_id = values[target_position]
            row.target = (
                None
                if target_id is None
                else CATALOGUE_MODELS[kind].from_db(connection.alias, ["id"], [target_id])
            )
            found[kind][row.code] = row
    return found
