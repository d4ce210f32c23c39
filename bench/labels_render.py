"""Measure how fast the receiving-label renderers run.

Usage: python bench/labels_render.py [--labels N] [--repeat N] [--seed N]

Generates N plausible labels (10,000 by default) and times render_zpl (4x2, 203 dpi) and
render_pdf (4x2 thermal stock). The PDF figure is compared with a floor: reportlab drawing
the same Code 128 barcodes, with the same bar width, bar height and quiet zones, on a
bare canvas with one barcode per page, saved to bytes. Each measurement runs --repeat
times and the fastest run is reported. The output ends with the machine it ran on.
"""

from __future__ import annotations

import argparse
import datetime
import io
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import reportlab  # noqa: E402
from reportlab.graphics.barcode.code128 import Code128  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402

from labels.render import LabelData, render_pdf, render_zpl  # noqa: E402
from labels.render.layout import LAYOUT_4X2  # noqa: E402
from labels.render.pdf import (  # noqa: E402
    BARCODE_MODULE,
    BARCODE_QUIET_ZONE,
    POINTS_PER_UNIT,
    STOCKS,
)

VENDORS = [
    "Flores de la Sabana SAS",
    "Rosas del Cotopaxi S.A.",
    "Agrícola Ñandú Ltda",
    "Hacienda San Jorge",
    "Floricultura La Esmeralda",
    "Tessa Flowers Ecuador",
    "Jardines de Funza",
    "Flores El Rosal C.I.",
    "Bellarosa Farms",
    "Naranjo Roses & Co",
]
VARIETIES = [
    "Rose Freedom",
    "Rose Explorer",
    "Rose Vendela",
    "Rose Mondial",
    "Spray Rose Lydia",
    "Carnation Moonlight",
    "Alstroemeria Mix",
    "Hydrangea Premium White",
    "Gypsophila Xlence",
    "Chrysanthemum Disbud Yellow",
]
LENGTHS = ["40cm", "50cm", "60cm", "70cm", "80cm"]
BOX_TYPES = ["FB", "HB", "QB", "EB"]
CUSTOMERS = [
    "Miami Blooms Wholesale",
    "Doral Flower Market",
    "Sunrise Florist Supply",
    "Hialeah Wedding Designs",
    "Coral Gables Events",
    "Bouquet Express Orlando",
]
# Three-digit air waybill prefixes for the sample numbers. Real prefixes name the airline.
AWB_PREFIXES = ["369", "729", "145", "985", "045"]


def make_awb(rng: random.Random) -> str:
    """Return an 11-digit air waybill number whose last digit is the serial modulo 7."""
    serial = rng.randrange(10_000_000)
    return f"{rng.choice(AWB_PREFIXES)}{serial:07d}{serial % 7}"


def make_labels(count: int, seed: int) -> list[LabelData]:
    """Generate labels in shipment lines of 1 to 40 boxes that share vendor and product."""
    rng = random.Random(seed)
    labels: list[LabelData] = []
    start = datetime.date(2026, 11, 2)
    while len(labels) < count:
        box_count = rng.randint(1, 40)
        vendor_index = rng.randrange(len(VENDORS))
        product = f"{rng.choice(VARIETIES)} {rng.choice(LENGTHS)}"
        box_type = rng.choice(BOX_TYPES)
        bunches = {"FB": 24, "HB": 12, "QB": 6, "EB": 3}[box_type]
        stems = rng.choice([None, 10, 12, 20, 25])
        po_number = f"PO-{rng.randint(40000, 49999)}"
        customer = rng.choice(CUSTOMERS)
        awb = make_awb(rng) if rng.random() < 0.95 else ""
        house_awb = f"HAWB-{rng.randint(1000, 9999)}" if rng.random() < 0.7 else ""
        lot_number = f"L{rng.randint(100000, 999999)}"
        ship_date = start + datetime.timedelta(days=rng.randrange(30))
        for box_index in range(1, box_count + 1):
            if len(labels) == count:
                break
            labels.append(
                LabelData(
                    box_code=f"F{vendor_index:02d}{len(labels):09d}",
                    vendor_name=VENDORS[vendor_index],
                    product=product,
                    box_type=box_type,
                    bunches=bunches,
                    stems_per_bunch=stems,
                    po_number=po_number,
                    customer=customer,
                    mark_code=f"MK{rng.randint(1, 99):02d}",
                    awb=awb,
                    house_awb=house_awb,
                    lot_number=lot_number,
                    ship_date=ship_date,
                    box_index=box_index,
                    box_count=box_count,
                    reprint=rng.random() < 0.02,
                )
            )
    return labels


