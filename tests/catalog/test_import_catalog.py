"""import_catalog: master data shaped like Komet's list methods, upserted by code."""

import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

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

    assert "customers: 0 created, 1 updated, 0 rejected" in output
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

    assert "boxtypes: 1 created, 0 updated, 2 rejected" in output
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
