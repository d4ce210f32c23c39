"""Receiving-label renderers: ZPL II for thermal printers and PDF for any printer.

Both take a sequence of ``LabelData`` records and place the same fields using one
shared layout table (``labels.render.layout``).
"""

from labels.render.data import LabelData, format_awb
from labels.render.pdf import PDF_STOCKS, render_pdf
from labels.render.zpl import ZPL_DPIS, ZPL_SIZES, render_zpl

__all__ = [
    "PDF_STOCKS",
    "ZPL_DPIS",
    "ZPL_SIZES",
    "LabelData",
    "format_awb",
    "render_pdf",
    "render_zpl",
]
