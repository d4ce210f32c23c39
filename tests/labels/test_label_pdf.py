"""Tests for the PDF renderer.

Every page is rasterised with pypdfium2 and its barcodes are decoded with zxing-cpp, so
the tests check what a scanner would read, not the drawing commands.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import pypdfium2 as pdfium
import pytest
import zxingcpp
from reportlab.pdfbase.pdfmetrics import stringWidth

from labels.render import PDF_STOCKS, LabelData, render_pdf
from labels.render.pdf import (
    STOCKS,
    TRUNCATION_MARKER,
    Stock,
    clean_pdf_text,
    fit_line,
    fit_text,
)

MakeLabel = Callable[..., LabelData]

RENDER_SCALE = 3  # 216 pixels per inch

# Box codes that exercise Code 128 subsets B and C and every character ZPL treats
# specially, plus the 20-character maximum.
SPECIAL_BOX_CODES = [
    "AB^C~D_E<>&",
    "12345678901234567890",
    "ZZZZZZZZZZZZZZZZZZZZ",
    "a b/c-d.e",
]


def make_labels(make_label: MakeLabel, count: int) -> list[LabelData]:
    labels = [make_label(index) for index in range(1, count + 1)]
    for position, code in enumerate(SPECIAL_BOX_CODES[:count]):
        labels[position] = make_label(position + 1, box_code=code, reprint=position == 0)
    return labels


def cell_slot(stock: Stock, x_points: float, y_points_from_top: float) -> int:
    """Return the row-major cell index that contains a point on the page."""
    column = int((x_points - stock.left_margin) // (stock.label_width + stock.column_gap))
    row = int((y_points_from_top - stock.top_margin) // (stock.label_height + stock.row_gap))
    return row * stock.columns + column


def decode_pages(data: bytes, stock: Stock) -> list[list[str]]:
    """Decode the Code 128 symbols of every page, ordered by the cell they sit in."""
    document = pdfium.PdfDocument(data)
    pages = []
    try:
        for page in document:
            image = page.render(scale=RENDER_SCALE, grayscale=True).to_pil()
            results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.Code128)
            placed = []
            for result in results:
                corners = [
                    result.position.top_left,
                    result.position.top_right,
                    result.position.bottom_left,
                    result.position.bottom_right,
                ]
                center_x = sum(point.x for point in corners) / 4 / RENDER_SCALE
                center_y = sum(point.y for point in corners) / 4 / RENDER_SCALE
                placed.append((cell_slot(stock, center_x, center_y), result.text))
            placed.sort()
            pages.append([text for _, text in placed])
    finally:
        document.close()
    return pages


def page_texts(data: bytes) -> list[str]:
    document = pdfium.PdfDocument(data)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


def page_count(data: bytes) -> int:
    document = pdfium.PdfDocument(data)
    try:
        return len(document)
    finally:
        document.close()


@pytest.mark.parametrize("stock", ["4x2", "4x6"])
def test_thermal_pdf_one_label_per_page(make_label: MakeLabel, stock: str) -> None:
    labels = make_labels(make_label, 5)
    data = render_pdf(labels, stock=stock)
    assert page_count(data) == 5
    pages = decode_pages(data, STOCKS[stock])
    assert pages == [[label.box_code] for label in labels]


@pytest.mark.parametrize(("stock", "per_sheet", "count"), [("letter", 10, 23), ("a4", 14, 31)])
def test_sheet_pdf_page_count_and_order(
    make_label: MakeLabel, stock: str, per_sheet: int, count: int
) -> None:
    labels = make_labels(make_label, count)
    data = render_pdf(labels, stock=stock)
    assert page_count(data) == math.ceil(count / per_sheet)
    pages = decode_pages(data, STOCKS[stock])
    expected = [
        [label.box_code for label in labels[start : start + per_sheet]]
        for start in range(0, count, per_sheet)
    ]
    assert pages == expected


@pytest.mark.parametrize(("stock", "count"), [("letter", 10), ("a4", 14), ("letter", 1)])
def test_sheet_pdf_exact_pages(make_label: MakeLabel, stock: str, count: int) -> None:
    data = render_pdf([make_label(index) for index in range(1, count + 1)], stock=stock)
    assert page_count(data) == 1


@pytest.mark.parametrize("stock", PDF_STOCKS)
def test_pdf_page_size(make_label: MakeLabel, stock: str) -> None:
    expected = {
        "4x2": (288, 144),
        "4x6": (288, 432),
        "letter": (612, 792),
        "a4": (595.3, 841.9),
    }[stock]
    document = pdfium.PdfDocument(render_pdf([make_label()], stock=stock))
    try:
        width, height = document[0].get_size()
    finally:
        document.close()
    assert width == pytest.approx(expected[0], abs=0.1)
    assert height == pytest.approx(expected[1], abs=0.1)


@pytest.mark.parametrize("stock", PDF_STOCKS)
def test_pdf_empty_input_gives_blank_page(stock: str) -> None:
    data = render_pdf([], stock=stock)
    assert page_count(data) == 1
    assert decode_pages(data, STOCKS[stock]) == [[]]


@pytest.mark.parametrize("stock", PDF_STOCKS)
def test_pdf_prints_markup_literally(golden_labels: tuple[LabelData, ...], stock: str) -> None:
    labels = [golden_labels[1]]
    text = page_texts(render_pdf(labels, stock=stock))[0]
    assert "^XZ~JA<b>&amp;" in text
    assert "Rosas del Cotopaxi" in text
    assert "\x00" not in text


@pytest.mark.parametrize("stock", PDF_STOCKS)
def test_pdf_contains_all_fields(make_label: MakeLabel, stock: str) -> None:
    label = make_label(
        3,
        vendor_name="Flores Ñandú",
        product="Rose Vendela",
        box_type="QB",
        bunches=10,
        stems_per_bunch=20,
        po_number="PO-1",
        customer="Blooms",
        mark_code="MK9",
        house_awb="H-55",
        lot_number="LOT77",
        box_index=3,
        box_count=9,
        reprint=True,
    )
    text = page_texts(render_pdf([label], stock=stock))[0]
    for expected in [
        "Flores Ñandú",
        "Rose Vendela",
        "QB 10x20",
        "PO PO-1",
        "Blooms",
        "MARK MK9",
        "AWB 369-1234-5675",
        "HAWB H-55",
        "LOT LOT77",
        "2026-12-01",
        "BOX 3/9",
        "CO00000003",
    ]:
        assert expected in text, f"{expected!r} missing on {stock}"


def test_pdf_reprint_marker_only_on_reprints(make_label: MakeLabel) -> None:
    labels = [make_label(1, reprint=True), make_label(2, reprint=False)]
    texts = page_texts(render_pdf(labels, stock="4x2"))
    lines_first = texts[0].split()
    lines_second = texts[1].split()
    assert "R" in lines_first
    assert "R" not in lines_second


def test_pdf_is_deterministic(golden_labels: tuple[LabelData, ...]) -> None:
    first = render_pdf(golden_labels, stock="letter")
    second = render_pdf(golden_labels, stock="letter")
    assert first == second


def test_pdf_long_fields_fit(make_label: MakeLabel) -> None:
    label = make_label(product="P" * 200, customer="C" * 200)
    text = page_texts(render_pdf([label], stock="4x2"))[0]
    assert "P" * 10 in text
    assert "P" * 60 not in text
    assert "C" * 60 not in text


def test_fit_text_respects_width() -> None:
    assert fit_text("short", "Helvetica", 10, 100) == "short"
    cut = fit_text("W" * 100, "Helvetica", 10, 100)
    assert 0 < len(cut) < 100
    assert set(cut[:-1]) == {"W"}
    assert cut.endswith(TRUNCATION_MARKER)
    assert stringWidth(cut, "Helvetica", 10) <= 100
    assert fit_text("abc def", "Helvetica", 10, 0) == ""


def test_fit_text_cut_values_stay_distinct() -> None:
    first = fit_text("HAWB HMIA2612050001", "Helvetica", 13, 80)
    second = fit_text("HAWB HMIA2612050002", "Helvetica", 13, 80)
    assert first.endswith(TRUNCATION_MARKER)
    assert second.endswith(TRUNCATION_MARKER)
    assert not first.removesuffix(TRUNCATION_MARKER).endswith(" ")


def test_fit_line_shrinks_before_cutting() -> None:
    text = "MARK BAYFRONT"
    width = stringWidth(text, "Helvetica", 12)

    assert fit_line(text, "Helvetica", 12, 8.4, width + 1) == (text, 12)
    shrunk, size = fit_line(text, "Helvetica", 12, 8.4, width * 0.8)
    assert shrunk == text
    assert 8.4 <= size < 12
    assert stringWidth(text, "Helvetica", size) <= width * 0.8
    cut, size = fit_line(text, "Helvetica", 12, 8.4, width * 0.5)
    assert size == 8.4
    assert cut.endswith(TRUNCATION_MARKER)
    assert stringWidth(cut, "Helvetica", 8.4) <= width * 0.5


@pytest.mark.parametrize("stock", ["4x2", "letter", "a4"])
def test_pdf_4x2_house_awb_and_mark_whole(make_label: MakeLabel, stock: str) -> None:
    label = make_label(house_awb="HMIA2612050001", mark_code="BAYFRONT")
    text = page_texts(render_pdf([label], stock=stock))[0]
    assert "HAWB HMIA2612050001" in text
    assert "MARK BAYFRONT" in text


def test_pdf_cut_text_ends_with_marker(make_label: MakeLabel) -> None:
    label = make_label(customer="Bayfront Floral Wholesale and Event Design Miami")
    text = page_texts(render_pdf([label], stock="4x2"))[0]
    assert "Design Miami" not in text
    # pdfium joins the fields of one row, so the cut customer is followed by the mark.
    assert re.search(f"Bayfront Floral [A-Za-z ]+{TRUNCATION_MARKER} MARK MB-07", text)


def test_clean_pdf_text_replaces_unencodable_characters() -> None:
    assert clean_pdf_text("Ñandú €5") == "Ñandú €5"
    assert clean_pdf_text("Rosa 🌹 玫瑰") == "Rosa ? ??"
    assert clean_pdf_text("a\x00b\nc") == "ab c"


@pytest.mark.parametrize("stock", ["4x4", "LETTER", "", "legal", "A4"])
def test_pdf_rejects_unknown_stock(make_label: MakeLabel, stock: str) -> None:
    with pytest.raises(ValueError, match="stock") as error:
        render_pdf([make_label()], stock=stock)
    assert repr(stock) in str(error.value)
    assert "4x2, 4x6, letter, a4" in str(error.value)


def test_sheet_grids_fit_on_page() -> None:
    for name, stock in STOCKS.items():
        right = stock.left_margin + stock.columns * stock.label_width
        right += (stock.columns - 1) * stock.column_gap
        bottom = stock.top_margin + stock.rows * stock.label_height
        bottom += (stock.rows - 1) * stock.row_gap
        assert stock.left_margin >= 0, name
        assert right <= stock.page_width + 1e-6, name
        assert bottom <= stock.page_height + 1e-6, name


def test_letter_sheet_geometry() -> None:
    letter = STOCKS["letter"]
    assert letter.top_margin == pytest.approx(36)
    assert letter.column_gap == pytest.approx(10.8)
    assert letter.left_margin == pytest.approx(12.6)
    assert letter.labels_per_page == 10
    assert STOCKS["a4"].labels_per_page == 14
