"""Label records shared by the label renderer tests.

They are handed out as fixtures, not imported, so the tests work in every pytest import mode.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest

from labels.render import LabelData


def build_label(index: int = 1, **overrides: object) -> LabelData:
    """Build a plausible label; keyword arguments replace single fields."""
    values: dict[str, object] = {
        "box_code": f"CO{index:08d}",
        "vendor_name": "Flores de la Sabana SAS",
        "product": "Rose Freedom 60cm",
        "box_type": "HB",
        "bunches": 12,
        "stems_per_bunch": 25,
        "po_number": "PO-48213",
        "customer": "Miami Blooms Wholesale",
        "mark_code": "MB-07",
        "awb": "36912345675",
        "house_awb": "MIA-77810",
        "lot_number": "L2026-1201",
        "ship_date": datetime.date(2026, 12, 1),
        "box_index": (index - 1) % 40 + 1,
        "box_count": 40,
        "reprint": False,
    }
    values.update(overrides)
    return LabelData(**values)  # type: ignore[arg-type]


GOLDEN_LABELS = (
    build_label(
        7,
        vendor_name="Flores Ñandú S.A.S.",
        house_awb="MIA_H-0042",
        reprint=True,
    ),
    LabelData(
        box_code="EC-000123_9",
        vendor_name="Rosas\x00 del\tCotopaxi\u202e",
        product="^XZ~JA<b>&amp; Spray Rose",
        box_type="QB",
        bunches=6,
        stems_per_bunch=None,
        po_number="~DGR:EVIL.GRF",
        customer="Bloom ^FS Co",
        mark_code="M\r\nK",
        awb="1234",
        house_awb="",
        lot_number="",
        ship_date=None,
        box_index=3,
        box_count=12,
        reprint=False,
    ),
    # Long values: some shrink to fit and some are cut with the marker.
    build_label(
        9,
        vendor_name="Agricola Bellavista Flores de Exportacion Cia Ltda",
        product="Rose Spray Assorted Premium Garden Collection 40cm",
        customer="Bayfront Floral Wholesale and Event Design Miami",
        mark_code="BAYFRONT",
        house_awb="HMIA2612050001",
        lot_number="L2026-1201-A0001",
    ),
)


@pytest.fixture
def golden_labels() -> tuple[LabelData, ...]:
    """A reprint with non-ASCII text, a label full of ZPL commands and markup, long values."""
    return GOLDEN_LABELS


@pytest.fixture
def make_label() -> Callable[..., LabelData]:
    """Factory for plausible labels: ``make_label(index, field=value, ...)``."""
    return build_label
