"""Tests for the ZPL renderer.

The golden files in ``tests/labels/golden/`` hold the exact output for the two labels of
the ``golden_labels`` fixture at each size and resolution. After an intended layout
change, regenerate them and review the diff:

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest -p no:django tests/labels/test_label_zpl.py
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from labels.render import ZPL_DPIS, ZPL_SIZES, LabelData, render_zpl
from labels.render.zpl import TRUNCATION_MARKER, escape_barcode_data, escape_field_text

MakeLabel = Callable[..., LabelData]

GOLDEN_DIR = Path(__file__).parent / "golden"
FIELD_DATA = re.compile(r"\^FD(.*?)\^FS")


def field_data(zpl: str) -> list[str]:
    """Return the data of every ^FD ... ^FS field in order."""
    return FIELD_DATA.findall(zpl)


def decode_hex_escapes(data: str) -> str:
    """Undo ^FH escapes the way a printer with ^CI28 reads them."""
    raw = re.sub(rb"_([0-9A-F]{2})", lambda m: bytes([int(m.group(1), 16)]), data.encode())
    return raw.decode("utf-8")


@pytest.mark.parametrize("dpi", ZPL_DPIS)
@pytest.mark.parametrize("size", ZPL_SIZES)
def test_zpl_matches_golden(golden_labels: tuple[LabelData, ...], size: str, dpi: int) -> None:
    output = render_zpl(golden_labels, size=size, dpi=dpi)
    golden = GOLDEN_DIR / f"labels_{size}_{dpi}dpi.zpl"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_bytes(output.encode("ascii"))
    assert golden.exists(), f"missing {golden}; run with UPDATE_GOLDEN=1 to create it"
    assert output.encode("ascii") == golden.read_bytes()


@pytest.mark.parametrize(
    ("size", "dpi", "width", "length"),
    [
        ("4x2", 203, 812, 406),
        ("4x2", 300, 1200, 600),
        ("4x6", 203, 812, 1218),
        ("4x6", 300, 1200, 1800),
    ],
)
def test_zpl_page_size(make_label: MakeLabel, size: str, dpi: int, width: int, length: int) -> None:
    output = render_zpl([make_label()], size=size, dpi=dpi)
    assert f"^PW{width}\n" in output
    assert f"^LL{length}\n" in output


def test_zpl_one_format_per_label(make_label: MakeLabel) -> None:
    labels = [make_label(index) for index in range(1, 6)]
    output = render_zpl(labels, size="4x2", dpi=203)
    assert output.count("^XA") == 5
    assert output.count("^XZ") == 5
    assert output.startswith("^XA\n")
    assert output.endswith("^XZ\n")


def test_zpl_empty_input(make_label: MakeLabel) -> None:
    assert render_zpl([], size="4x6", dpi=300) == ""


def test_zpl_contains_all_fields(make_label: MakeLabel) -> None:
    label = make_label(
        3,
        vendor_name="Flores Sabana",
        product="Rose Vendela",
        box_type="QB",
        bunches=10,
        stems_per_bunch=20,
        po_number="PO-1",
        customer="Blooms",
        mark_code="MK9",
        awb="36912345675",
        house_awb="H-55",
        lot_number="LOT77",
        box_index=3,
        box_count=9,
    )
    for size in ZPL_SIZES:
        data = field_data(render_zpl([label], size=size, dpi=203))
        for expected in [
            "Flores Sabana",
            "Rose Vendela",
            "QB 10x20",
            "PO PO-1",
            "MARK MK9",
            "AWB 369-1234-5675",
            "HAWB H-55",
            "LOT LOT77",
            "BOX 3/9",
            "CO00000003",
        ]:
            assert expected in data, f"{expected!r} missing on {size}"
        assert any(item.endswith("Blooms") for item in data)
        assert any(item.endswith("2026-12-01") for item in data)


def test_zpl_barcode_is_code128_with_text(make_label: MakeLabel) -> None:
    output = render_zpl([make_label(box_code="BX-1")], size="4x2", dpi=203)
    assert re.search(r"\^BCN,\d+,Y,N,N,A\^FH\^FDBX-1\^FS", output)


def test_zpl_reprint_marker_only_on_reprints(make_label: MakeLabel) -> None:
    output = render_zpl(
        [make_label(1, reprint=True), make_label(2, reprint=False)], size="4x6", dpi=203
    )
    first, second = output.split("^XZ\n")[:2]
    assert "^FR^FDR^FS" in first
    assert "^GB" in first
    assert "^FR" not in second
    assert "^GB" not in second


@pytest.mark.parametrize("size", ZPL_SIZES)
def test_zpl_coordinates_scale_with_dpi(make_label: MakeLabel, size: str) -> None:
    label = make_label(reprint=True)
    numbers_203 = [int(n) for n in re.findall(r"\d+", render_zpl([label], size=size, dpi=203))]
    numbers_300 = [int(n) for n in re.findall(r"\d+", render_zpl([label], size=size, dpi=300))]
    commands_203 = re.sub(r"\d+", "#", render_zpl([label], size=size, dpi=203))
    commands_300 = re.sub(r"\d+", "#", render_zpl([label], size=size, dpi=300))
    assert commands_203 == commands_300
    assert len(numbers_203) == len(numbers_300)
    for low, high in zip(numbers_203, numbers_300, strict=True):
        if low in (0, 1) or high == low:
            continue
        # Every dot value is one layout value in 1/100 in, rounded at each resolution.
        assert abs(high - low * 300 / 203) <= 1.5 * 300 / 203, (low, high)


def test_zpl_hostile_text_cannot_inject_commands(golden_labels: tuple[LabelData, ...]) -> None:
    output = render_zpl(golden_labels, size="4x2", dpi=203)
    hostile = output.split("^XZ\n")[1]
    for data in field_data(hostile):
        assert "^" not in data
        assert "~" not in data
    assert hostile.count("^XA") == 1
    assert "~JA" not in output
    assert "~DG" not in output
    assert "^XZ~" not in output
    assert "XZJA<b>&amp; Spray Rose"[:20] in field_data(hostile)[2]


def test_zpl_output_is_ascii_without_control_characters(
    golden_labels: tuple[LabelData, ...],
) -> None:
    output = render_zpl(golden_labels, size="4x6", dpi=300)
    assert output.isascii()
    assert all(char == "\n" or char.isprintable() for char in output)


def test_zpl_non_ascii_text_round_trips(make_label: MakeLabel) -> None:
    output = render_zpl([make_label(vendor_name="Flores Ñandú")], size="4x6", dpi=203)
    assert "^CI28\n" in output
    assert "Flores _C3_91and_C3_BA" in field_data(output)
    assert decode_hex_escapes("Flores _C3_91and_C3_BA") == "Flores Ñandú"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Plain text", "Plain text"),
        ("under_score", "under_5Fscore"),
        ("^XZ~JA<b>&", "XZJA<b>&"),
        ("a ^ b", "a b"),
        ("tab\there", "tab here"),
        ("nul\x00", "nul"),
        ("Ñ", "_C3_91"),
        ("€5", "_E2_82_AC5"),
        ("🌹", "_F0_9F_8C_B9"),
        ("_5F", "_5F5F"),
    ],
)
def test_escape_field_text(raw: str, expected: str) -> None:
    assert escape_field_text(raw) == expected


def test_escape_field_text_truncates_before_escaping() -> None:
    assert escape_field_text("abc_def", 5) == "abc.."
    assert escape_field_text("a_cdef", 5) == "a_5Fc.."
    assert escape_field_text("ÑÑÑÑ", 3) == "_C3_91.."
    assert escape_field_text("abc def", 6) == "abc.."
    assert escape_field_text("abcd", 4) == "abcd"


FONT_COMMAND = re.compile(r"\^A0N,(\d+),(\d+)\^FH\^FD(.*?)\^FS")


def text_fields(zpl: str) -> dict[str, int]:
    """Map the data of every text field to its font height in dots."""
    return {data: int(height) for height, _width, data in FONT_COMMAND.findall(zpl)}


@pytest.mark.parametrize("dpi", ZPL_DPIS)
def test_zpl_4x2_house_awb_and_mark_whole(make_label: MakeLabel, dpi: int) -> None:
    label = make_label(house_awb="HMIA2612050001", mark_code="BAYFRONT")
    data = field_data(render_zpl([label], size="4x2", dpi=dpi))
    assert "HAWB HMIA2612050001" in data
    assert "MARK BAYFRONT" in data


@pytest.mark.parametrize("size", ZPL_SIZES)
def test_zpl_longest_house_awb_never_cut(make_label: MakeLabel, size: str) -> None:
    house_awbs = ["HMIA" + "7" * 20 + "1", "HMIA" + "7" * 20 + "2"]
    labels = [make_label(index + 1, house_awb=value) for index, value in enumerate(house_awbs)]
    data = field_data(render_zpl(labels, size=size, dpi=203))
    for value in house_awbs:
        assert f"HAWB {value}" in data


def test_zpl_shrinks_font_before_cutting(make_label: MakeLabel) -> None:
    label = make_label(customer="Miami Blooms Wholesale Co")
    fields = text_fields(render_zpl([label], size="4x2", dpi=203))
    full_height = fields["PO PO-48213"]
    assert "Miami Blooms Wholesale Co" in fields
    assert int(full_height * 0.7) <= fields["Miami Blooms Wholesale Co"] < full_height


def test_zpl_cut_text_ends_with_marker(make_label: MakeLabel) -> None:
    label = make_label(customer="Bayfront Floral Wholesale and Event Design Miami")
    fields = text_fields(render_zpl([label], size="4x2", dpi=203))
    customer = next(data for data in fields if data.startswith("Bayfront"))
    full_height = fields["PO PO-48213"]
    assert customer.endswith(TRUNCATION_MARKER)
    assert fields[customer] == int(full_height * 0.7)


def test_escape_field_text_round_trips() -> None:
    text = "Rosas_Ñandú €5 <b>&amp;"
    assert decode_hex_escapes(escape_field_text(text)) == text


def test_escape_barcode_data_keeps_every_character() -> None:
    assert escape_barcode_data("AB^C~D_E") == "AB_5EC_7ED_5FE"
    assert decode_hex_escapes(escape_barcode_data("AB^C~D_E")) == "AB^C~D_E"
    assert escape_barcode_data("CO-123/45") == "CO-123/45"


def test_zpl_long_fields_truncated(make_label: MakeLabel) -> None:
    label = make_label(product="P" * 200, vendor_name="V" * 200, lot_number="L" * 200)
    for size in ZPL_SIZES:
        data = field_data(render_zpl([label], size=size, dpi=203))
        product = next(item for item in data if item.startswith("PPP"))
        vendor = next(item for item in data if item.startswith("VVV"))
        lot = next(item for item in data if item.startswith("LOT "))
        assert 5 < len(product) < 40
        assert 5 < len(vendor) < 40
        assert 5 < len(lot) < 40


def test_zpl_box_code_never_truncated(make_label: MakeLabel) -> None:
    code = "ABCDEFGHIJ0123456789"
    data = field_data(render_zpl([make_label(box_code=code)], size="4x2", dpi=203))
    assert code in data


@pytest.mark.parametrize("size", ["4x4", "4X2", "", "letter", "a4"])
def test_zpl_rejects_unknown_size(make_label: MakeLabel, size: str) -> None:
    with pytest.raises(ValueError, match="label size") as error:
        render_zpl([make_label()], size=size, dpi=203)
    assert repr(size) in str(error.value)
    assert "4x2, 4x6" in str(error.value)


@pytest.mark.parametrize("dpi", [200, 600, 0, 204])
def test_zpl_rejects_unknown_dpi(make_label: MakeLabel, dpi: int) -> None:
    with pytest.raises(ValueError, match="resolution") as error:
        render_zpl([make_label()], size="4x2", dpi=dpi)
    assert str(dpi) in str(error.value)
    assert "203, 300" in str(error.value)
