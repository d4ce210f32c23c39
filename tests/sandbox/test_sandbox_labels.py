"""AWB numbers, box codes and lot numbers printed by the sandbox farm."""

from __future__ import annotations

import random
import re

import pytest

from sandbox.axerrio import CARGO_PREFIXES, FARM_PRODUCTS, awb_is_valid, make_awb
from sandbox.axerrio.labels import BoxCodeGenerator, ShippingDocuments


def test_make_awb_appends_serial_mod_7() -> None:
    assert make_awb("369", 1234567) == "369-12345675"
    assert make_awb(6, 7) == "006-00000070"
    assert make_awb("729", 9999999) == "729-99999992"


@pytest.mark.parametrize("prefix", CARGO_PREFIXES)
def test_make_awb_output_is_valid(prefix: str) -> None:
    for serial in (0, 1, 6, 7, 1234567, 9999999):
        assert awb_is_valid(make_awb(prefix, serial))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("369-12345675", True),
        ("36912345675", True),
        ("369 1234 5675", True),
        ("369-12345674", False),
        ("369-1234567", False),
        ("369-123456756", False),
        ("369-1234567X", False),
        ("", False),
        ("３６９-12345675", False),
    ],
)
def test_awb_is_valid_cases(text: str, expected: bool) -> None:
    assert awb_is_valid(text) is expected


@pytest.mark.parametrize(("prefix", "serial"), [("3690", 1), ("AB1", 1), ("369", -1),
                                                ("369", 10_000_000)])
def test_make_awb_rejects_invalid_input(prefix: str, serial: int) -> None:
    with pytest.raises(ValueError):
        make_awb(prefix, serial)


def test_box_codes_unique_and_farm_style() -> None:
    generator = BoxCodeGenerator(clock=lambda: 1_700_000_000.0)
    codes = [generator.next_code() for _ in range(500)]
    assert len(set(codes)) == 500
    assert all(re.fullmatch(r"RS\d{8}", code) for code in codes)


def test_box_codes_follow_clock_across_runs() -> None:
    first_run = BoxCodeGenerator(clock=lambda: 1_700_000_000.00)
    first_codes = [first_run.next_code() for _ in range(50)]
    second_run = BoxCodeGenerator(clock=lambda: 1_700_000_001.00)
    second_codes = [second_run.next_code() for _ in range(50)]
    assert not set(first_codes) & set(second_codes)


def test_shipping_documents_valid_awb_and_lot() -> None:
    documents = ShippingDocuments("145", random.Random(3))
    awb = documents.master_awb("2026-12-05")
    assert awb_is_valid(awb)
    assert awb.startswith("145-")
    assert documents.master_awb("2026-12-05") == awb
    assert documents.master_awb("2026-12-06") != awb
    for _ in range(20):
        house_awb, lot_number = documents.next_shipment("2026-12-05")
        assert house_awb.startswith("HMIA261205")
        assert len(house_awb) <= 25
        assert not 1000 <= int(lot_number) <= 99999


def test_catalogue_has_one_unknown_product() -> None:
    unknown = [product for product in FARM_PRODUCTS if product.unknown_to_importer]
    assert len(unknown) == 1
    assert 10 <= len(FARM_PRODUCTS) <= 14
    codes = [product.code for product in FARM_PRODUCTS]
    assert len(set(codes)) == len(codes)
    assert "FR50" in codes
    assert "VEN60" in codes
    assert all(len(code) <= 20 for code in codes)
