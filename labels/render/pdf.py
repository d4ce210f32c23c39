"""PDF output: one label per page on thermal stock, or sheets of labels for office printers.

Labels use the same layout table as the ZPL output, drawn with the standard Helvetica
fonts and reportlab's Code 128 barcode. Farm text is drawn with text-object string calls,
so markup such as ``<b>`` or ``&amp;`` prints literally.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.pagesizes import A4, letter
from reportlab.lib.units import inch, mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from labels.render.data import LabelData
from labels.render.layout import GENERATED_VALUES, LAYOUTS, MIN_FONT_SCALE, Layout
from labels.render.text import clean_text

PDF_STOCKS = ("4x2", "4x6", "letter", "a4")

# Layout units are hundredths of an inch, and a PDF point is 1/72 inch.
POINTS_PER_UNIT = 0.72

FONT = "Helvetica"
BOLD_FONT = "Helvetica-Bold"
BOLD_VALUES = frozenset({"product", "box_position_display"})

# Narrowest Code 128 bar: 0.01 in, the same as 2 dots at 203 dpi or 3 dots at 300 dpi
# on the ZPL labels. The quiet zone on each side is 10 modules, the Code 128 minimum.
BARCODE_MODULE = 0.01 * inch
BARCODE_QUIET_ZONE = 10 * BARCODE_MODULE

# Largest advance of any WinAnsi character in Helvetica and Helvetica-Bold, in em: 1.015
# for "@" in Helvetica, from reportlab's metrics. Text within this bound is not measured.
_MAX_CHAR_ADVANCE = 1.015

# Baseline position below the top of a text line, as a fraction of the font size.
_BASELINE = 0.8

# Ends text that was cut to fit. It is in WinAnsi (0x85), so the standard fonts have it.
TRUNCATION_MARKER = "\u2026"


@dataclass(frozen=True, slots=True)
class Stock:
    """Page and grid geometry of a PDF stock, in points.

    Cells are filled left to right, then top to bottom. ``top_margin`` and
    ``left_margin`` place the top-left cell, and the gaps separate neighbouring cells.
    """

    page_width: float
    page_height: float
    label_width: float
    label_height: float
    columns: int = 1
    rows: int = 1
    left_margin: float = 0.0
    top_margin: float = 0.0
    column_gap: float = 0.0
    row_gap: float = 0.0
    layout_size: str = "4x2"

    @property
    def labels_per_page(self) -> int:
        """Number of labels on one page."""
        return self.columns * self.rows

    def cell_origin(self, slot: int) -> tuple[float, float]:
        """Return the bottom-left corner of cell ``slot`` (0-based, row-major) in points."""
        row, column = divmod(slot, self.columns)
        x = self.left_margin + column * (self.label_width + self.column_gap)
        top = self.top_margin + row * (self.label_height + self.row_gap)
        return x, self.page_height - top - self.label_height


def _sheet(
    page: tuple[float, float],
    label_size: tuple[float, float],
    columns: int,
    rows: int,
    top_margin: float,
    column_gap: float,
) -> Stock:
    """Build a sheet stock whose grid is centred across the page width."""
    page_width, page_height = page
    label_width, label_height = label_size
    left_margin = (page_width - columns * label_width - (columns - 1) * column_gap) / 2
    return Stock(
        page_width=page_width,
        page_height=page_height,
        label_width=label_width,
        label_height=label_height,
        columns=columns,
        rows=rows,
        left_margin=left_margin,
        top_margin=top_margin,
        column_gap=column_gap,
    )


STOCKS: dict[str, Stock] = {
    "4x2": Stock(4 * inch, 2 * inch, 4 * inch, 2 * inch, layout_size="4x2"),
    "4x6": Stock(4 * inch, 6 * inch, 4 * inch, 6 * inch, layout_size="4x6"),
    # 10 labels of 4 x 2 in: 0.5 in top and bottom margins, 0.15 in between the columns.
    "letter": _sheet(letter, (4 * inch, 2 * inch), 2, 5, 0.5 * inch, 0.15 * inch),
    # 14 labels of 99.1 x 38.1 mm with 2.5 mm between the columns. The grid is centred,
    # which gives 15.15 mm top and bottom margins and 4.65 mm side margins.
    # NOTE: check these margins against the label supplier's template before ordering.
    "a4": _sheet(A4, (99.1 * mm, 38.1 * mm), 2, 7, (A4[1] - 7 * 38.1 * mm) / 2, 2.5 * mm),
}


def validate_pdf_stock(stock: str) -> None:
    """Raise ValueError if the stock is not supported."""
    if stock not in STOCKS:
        raise ValueError(f"invalid PDF stock {stock!r}: use one of {', '.join(PDF_STOCKS)}")


def clean_pdf_text(text: str) -> str:
    """Clean farm text for the standard PDF fonts.

    Non-printable characters are removed as in ``clean_text``, and characters outside
    the WinAnsi (cp1252) encoding of the standard Helvetica fonts become ``?``.
    """
    text = clean_text(text)
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        text = "".join(_to_cp1252(char) for char in text)
    return text


def _to_cp1252(char: str) -> str:
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        return "?"
    return char


def fit_text(text: str, font: str, size: float, max_width: float) -> str:
    """Cut ``text`` so that it is at most ``max_width`` points wide.

    Cut text ends with TRUNCATION_MARKER, so that two long values that share a start do
    not print the same. Returns an empty string when not even the marker fits.
    """
    if len(text) * _MAX_CHAR_ADVANCE * size <= max_width:
        return text
    return _fit_long_text(text, font, size, max_width)


def fit_line(
    text: str, font: str, size: float, min_size: float, max_width: float
) -> tuple[str, float]:
    """Return ``text`` and the font size to draw it at within ``max_width`` points.

    Text that is too wide at ``size`` gets the largest size down to ``min_size`` (in
    steps of 0.1 pt) at which it fits. Text too wide at ``min_size`` is cut there with
    ``fit_text``.
    """
    if len(text) * _MAX_CHAR_ADVANCE * size <= max_width:
        return text, size
    width = _text_width(text, font, size)
    if width <= max_width:
        return text, size
    fitting_size = math.floor(size * max_width / width * 10) / 10
    if fitting_size >= min_size:
        return text, fitting_size
    return fit_text(text, font, min_size, max_width), min_size


@lru_cache(maxsize=4096)
def _text_width(text: str, font: str, size: float) -> float:
    # Vendor, product and customer names repeat across the boxes of a shipment, so the
    # measured widths are cached.
    return stringWidth(text, font, size)


@lru_cache(maxsize=4096)
def _fit_long_text(text: str, font: str, size: float, max_width: float) -> str:
    if _text_width(text, font, size) <= max_width:
        return text
    marker_width = stringWidth(TRUNCATION_MARKER, font, size)
    if marker_width > max_width:
        return ""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if stringWidth(text[:middle].rstrip(), font, size) + marker_width <= max_width:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + TRUNCATION_MARKER


@dataclass(frozen=True, slots=True)
class _PlacedField:
    value: str
    prefix: str
    font: str
    size: float
    min_size: float
    x: float
    baseline: float
    max_width: float
    truncate: bool


@dataclass(frozen=True, slots=True)
class _PlacedLayout:
    """A layout converted to points for one cell size, with y measured from the bottom."""

    fields: tuple[_PlacedField, ...]
    bars_x: float
    bars_y: float
    bar_height: float
    barcode_text_size: float
    barcode_text_baseline: float
    reprint_rect: tuple[float, float, float, float]
    reprint_font_size: float
    reprint_baseline: float


def _place_layout(layout: Layout, width: float, height: float) -> _PlacedLayout:
    """Scale a layout to a cell of ``width`` x ``height`` points.

    Positions, widths and the bar height scale with the cell along each axis. Font sizes
    scale with the smaller of the two factors so that text is not stretched. The bar
    module stays at BARCODE_MODULE on every stock.
    """
    scale_x = width / (layout.width * POINTS_PER_UNIT)
    scale_y = height / (layout.height * POINTS_PER_UNIT)
    scale_font = min(scale_x, scale_y)

    # Positions and sizes are rounded to 0.1 pt to keep the numbers in the page stream
    # short, because formatting and encoding them is a large part of the rendering time.
    def to_x(units: float) -> float:
        return round(units * POINTS_PER_UNIT * scale_x, 1)

    def to_y(units: float) -> float:
        """Convert a distance from the top into a y coordinate from the bottom."""
        return round(height - units * POINTS_PER_UNIT * scale_y, 1)

    def to_size(units: float) -> float:
        return round(units * POINTS_PER_UNIT * scale_font, 1)

    fields = []
    for field in layout.fields:
        size = to_size(field.font_height)
        fields.append(
            _PlacedField(
                value=field.value,
                prefix=field.prefix,
                font=BOLD_FONT if field.value in BOLD_VALUES else FONT,
                size=size,
                min_size=round(size * MIN_FONT_SCALE, 1),
                x=to_x(field.x),
                baseline=round(to_y(field.y) - _BASELINE * size, 1),
                max_width=to_x(field.max_width),
                truncate=field.value not in GENERATED_VALUES,
            )
        )

    # Drawing the fields grouped by font needs the fewest font changes.
    fields.sort(key=lambda placed_field: (placed_field.font, placed_field.size))

    barcode = layout.barcode
    bar_height = barcode.bar_height * POINTS_PER_UNIT * scale_y
    bars_y = to_y(barcode.y) - bar_height
    text_size = to_size(barcode.text_height)
    box = layout.reprint_box
    box_height = box.height * POINTS_PER_UNIT * scale_y
    reprint_font_size = to_size(box.font_height)
    return _PlacedLayout(
        fields=tuple(fields),
        bars_x=to_x(barcode.x),
        bars_y=bars_y,
        bar_height=bar_height,
        barcode_text_size=text_size,
        barcode_text_baseline=round(bars_y - 0.2 * text_size - _BASELINE * text_size, 1),
        reprint_rect=(to_x(box.x), to_y(box.y) - box_height, to_x(box.width), box_height),
        reprint_font_size=reprint_font_size,
        # Cap height of Helvetica-Bold is about 0.72 em, which this centres in the box.
        reprint_baseline=to_y(box.y) - box_height / 2 - 0.36 * reprint_font_size,
    )


def _draw_label(
    canvas: Canvas, placed: _PlacedLayout, label: LabelData, x: float, y: float
) -> None:
    """Draw one label with its bottom-left corner at (``x``, ``y``)."""
    barcode = Code128(
        label.box_code,
        barWidth=BARCODE_MODULE,
        barHeight=placed.bar_height,
        lquiet=BARCODE_QUIET_ZONE,
        rquiet=BARCODE_QUIET_ZONE,
    )
    barcode_left = x + placed.bars_x - BARCODE_QUIET_ZONE
    barcode.drawOn(canvas, barcode_left, y + placed.bars_y)

    # One text object carries every line. A relative move writes two numbers per line,
    # where each drawString call would write a six-number text matrix. With a leading of
    # 0, textLine leaves the line start where it was and, unlike textOut, measures nothing.
    text = canvas.beginText(x, y)
    current_font = None
    line_x = line_y = 0.0
    for field in placed.fields:
        line = field.prefix + clean_pdf_text(getattr(label, field.value))
        size = field.size
        if field.truncate:
            line, size = fit_line(line, field.font, size, field.min_size, field.max_width)
        if not line:
            continue
        if (field.font, size) != current_font:
            text.setFont(field.font, size, leading=0)
            current_font = (field.font, size)
        text.moveCursor(field.x - line_x, line_y - field.baseline)
        line_x, line_y = field.x, field.baseline
        text.textLine(line)

    code_width = stringWidth(label.box_code, FONT, placed.barcode_text_size)
    code_x = round(placed.bars_x - BARCODE_QUIET_ZONE + (barcode.width - code_width) / 2, 1)
    text.setFont(FONT, placed.barcode_text_size, leading=0)
    text.moveCursor(code_x - line_x, line_y - placed.barcode_text_baseline)
    text.textLine(label.box_code)
    canvas.drawText(text)

    if label.reprint:
        _draw_reprint_marker(canvas, placed, x, y)


def _draw_reprint_marker(canvas: Canvas, placed: _PlacedLayout, x: float, y: float) -> None:
    """Draw a black box with a white "R" in it."""
    box_x, box_y, box_width, box_height = placed.reprint_rect
    canvas.rect(x + box_x, y + box_y, box_width, box_height, stroke=0, fill=1)
    canvas.setFillGray(1)
    canvas.setFont(BOLD_FONT, placed.reprint_font_size)
    canvas.drawCentredString(x + box_x + box_width / 2, y + placed.reprint_baseline, "R")
    canvas.setFillGray(0)


def render_pdf(labels: Iterable[LabelData], *, stock: str) -> bytes:
    """Render labels as a PDF document and return its bytes.

    ``stock`` is ``"4x2"`` or ``"4x6"`` for thermal labels (one label per page), or
    ``"letter"`` (2 x 5 labels of 4 x 2 in) or ``"a4"`` (2 x 7 labels of 99.1 x 38.1 mm)
    for sheets. Raises ValueError for any other stock. An empty input gives a PDF with
    one blank page, because a PDF document needs at least one page.
    """
    validate_pdf_stock(stock)
    geometry = STOCKS[stock]
    placed = _place_layout(
        LAYOUTS[geometry.layout_size], geometry.label_width, geometry.label_height
    )
    buffer = io.BytesIO()
    # invariant=1 leaves out creation dates and random ids, so equal input gives equal bytes.
    canvas = Canvas(buffer, pagesize=(geometry.page_width, geometry.page_height), invariant=1)
    canvas.setTitle("Box labels")
    per_page = geometry.labels_per_page
    slot = 0
    for label in labels:
        if slot == per_page:
            canvas.showPage()
            slot = 0
        x, y = geometry.cell_origin(slot)
        _draw_label(canvas, placed, label, x, y)
        slot += 1
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
