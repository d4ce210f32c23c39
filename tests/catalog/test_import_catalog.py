"""import_catalog: master data shaped like Komet's list methods, upserted by code."""

import datetime
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import DataError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.importer import SECTIONS, catalog_import
from catalog.models import BoxType, Carrier, CarrierCutoff, Customer, Product, Vendor
from demo.seed import CATALOG_FILE

pytestmark = pytest.mark.django_db


def write(tmp_path, data) -> str:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(data))
    return str(path)


def run(path: str, capsys) -> str:
    call_command("import_catalog", path)
    return capsys.readouterr().out


def test_demo_catalog_loads_without_rejections(capsys):
    output = run(str(CATALOG_FILE), capsys)

    assert "row(s) rejected" not in output
    assert Vendor.objects.filter(code="ROSA", is_axerrio=True).exists()
    assert BoxType.objects.get(code="QB").fbe == Decimal("0.250")
    assert Product.objects.count() > 300
    assert Carrier.objects.filter(kind=Carrier.Kind.INBOUND).exists()
    assert CarrierCutoff.objects.exists()


def test_second_import_updates_instead_of_duplicating(tmp_path, capsys):
    data = {"customers": [{"id": 1, "code": "ANG", "name": "Ang Flowers", "active": "1"}]}
    run(write(tmp_path, data), capsys)
    data["customers"][0]["name"] = "Ang Flowers Miami"

    output = run(write(tmp_path, data), capsys)

    assert "customers: 0 created, 1 updated, 0 unchanged, 0 rejected" in output
    assert Customer.objects.get(code="ANG").name == "Ang Flowers Miami"


def test_invalid_rows_rejected_with_reason_others_loaded(tmp_path, capsys):
    data = {
        "boxtypes": [
            {"code": "HB", "fbe": 0.5},
            {"code": "HALF", "fbe": 0.5},
            {"code": "QB", "fbe": "a quarter"},
        ],
        "carriers": [
            {"code": "AR", "name": "Armellini", "type": "outbound", "cutoffs": {"mon": "25:00"}}
        ],
    }

    output = run(write(tmp_path, data), capsys)

    assert "boxtypes: 1 created, 0 updated, 0 unchanged, 2 rejected" in output
    assert "boxtypes[1]: code must be at most 3 characters, got 4" in output
    assert "boxtypes[2]: fbe must be a decimal number, got 'a quarter'" in output
    assert "carriers[0]: cutoffs.mon must be HH:MM (24-hour), got '25:00'" in output
    assert list(BoxType.objects.values_list("code", flat=True)) == ["HB"]
    assert not Carrier.objects.filter(code="AR").exists()


def test_unknown_key_and_bad_json_are_command_errors(tmp_path):
    with pytest.raises(CommandError, match="Unknown keys"):
        call_command("import_catalog", write(tmp_path, {"farms": []}))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("import_catalog", str(bad))


def test_unchanged_rows_counted_and_not_rewritten(tmp_path, capsys):
    data = {"customers": [{"code": "ANG", "name": "Ang Flowers"}]}
    run(write(tmp_path, data), capsys)
    before = Customer.objects.get(code="ANG").updated_at

    output = run(write(tmp_path, data), capsys)

    assert "customers: 0 created, 0 updated, 1 unchanged, 0 rejected" in output
    assert Customer.objects.get(code="ANG").updated_at == before


def test_update_sets_updated_at_keeps_created_at(tmp_path, capsys):
    data = {"products": [{"legacyCode": "RS-1", "description": "Rose Freedom Red 50cm"}]}
    run(write(tmp_path, data), capsys)
    before = Product.objects.get(legacy_code="RS-1")
    data["products"][0]["description"] = "Rose Freedom Red 60cm"

    run(write(tmp_path, data), capsys)

    after = Product.objects.get(legacy_code="RS-1")
    assert after.description == "Rose Freedom Red 60cm"
    assert after.created_at == before.created_at
    assert after.updated_at > before.updated_at


