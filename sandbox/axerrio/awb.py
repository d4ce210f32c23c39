"""Air waybill (AWB) numbers as printed by airlines.

An AWB number has 11 digits: a 3-digit airline prefix, a 7-digit serial number and a
check digit equal to the serial number modulo 7. It is usually written ``PPP-SSSSSSSC``.
"""

from __future__ import annotations

# Cargo prefixes of real airlines, used to make the sandbox's AWB numbers look familiar.
CARGO_PREFIXES: tuple[str, ...] = ("369", "729", "045", "145", "006")

SERIAL_MAX = 9_999_999


def make_awb(prefix: str | int, serial: int) -> str:
    """Build an AWB number ``PPP-SSSSSSSC`` with its check digit.

    Raises ValueError when the prefix is not 1-3 digits or the serial is outside 0-9999999.
    """
    prefix_text = str(prefix).strip()
    if not prefix_text.isdigit() or len(prefix_text) > 3:
        raise ValueError(f"invalid airline prefix {prefix!r}: expected up to 3 digits")
    if not 0 <= serial <= SERIAL_MAX:
        raise ValueError(f"invalid AWB serial {serial}: expected 0 to {SERIAL_MAX}")
    return f"{prefix_text.zfill(3)}-{serial:07d}{serial % 7}"


def awb_is_valid(text: str) -> bool:
    """Return True when text is an 11-digit AWB number with a correct check digit.

    Spaces and hyphens between the digits are ignored, so ``369-12345675`` and
    ``36912345675`` are both accepted.
    """
    digits = text.replace("-", "").replace(" ", "")
    if len(digits) != 11 or not digits.isascii() or not digits.isdigit():
        return False
    serial = int(digits[3:10])
    return serial % 7 == int(digits[10])
