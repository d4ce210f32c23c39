"""ZPL II output for Zebra-compatible thermal printers.

Each label is one ``^XA ... ^XZ`` format. The command text for a size and resolution is
built once from the shared layout table and cached, so rendering a label only cleans its
field values, picks each text field's font height, and substitutes them into that template.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from labels.render.data import LabelData
from labels.render.layout import GENERATED_VALUES, LAYOUTS, MIN_FONT_SCALE, Layout
from labels.render.text import clean_text

ZPL_SIZES = ("4x2", "4x6")
ZPL_DPIS = (203, 300)

# Estimated average advance of ZPL font 0 (CG Triumvirate Bold Condensed) as a fraction of
# the font height, for mixed-case text when the width parameter equals the height.
# NOTE: this is an estimate, not a measurement on a printer. A line of wide capitals
# ("WWWW") can still run past its width.
FONT0_CHAR_WIDTH = 0.58

# Width of the narrowest Code 128 bar (the X dimension) in hundredths of an inch. It is
# rounded to whole dots: 2 dots at 203 dpi and 3 dots at 300 dpi.
BARCODE_MODULE = 1.0

# Ends text that was cut to fit. Two dots, because "~" and "^" start ZPL commands and
# font 0 has no ellipsis character in every firmware.
TRUNCATION_MARKER = ".."

# ^ and ~ start ZPL commands, so they are removed from printed text. The underscore is
# the ^FH escape character and is sent as its hex code.
_REMOVE_COMMAND_PREFIXES = str.maketrans({"^": None, "~": None})
_ESCAPE_ASCII_TEXT = str.maketrans({"_": "_5F"})
_ESCAPE_ASCII_BARCODE = str.maketrans({"_": "_5F", "^": "_5E", "~": "_7E"})


def _hex_escape(char: str) -> str:
    return "".join(f"_{byte:02X}" for byte in char.encode("utf-8"))


def clean_field_text(text: str) -> str:
    """Remove ``^``, ``~`` and non-printable characters from farm text, as ``clean_text``."""
    return clean_text(text.translate(_REMOVE_COMMAND_PREFIXES))


def cut_field_text(text: str, max_chars: int) -> str:
    """Cut cleaned text to ``max_chars`` characters, ending it with TRUNCATION_MARKER if cut."""
    if len(text) <= max_chars:
        return text
    start = text[: max(max_chars - len(TRUNCATION_MARKER), 0)].rstrip()
    return (start + TRUNCATION_MARKER)[:max_chars]


def encode_field_text(text: str) -> str:
    """Encode cleaned text for a ``^FH^FD`` field.

    ``_`` and every non-ASCII character are replaced by ``_XX`` hex escapes of their
    UTF-8 bytes. The label must select UTF-8 with ``^CI28``.
    NOTE: non-ASCII output has not been checked on a printer; firmware without ``^CI28``
    would print the escaped bytes as separate characters.
    """
    if text.isascii():
        return text.translate(_ESCAPE_ASCII_TEXT)
    return "".join(char if char.isascii() and char != "_" else _hex_escape(char) for char in text)


def escape_field_text(text: str, max_chars: int | None = None) -> str:
    """Clean farm text, cut it to ``max_chars`` with a marker, and encode it for ``^FH^FD``."""
    text = clean_field_text(text)
    if max_chars is not None:
        text = cut_field_text(text, max_chars)
    return encode_field_text(text)


def escape_barcode_data(box_code: str) -> str:
    """Encode a box code for a ``^FH^FD`` barcode field without dropping any character.

    ``LabelData`` only admits printable ASCII box codes, so ``^``, ``~`` and ``_`` are
    the only characters that need hex escapes.
    """
    return box_code.translate(_ESCAPE_ASCII_BARCODE)


def validate_zpl_options(size: str, dpi: int) -> None:
    """Raise ValueError if the label size or printer resolution is not supported."""
    if size not in ZPL_SIZES:
        raise ValueError(f"invalid ZPL label size {size!r}: use one of {', '.join(ZPL_SIZES)}")
    if dpi not in ZPL_DPIS:
        raise ValueError(
            f"invalid printer resolution {dpi!r} dpi: use one of "
            f"{', '.join(str(value) for value in ZPL_DPIS)}"
        )


def _max_value_chars(font_height: float, max_width: int, prefix: str) -> int:
    return max(int(max_width / (font_height * FONT0_CHAR_WIDTH)) - len(prefix), 1)


def _font_command(height: int) -> str:
    return f"^A0N,{height},{height}"


@dataclass(frozen=True, slots=True)
class _TextSlot:
    """Font and length limits of one text field in a compiled template.

    Heights are in dots. ``max_chars`` is None for generated values, which are never
    shrunk or cut.
    """

    value: str
    font: str
    max_chars: int | None = None
    prefix_chars: int = 0
    min_height: int = 0
    min_chars: int = 0
    # Width available in dots divided by FONT0_CHAR_WIDTH: the font height in dots at
    # which n characters fill the width is this divided by n.
    width_over_advance: float = 0.0

    def fit(self, text: str) -> tuple[str, str]:
        """Return the font command and the (possibly cut) text for a cleaned value."""
        if self.max_chars is None or len(text) <= self.max_chars:
            return self.font, text
        height = int(self.width_over_advance / (len(text) + self.prefix_chars))
        if height >= self.min_height:
            return _font_command(height), text
        return _font_command(self.min_height), cut_field_text(text, self.min_chars)


@cache
def _compile_template(size: str, dpi: int) -> tuple[str, tuple[_TextSlot, ...], str]:
    """Build the ``%``-format template for one label, its text slots and reprint block.

    Each text field takes two values, its font command and its text. The box code and
    the reprint block (or an empty string) fill the last two slots.
    """
    layout: Layout = LAYOUTS[size]
    scale = dpi / 100

    def dots(value: float) -> int:
        return round(value * scale)

    lines = [
        "^XA",
        "^CI28",
        f"^PW{dots(layout.width)}",
        f"^LL{dots(layout.height)}",
        "^LH0,0",
    ]
    slots: list[_TextSlot] = []
    for field in layout.fields:
        height = dots(field.font_height)
        lines.append(f"^FO{dots(field.x)},{dots(field.y)}%s^FH^FD{field.prefix}%s^FS")
        if field.value in GENERATED_VALUES:
            slots.append(_TextSlot(field.value, _font_command(height)))
            continue
        min_height = max(int(height * MIN_FONT_SCALE), 1)
        slots.append(
            _TextSlot(
                field.value,
                _font_command(height),
                max_chars=_max_value_chars(field.font_height, field.max_width, field.prefix),
                prefix_chars=len(field.prefix),
                min_height=min_height,
                min_chars=_max_value_chars(min_height / scale, field.max_width, field.prefix),
                width_over_advance=field.max_width * scale / FONT0_CHAR_WIDTH,
            )
        )

    # ^BC parameters: normal orientation, bar height, interpretation line below, not
    # above, no UCC check digit, and mode A. In mode A the printer picks the Code 128
    # subsets itself and accepts the full ASCII set in the field data (ZPL II
    # Programming Guide, ^BC).
    barcode = layout.barcode
    text_height = dots(barcode.text_height)
    module = max(round(BARCODE_MODULE * scale), 1)
    lines.append(
        f"^FO{dots(barcode.x)},{dots(barcode.y)}^A0N,{text_height},{text_height}"
        f"^BY{module}^BCN,{dots(barcode.bar_height)},Y,N,N,A^FH^FD%s^FS"
    )

    # The "R" is centred on the assumption that font 0 capitals are about 0.8 of the font
    # height tall (an estimate).
    box = layout.reprint_box
    letter_height = dots(box.font_height)
    letter_top = box.y + (box.height - box.font_height * 0.8) / 2
    reprint_block = (
        f"^FO{dots(box.x)},{dots(box.y)}^GB{dots(box.width)},{dots(box.height)},"
        f"{dots(min(box.width, box.height))}^FS\n"
        f"^FO{dots(box.x)},{dots(letter_top)}^A0N,{letter_height},{letter_height}"
        f"^FB{dots(box.width)},1,0,C^FR^FDR^FS\n"
    )
    template = "\n".join(lines) + "\n%s^XZ\n"
    return template, tuple(slots), reprint_block


def render_zpl(labels: Iterable[LabelData], *, size: str, dpi: int) -> str:
    """Render labels as ZPL II text, one ``^XA ... ^XZ`` format per label.

    ``size`` is the label stock in inches (``"4x2"`` or ``"4x6"``) and ``dpi`` the
    printer resolution (203 or 300). Raises ValueError for any other value.
    """
    validate_zpl_options(size, dpi)
    template, slots, reprint_block = _compile_template(size, dpi)
    parts = []
    for label in labels:
        values = []
        for slot in slots:
            font, text = slot.fit(clean_field_text(getattr(label, slot.value)))
            values.append(font)
            values.append(encode_field_text(text))
        values.append(escape_barcode_data(label.box_code))
        values.append(reprint_block if label.reprint else "")
        parts.append(template % tuple(values))
    return "".join(parts)