@pytest.mark.parametrize("fbe", ["NaN", "Infinity", "-Infinity", "sNaN", "nan"])
def test_non_finite_fbe_string_rejected(tmp_path, capsys, fbe):
    data = {
        "customers": [{"code": "ANG", "name": "Ang Flowers"}],
        "boxtypes": [{"code": "HB", "fbe": fbe}],
    }

    output = run(write(tmp_path, data), capsys)

    assert f"boxtypes[0]: fbe must be a finite decimal number, got {fbe!r}" in output
    assert not BoxType.objects.exists()
    assert Customer.objects.filter(code="ANG").exists()


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_fbe_json_literal_rejected(tmp_path, capsys, literal):
    path = tmp_path / "catalog.json"
    text = json.dumps({"boxtypes": [{"code": "HB", "fbe": "X"}, {"code": "QB", "fbe": 0.25}]})
    path.write_text(text.replace('"X"', literal))

    output = run(str(path), capsys)

    assert "boxtypes[0]: fbe must be a finite decimal number" in output
    assert "boxtypes: 1 created, 0 updated, 0 unchanged, 1 rejected" in output
    assert list(BoxType.objects.values_list("code", flat=True)) == ["QB"]


@pytest.mark.parametrize(
    ("section", "row", "reason"),
    [
        (
            "products",
            {"legacyCode": {"a": 1}, "description": "Rose"},
            "legacyCode must be a string, got an object",
        ),
        (
            "products",
            {"legacyCode": "RS-1", "description": ["Rose"]},
            "description must be a string, got a list",
        ),
        (
            "products",
            {"legacyCode": "RS-1", "description": "Rose", "tags": ["red", 5]},
            "tags[1] must be a string, got a number",
        ),
        (
            "products",
            {"legacyCode": "RS-1", "description": "Rose", "tags": {"a": 1}},
            "tags must be a string, got an object",
        ),
        (
            "products",
            {"legacyCode": "RS-1", "description": "Rose", "tags": ["red,white"]},
            "tags[0] must not contain a comma",
        ),
        (
            "products",
            {"legacyCode": "RS-1", "description": "Rose", "divisionId": 2**63},
            f"divisionId must be from {-(2**63)} to {2**63 - 1}, got {2**63}",
        ),
        (
            "products",
            {"legacyCode": "RS-1", "description": "Rose", "active": "maybe"},
            "active must be true/false, 1/0 or yes/no, got 'maybe'",
        ),
        ("products", {"legacyCode": "RS-1", "description": "   "}, "description is required"),
        ("customers", {"code": True, "name": "Ang"}, "code must be a string, got a boolean"),
        (
            "customers",
            {"code": "ANG", "name": "Ang", "salesPersonId": 4.5},
            "salesPersonId must be an integer, got 4.5",
        ),
        (
            "customers",
            {"code": "ANG", "name": "Ang", "salesPersonId": "--5"},
            "salesPersonId must be an integer, got '--5'",
        ),
        ("vendors", {"code": "ROSA", "name": "Rosa", "transitDays": -1}, "transitDays must be"),
        (
            "vendors",
            {"code": "ROSA", "name": "Rosa", "pushUrl": "ftp://farm.example/push"},
            "pushUrl must be an http or https URL",
        ),
        (
            "vendors",
            {"code": "ROSA", "name": "Rosa", "timeZone": "Mars/Olympus"},
            "timeZone 'Mars/Olympus' is not an IANA time zone",
        ),
        (
            "carriers",
            {"code": "AR", "name": "Armellini", "cutoffs": ["mon"]},
            "cutoffs must be an object of weekday → HH:MM, got a list",
        ),
        (
            "carriers",
            {"code": "AR", "name": "Armellini", "cutoffs": {"mon": 1400}},
            "cutoffs.mon must be a string HH:MM, got a number",
        ),
        (
            "carriers",
            {"code": "AR", "name": "Armellini", "kometNetworkId": 2**31},
            "kometNetworkId must be from",
        ),
        ("boxtypes", {"code": "HB", "fbe": True}, "fbe must be a decimal number, got a boolean"),
        ("boxtypes", {"code": "HB", "fbe": [0.5]}, "fbe must be a decimal number, got a list"),
        ("boxtypes", {"code": "HB", "fbe": "0.3333"}, "fbe must have at most 3 decimal places"),
        ("boxtypes", ["HB", 0.5], "row must be an object, got a list"),
    ],
)
def test_wrong_type_rejected_with_reason(tmp_path, capsys, section, row, reason):
    output = run(write(tmp_path, {section: [row]}), capsys)

    assert f"{section}[0]: {reason}" in output
    assert f"{section}: 0 created, 0 updated, 0 unchanged, 1 rejected" in output


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"code": "A\u0000B", "name": "Ang"}, "code must not contain control character U+0000"),
        ({"code": "ANG", "name": "Ang\u0000"}, "name must not contain control character U+0000"),
        (
            {"code": "ANG", "name": "Ang\u001b[31m"},
            "name must not contain control character U+001B",
        ),
        ({"code": "ANG", "name": "Ang\nFlowers"}, "name must not contain control character U+000A"),
        (
            {"code": "ANG", "name": "Ang\u0085Flowers"},
            "name must not contain control character U+0085",
        ),
        ({"code": "ANG", "name": "Ang\ud800"}, "name must not contain unpaired surrogate U+D800"),
    ],
)
def test_control_characters_rejected(tmp_path, capsys, row, reason):
    output = run(write(tmp_path, {"customers": [row]}), capsys)

    assert f"customers[0]: {reason}" in output
    assert not Customer.objects.exists()


