"""Label layouts shared by the ZPL and PDF renderers.

Every position and size is in hundredths of an inch, measured from the top-left corner
of the label, so one table serves 203 and 300 dpi printers and the PDF pages alike.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TextField:
    """One line of text: the ``LabelData`` value it shows and where it goes.

    ``max_width`` is the width available to prefix and value together. Text that does
    not fit is drawn in a smaller font, down to ``MIN_FONT_SCALE`` of ``font_height``,
    and text that still does not fit is cut at the end with a visible marker.
    """

    value: str
    x: int
    y: int
    font_height: int
    max_width: int
    prefix: str = ""


@dataclass(frozen=True, slots=True)
class BarcodeArea:
    """Position of the Code 128 symbol and its human-readable line below it.

    ``x`` is the left edge of the first bar, and the area left of it is the quiet zone.
    """

    x: int
    y: int
    bar_height: int
    text_height: int


@dataclass(frozen=True, slots=True)
class Box:
    """Filled rectangle carrying a reversed letter, used as the reprint marker."""

    x: int
    y: int
    width: int
    height: int
    font_height: int


@dataclass(frozen=True, slots=True)
class Layout:
    """Complete layout of one label size."""

    width: int
    height: int
    fields: tuple[TextField, ...]
    barcode: BarcodeArea
    reprint_box: Box


# Values a TextField may name. Each one is a LabelData field or display property.
FIELD_VALUES = (
    "vendor_name",
    "product",
    "pack_display",
    "po_number",
    "customer",
    "mark_code",
    "awb_display",
    "house_awb",
    "lot_number",
    "ship_date_display",
    "box_position_display",
)

# Smallest font a text field shrinks to before its text is cut, as a fraction of the
# field's font height: an 18-unit (0.18 in) line shrinks to 0.126 in at the least.
MIN_FONT_SCALE = 0.7

# Values that the renderers build from numbers and dates. They are never shrunk or
# truncated, because the layout leaves room for them and a cut-off box count or date
# would be misread.
GENERATED_VALUES = frozenset({"ship_date_display", "box_position_display"})

LAYOUT_4X2 = Layout(
    width=400,
    height=200,
    fields=(
        TextField("vendor_name", x=10, y=6, font_height=20, max_width=225),
        TextField("box_position_display", x=240, y=6, font_height=20, max_width=105),
        TextField("product", x=10, y=30, font_height=26, max_width=335),
        TextField("pack_display", x=10, y=60, font_height=18, max_width=120),
        TextField("po_number", x=135, y=60, font_height=18, max_width=145, prefix="PO "),
        TextField("ship_date_display", x=285, y=60, font_height=18, max_width=105),
        TextField("customer", x=10, y=81, font_height=18, max_width=185),
        TextField("mark_code", x=200, y=81, font_height=18, max_width=190, prefix="MARK "),
        TextField("awb_display", x=10, y=102, font_height=18, max_width=190, prefix="AWB "),
        TextField("lot_number", x=205, y=102, font_height=18, max_width=185, prefix="LOT "),
        # The house AWB gets a whole row: "HAWB " and its 25 characters at most.
        TextField("house_awb", x=10, y=123, font_height=18, max_width=380, prefix="HAWB "),
    ),
    barcode=BarcodeArea(x=20, y=145, bar_height=32, text_height=14),
    reprint_box=Box(x=350, y=4, width=42, height=42, font_height=34),
)

LAYOUT_4X6 = Layout(
    width=400,
    height=600,
    fields=(
        TextField("vendor_name", x=15, y=15, font_height=32, max_width=370),
        TextField("product", x=15, y=58, font_height=40, max_width=370),
        TextField("pack_display", x=15, y=115, font_height=40, max_width=200),
        TextField("box_position_display", x=220, y=119, font_height=32, max_width=165),
        TextField("po_number", x=15, y=170, font_height=30, max_width=370, prefix="PO "),
        TextField("customer", x=15, y=210, font_height=30, max_width=370, prefix="CUST "),
        TextField("mark_code", x=15, y=250, font_height=30, max_width=370, prefix="MARK "),
        TextField("awb_display", x=15, y=290, font_height=30, max_width=370, prefix="AWB "),
        TextField("house_awb", x=15, y=330, font_height=30, max_width=370, prefix="HAWB "),
        TextField("lot_number", x=15, y=370, font_height=30, max_width=270, prefix="LOT "),
        TextField("ship_date_display", x=15, y=410, font_height=30, max_width=270, prefix="SHIP "),
    ),
    barcode=BarcodeArea(x=25, y=460, bar_height=90, text_height=24),
    reprint_box=Box(x=300, y=365, width=85, height=75, font_height=64),
)

LAYOUTS = {"4x2": LAYOUT_4X2, "4x6": LAYOUT_4X6}