def render_barcode_floor(labels: list[LabelData]) -> bytes:
    """Draw only the labels' Code 128 barcodes, one per 4 x 2 in page, and save the PDF."""
    stock = STOCKS["4x2"]
    area = LAYOUT_4X2.barcode
    bar_height = area.bar_height * POINTS_PER_UNIT
    # Same place as on the labels: layout y is measured from the top of the label.
    x = area.x * POINTS_PER_UNIT - BARCODE_QUIET_ZONE
    y = stock.page_height - (area.y + area.bar_height) * POINTS_PER_UNIT
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(stock.page_width, stock.page_height), invariant=1)
    for label in labels:
        barcode = Code128(
            label.box_code,
            barWidth=BARCODE_MODULE,
            barHeight=bar_height,
            lquiet=BARCODE_QUIET_ZONE,
            rquiet=BARCODE_QUIET_ZONE,
        )
        barcode.drawOn(canvas, x, y)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def best_time(function: Callable[[], object], repeat: int) -> float:
    """Run ``function`` ``repeat`` times and return the fastest wall-clock time in seconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def cpu_model() -> str:
    """Return the CPU model name from /proc/cpuinfo, or what platform reports elsewhere."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def reportlab_accelerated() -> bool:
    """Return whether reportlab's optional C accelerator module is installed."""
    try:
        import _rl_accel  # noqa: F401
    except ImportError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--labels", type=int, default=10_000, help="number of labels (default 10000)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (default 3)")
    parser.add_argument("--seed", type=int, default=20261204, help="random seed for the labels")
    args = parser.parse_args()
    if args.labels < 1 or args.repeat < 1:
        parser.error("--labels and --repeat must be at least 1")

    labels = make_labels(args.labels, args.seed)
    count = len(labels)

    zpl_seconds = best_time(lambda: render_zpl(labels, size="4x2", dpi=203), args.repeat)
    pdf_seconds = best_time(lambda: render_pdf(labels, stock="4x2"), args.repeat)
    floor_seconds = best_time(lambda: render_barcode_floor(labels), args.repeat)
    zpl_bytes = len(render_zpl(labels, size="4x2", dpi=203).encode("ascii"))
    pdf_bytes = len(render_pdf(labels, stock="4x2"))

    print(f"labels: {count}, best of {args.repeat} runs")
    print(
        f"render_zpl 4x2 203 dpi: {zpl_seconds:.3f} s, {count / zpl_seconds:,.0f} labels/s, "
        f"{zpl_bytes:,} bytes"
    )
    print(
        f"render_pdf 4x2 stock:   {pdf_seconds:.3f} s, {count / pdf_seconds:,.0f} labels/s, "
        f"{pdf_bytes:,} bytes"
    )
    print(f"barcode-only PDF floor: {floor_seconds:.3f} s, {count / floor_seconds:,.0f} labels/s")
    print(f"PDF to floor ratio:     {pdf_seconds / floor_seconds:.2f}")
    print(
        f"machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"reportlab {reportlab.Version} "
        f"({'with' if reportlab_accelerated() else 'without'} the _rl_accel C extension)"
    )


if __name__ == "__main__":
    main()
