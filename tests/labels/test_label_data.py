"""Tests for LabelData validation, the display helpers and text cleaning."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest

from labels.render import LabelData, format_awb
from labels.render.text import clean_text

MakeLabel = Callable[..., LabelData]


@pytest.mark.parametrize(
    ("awb", "expected"),
    [
        ("36912345675", "369-1234-5675"),
        ("00100000000", "001-0000-0000"),
        ("", ""),
        ("3691234567", "3691234567"),
        ("369123456750", "369123456750"),
        ("369-1234-5675", "369-1234-5675"),
        ("3691234567X", "3691234567X"),
        ("٣٦٩١٢٣٤٥٦٧٥", "٣٦٩١٢٣٤٥٦٧٥"),
    ],
)
def test_format_awb(awb: str, expected: str) -> None:
    assert format_awb(awb) == expected


def test_awb_display_uses_3_4_4(make_label: MakeLabel) -> None:
    assert make_label(awb="36912345675").awb_display == "369-1234-5675"
    assert make_label(awb="").awb_display == ""


def test_pack_display(make_label: MakeLabel) -> None:
    assert make_label(box_type="HB", bunches=12, stems_per_bunch=25).pack_display == "HB 12x25"
    assert make_label(box_type="QB", bunches=6, stems_per_bunch=None).pack_display == "QB 6"
    assert make_label(box_type="", bunches=6, stems_per_bunch=10).pack_display == "6x10"


def test_ship_date_display(make_label: MakeLabel) -> None:
    label = make_label(ship_date=datetime.date(2026, 2, 3))
    assert label.ship_date_display == "2026-02-03"
    assert make_label(ship_date=None).ship_date_display == ""


def test_box_position_display(make_label: MakeLabel) -> None:
    assert make_label(box_index=3, box_count=12).box_position_display == "BOX 3/12"


def test_label_is_frozen(make_label: MakeLabel) -> None:
    label = make_label()
    with pytest.raises(AttributeError):
        label.box_code = "OTHER"  # type: ignore[misc]


@pytest.mark.parametrize(
    "box_code",
    ["", "X" * 21, "CAFÉ123", "AB\x00CD", "AB\tCD"],
)
def test_invalid_box_code_rejected(make_label: MakeLabel, box_code: str) -> None:
    with pytest.raises(ValueError, match="box_code"):
        make_label(box_code=box_code)


def test_box_code_limits_accepted(make_label: MakeLabel) -> None:
    assert make_label(box_code="X" * 20).box_code == "X" * 20
    assert make_label(box_code="A").box_code == "A"
    assert make_label(box_code="A^B~C_D <>&").box_code == "A^B~C_D <>&"


@pytest.mark.parametrize(
    ("box_index", "box_count"),
    [(0, 5), (6, 5), (1, 0), (-1, 3)],
)
def test_invalid_box_position_rejected(
    make_label: MakeLabel, box_index: int, box_count: int
) -> None:
    with pytest.raises(ValueError, match="box position"):
        make_label(box_index=box_index, box_count=box_count)


def test_negative_counts_rejected(make_label: MakeLabel) -> None:
    with pytest.raises(ValueError, match="bunches"):
        make_label(bunches=-1)
    with pytest.raises(ValueError, match="stems_per_bunch"):
        make_label(stems_per_bunch=-5)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Rosa  Roja ", "Rosa Roja"),
        ("line\none\ttab", "line one tab"),
        ("nul\x00byte", "nulbyte"),
        ("esc\x1b[31mred", "esc[31mred"),
        ("zero\u200bwidth", "zerowidth"),
        ("bidi\u202eoverride", "bidioverride"),
        ("no\xa0break", "no break"),
        ("Ñandú", "Ñandú"),
        ("<b>&amp;", "<b>&amp;"),
        ("", ""),
    ],
)
def test_clean_text(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected
