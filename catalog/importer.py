"""Loading master data from one JSON object shaped like Komet's list methods.

The object has the keys `customers`, `vendors`, `carriers`, `boxtypes` and `products`,
each a list of rows as `customer.list`, `vendor.list`, `carrier.list`, `boxtype.list`
and `product.list` return them. Rows are upserted by code (products by `legacyCode`).
A row that fails validation is rejected with the reason and the others still load.

Portal extensions understood on top of Komet's fields: a vendor's `timeZone`,
`axerrio` (true for farms running Axerrio), `pushUrl` and `transitDays`; a carrier's
`type` (`inbound` or `outbound`) and `cutoffs` (weekday `mon`..`sun` → `HH:MM`, US
Eastern time).
"""

import datetime
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from catalog.models import BoxType, Carrier, CarrierCutoff, Customer, Product, Vendor

WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
SECTIONS = ("customers", "vendors", "carriers", "boxtypes", "products")


class RowError(ValueError):
    """One row cannot be loaded; the message names the field and the rule."""


@dataclass
class SectionReport:
    created: int = 0
    updated: int = 0
    rejected: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    sections: dict[str, SectionReport] = field(
        default_factory=lambda: {name: SectionReport() for name in SECTIONS}
    )

    @property
    def rejected_count(self) -> int:
        return sum(len(section.rejected) for section in self.sections.values())

    def lines(self) -> list[str]:
        output = []
        for name, section in self.sections.items():
            output.append(
                f"{name}: {section.created} created, {section.updated} updated, "
                f"{len(section.rejected)} rejected"
            )
            output += [f"  rejected {reason}" for reason in section.rejected]
        return output


def _text(row: dict, key: str, max_length: int, *, required: bool = False) -> str:
    value = row.get(key)
    if value is None or value == "":
        if required:
            raise RowError(f"{key} is required")
        return ""
    value = str(value).strip()
    if len(value) > max_length:
        raise RowError(f"{key} must be at most {max_length} characters, got {len(value)}")
    return value


def _flag(row: dict, key: str, default: bool = True) -> bool:
    value = row.get(key, default)
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def _optional_int(row: dict, key: str) -> int | None:
    value = row.get(key)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise RowError(f"{key} must be an integer, got {value!r}") from None


def _customer(row: dict) -> tuple[str, dict[str, Any]]:
    return _text(row, "code", 20, required=True), {
        "name": _text(row, "name", 200, required=True),
        "accounting_code": _text(row, "accountingCode", 20),
        "active": _flag(row, "active"),
        "sales_person": _text(row, "salesPerson", 200),
        "sales_person_id": _optional_int(row, "salesPersonId"),
        "customer_type": _text(row, "customerType", 200),
    }


def _vendor(row: dict) -> tuple[str, dict[str, Any]]:
    values: dict[str, Any] = {
        "name": _text(row, "name", 200, required=True),
        "port_origin": _text(row, "portOrigin", 4),
        "active": _flag(row, "active"),
        "is_axerrio": _flag(row, "axerrio", default=False),
    }
    time_zone = _text(row, "timeZone", 64)
    if time_zone:
        if time_zone not in zoneinfo.available_timezones():
            raise RowError(f"timeZone {time_zone!r} is not an IANA time zone")
        values["time_zone"] = time_zone
    push_url = _text(row, "pushUrl", 200)
    if push_url:
        values["push_url"] = push_url
    transit_days = _optional_int(row, "transitDays")
    if transit_days is not None:
        values["transit_days"] = transit_days
    return _text(row, "code", 20, required=True), values


def _carrier(row: dict) -> tuple[str, dict[str, Any]]:
    kind = str(row.get("type") or Carrier.Kind.OUTBOUND).lower()
    if kind not in Carrier.Kind.values:
        raise RowError(f"type must be 'inbound' or 'outbound', got {row.get('type')!r}")
    return _text(row, "code", 20, required=True), {
        "name": _text(row, "name", 200, required=True),
        "kind": kind,
        "active": _flag(row, "active"),
        "street": _text(row, "street", 50),
        "city": _text(row, "city", 50),
        "state": _text(row, "state", 50),
        "zip_code": _text(row, "zipCode", 20),
        "country": _text(row, "country", 50),
        "phone": _text(row, "phone", 30),
        "komet_network_name": _text(row, "kometNetworkName", 20),
        "komet_network_id": _optional_int(row, "kometNetworkId"),
    }