def test_tags_list_joined_with_commas(tmp_path, capsys):
    data = {
        "products": [
            {"legacyCode": "RS-1", "description": "Rose", "tags": ["rose", " red ", ""]},
            {"legacyCode": "RS-2", "description": "Rose", "tags": "standard,xmas"},
        ]
    }

    run(write(tmp_path, data), capsys)

    assert Product.objects.get(legacy_code="RS-1").tags == "rose,red"
    assert Product.objects.get(legacy_code="RS-2").tags == "standard,xmas"


def test_komet_string_integers_and_flags_accepted(tmp_path, capsys):
    data = {
        "customers": [
            {"code": "ANG", "name": "Ang", "salesPersonId": "41", "active": "0"},
            {"code": "BAY", "name": "Bay", "salesPersonId": 42.0, "active": False},
        ]
    }

    output = run(write(tmp_path, data), capsys)

    assert "customers: 2 created, 0 updated, 0 unchanged, 0 rejected" in output
    assert Customer.objects.get(code="ANG").sales_person_id == 41
    assert Customer.objects.get(code="BAY").sales_person_id == 42
    assert not Customer.objects.filter(active=True).exists()


def test_duplicate_code_rejected_first_kept(tmp_path, capsys):
    data = {
        "vendors": [
            {"code": "ROSA", "name": "Rosa first"},
            {"code": "ESMER", "name": "Esmeralda"},
            {"code": "ROSA", "name": "Rosa second"},
            {"code": " ROSA ", "name": "Rosa third"},
        ],
        "products": [
            {"legacyCode": "RS-1", "description": "Rose first"},
            {"legacyCode": "RS-1", "description": "Rose second"},
        ],
    }

    output = run(write(tmp_path, data), capsys)

    assert "vendors[2]: duplicate code 'ROSA', first at vendors[0]" in output
    assert "vendors[3]: duplicate code 'ROSA', first at vendors[0]" in output
    assert "products[1]: duplicate legacyCode 'RS-1', first at products[0]" in output
    assert "vendors: 2 created, 0 updated, 0 unchanged, 2 rejected" in output
    assert Vendor.objects.get(code="ROSA").name == "Rosa first"
    assert Product.objects.get(legacy_code="RS-1").description == "Rose first"


def test_duplicate_of_rejected_row_also_rejected(tmp_path, capsys):
    data = {"boxtypes": [{"code": "HB", "fbe": "half"}, {"code": "HB", "fbe": 0.5}]}

    output = run(write(tmp_path, data), capsys)

    assert "boxtypes[0]: fbe must be a decimal number, got 'half'" in output
    assert "boxtypes[1]: duplicate code 'HB', first at boxtypes[0]" in output
    assert not BoxType.objects.exists()


def test_carrier_cutoffs_replaced_and_counted(tmp_path, capsys):
    data = {"carriers": [{"code": "AR", "name": "Armellini", "cutoffs": {"mon": "14:00"}}]}
    run(write(tmp_path, data), capsys)

    unchanged = run(write(tmp_path, data), capsys)
    data["carriers"][0]["cutoffs"] = {"tue": "15:30", "wed": "16:00"}
    changed = run(write(tmp_path, data), capsys)

    assert "carriers: 0 created, 0 updated, 1 unchanged, 0 rejected" in unchanged
    assert "carriers: 0 created, 1 updated, 0 unchanged, 0 rejected" in changed
    cutoffs = CarrierCutoff.objects.filter(carrier__code="AR").order_by("weekday")
    assert [(c.weekday, c.cutoff_time) for c in cutoffs] == [
        (1, datetime.time(15, 30)),
        (2, datetime.time(16, 0)),
    ]


def test_failure_mid_import_writes_nothing(tmp_path, monkeypatch):
    data = {
        "customers": [{"code": "ANG", "name": "Ang Flowers"}],
        "vendors": [{"code": "ROSA", "name": "Rosa"}],
        "products": [{"legacyCode": "RS-1", "description": "Rose"}],
    }

    def failing_bulk_create(*args, **kwargs):
        raise DataError("value too long for type character varying(20)")

    monkeypatch.setattr(Product.objects, "bulk_create", failing_bulk_create)

    with pytest.raises(CommandError, match="nothing was written: value too long"):
        call_command("import_catalog", write(tmp_path, data))

    assert not Customer.objects.exists()
    assert not Vendor.objects.exists()