def _cutoffs(row: dict) -> dict[int, datetime.time]:
    raw = row.get("cutoffs") or {}
    if not isinstance(raw, dict):
        raise RowError("cutoffs must be an object of weekday → HH:MM")
    result = {}
    for day, text in raw.items():
        if day not in WEEKDAYS:
            raise RowError(f"cutoffs key {day!r} must be one of {', '.join(WEEKDAYS)}")
        try:
            result[WEEKDAYS[day]] = datetime.datetime.strptime(str(text), "%H:%M").time()
        except ValueError:
            raise RowError(f"cutoffs.{day} must be HH:MM (24-hour), got {text!r}") from None
    return result


def _boxtype(row: dict) -> tuple[str, dict[str, Any]]:
    try:
        fbe = Decimal(str(row.get("fbe", "1")))
    except InvalidOperation:
        raise RowError(f"fbe must be a decimal number, got {row.get('fbe')!r}") from None
    if not Decimal("0") < fbe <= Decimal("10"):
        raise RowError(f"fbe must be greater than 0 and at most 10, got {fbe}")
    return _text(row, "code", 3, required=True), {
        "fbe": fbe,
        "description": _text(row, "description", 100),
        "komet_network_name": _text(row, "kometNetworkName", 5),
        "komet_network_id": _optional_int(row, "kometNetworkId"),
    }


def _product(row: dict) -> tuple[str, dict[str, Any]]:
    return _text(row, "legacyCode", 20, required=True), {
        "description": _text(row, "description", 200, required=True),
        "active": _flag(row, "active"),
        "category": _text(row, "category", 200),
        "division_id": _optional_int(row, "divisionId"),
        "division_description": _text(row, "divisionDescription", 20) or "FreshCutFlowers",
        "variety": _text(row, "variety", 200),
        "color": _text(row, "color", 200),
        "grade": _text(row, "grade", 200),
        "tags": _text(row, "tags", 200),
    }


PARSERS: dict[str, tuple[type, str, Callable[[dict], tuple[str, dict[str, Any]]]]] = {
    "customers": (Customer, "code", _customer),
    "vendors": (Vendor, "code", _vendor),
    "carriers": (Carrier, "code", _carrier),
    "boxtypes": (BoxType, "code", _boxtype),
    "products": (Product, "legacy_code", _product),
}


def catalog_import(data: Any) -> ImportReport:
    """Upsert every valid row of `data` and return what was created, updated and rejected."""
    if not isinstance(data, dict):
        raise ValueError("The catalogue file must contain one JSON object.")
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        raise ValueError(f"Unknown keys {unknown}; expected some of {list(SECTIONS)}.")

    report = ImportReport()
    for section in SECTIONS:
        rows = data.get(section) or []
        if not isinstance(rows, list):
            raise ValueError(f"{section} must be a list.")
        model, key_field, parse = PARSERS[section]
        for index, row in enumerate(rows):
            outcome = report.sections[section]
            try:
                if not isinstance(row, dict):
                    raise RowError("row must be an object")
                key, values = parse(row)
                with transaction.atomic():
                    _, created = model.objects.update_or_create(
                        **{key_field: key}, defaults=values
                    )
                    if section == "carriers":
                        _replace_cutoffs(key, _cutoffs(row))
            except RowError as error:
                outcome.rejected.append(f"{section}[{index}]: {error}")
                continue
            if created:
                outcome.created += 1
            else:
                outcome.updated += 1
    return report


def _replace_cutoffs(code: str, cutoffs: dict[int, datetime.time]) -> None:
    carrier = Carrier.objects.get(code=code)
    carrier.cutoffs.all().delete()
    CarrierCutoff.objects.bulk_create(
        CarrierCutoff(carrier=carrier, weekday=day, cutoff_time=time)
        for day, time in cutoffs.items()
    )