def test_deeply_nested_file_is_command_error(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000 + "]" * 200_000)

    with pytest.raises(CommandError, match="nested too deeply"):
        call_command("import_catalog", str(path))


def test_directory_path_is_command_error(tmp_path):
    with pytest.raises(CommandError, match="is a directory"):
        call_command("import_catalog", str(tmp_path))


def test_unreadable_inputs_are_command_errors(tmp_path):
    huge_number = tmp_path / "huge.json"
    text = json.dumps({"customers": [{"code": "A", "name": "A", "salesPersonId": "X"}]})
    huge_number.write_text(text.replace('"X"', "9" * 5000))
    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes('{"customers": [{"code": "A", "name": "Señor"}]}'.encode("latin-1"))

    with pytest.raises(CommandError, match="File not found"):
        call_command("import_catalog", str(tmp_path / "missing.json"))
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("import_catalog", str(huge_number))
    with pytest.raises(CommandError, match="not valid UTF-8"):
        call_command("import_catalog", str(latin1))
    with pytest.raises(CommandError, match="products must be a list, got an object"):
        call_command("import_catalog", write(tmp_path, {"products": {"RS-1": {}}}))


def test_products_upserted_in_fixed_queries(tmp_path, capsys, django_assert_max_num_queries):
    products = [
        {"legacyCode": f"P-{n}", "description": f"Rose {n}", "tags": ["rose"]} for n in range(1200)
    ]
    path = write(tmp_path, {"products": products})
    with django_assert_max_num_queries(20):
        created = run(path, capsys)
    for product in products[::2]:
        product["description"] += " Select"

    with django_assert_max_num_queries(20):
        updated = run(write(tmp_path, {"products": products}), capsys)

    assert "products: 1200 created, 0 updated, 0 unchanged, 0 rejected" in created
    assert "products: 0 created, 600 updated, 600 unchanged, 0 rejected" in updated
    assert Product.objects.get(legacy_code="P-0").description == "Rose 0 Select"
    assert Product.objects.get(legacy_code="P-1").description == "Rose 1"


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)
ROW_KEYS = st.sampled_from(
    [
        "code", "name", "legacyCode", "description", "fbe", "tags", "active", "cutoffs",
        "type", "timeZone", "pushUrl", "transitDays", "salesPersonId", "kometNetworkId",
        "divisionId", "axerrio",
    ]
)  # fmt: skip
ROWS = st.lists(st.dictionaries(ROW_KEYS, JSON_VALUES, max_size=6) | JSON_VALUES, max_size=4)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(section=st.sampled_from(SECTIONS), rows=ROWS)
def test_any_json_rows_load_or_reject(section, rows):
    with transaction.atomic():
        report = catalog_import({section: rows})
        outcome = report.sections[section]

        assert outcome.created + outcome.updated + outcome.unchanged + len(outcome.rejected) == len(
            rows
        )
        transaction.set_rollback(True)


def test_update_writes_every_column_type(tmp_path, capsys):
    data = {
        "vendors": [
            {"code": "ROSA", "name": "Rosa", "transitDays": 2, "axerrio": True},
        ],
        "boxtypes": [{"code": "HB", "fbe": 0.5, "kometNetworkId": 12}],
        "customers": [{"code": "ANG", "name": "Ang", "salesPersonId": 41}],
    }
    run(write(tmp_path, data), capsys)
    data["vendors"][0].update(transitDays=3, axerrio=False, timeZone="America/Guayaquil")
    data["boxtypes"][0].update(fbe="0.125", kometNetworkId=None)
    data["customers"][0].update(salesPersonId=2**40, active=0)

    output = run(write(tmp_path, data), capsys)

    vendor = Vendor.objects.get(code="ROSA")
    boxtype = BoxType.objects.get(code="HB")
    customer = Customer.objects.get(code="ANG")
    assert "vendors: 0 created, 1 updated, 0 unchanged, 0 rejected" in output
    assert (vendor.transit_days, vendor.is_axerrio) == (3, False)
    assert vendor.time_zone == "America/Guayaquil"
    assert boxtype.fbe == Decimal("0.125")
    assert boxtype.komet_network_id is None
    assert customer.sales_person_id == 2**40
    assert customer.active is False
