"""Air waybill (AWB) numbers: normalising, validating and formatting.

A master AWB is 11 digits: a 3-digit airline prefix, a 7-digit serial number and a
check digit equal to the serial number modulo 7 (IATA's rule). Farms write it with
separators ("369-1234 5675"); the portal stores the 11 digits only.

IATA assigns no airline the prefix 000 and issues no serial 0000000, so "000-0000-0000"
(a placeholder some systems fill in) passes the check digit but is rejected.
"""

import re

AWB_LENGTH = 11
_SEPARATORS = re.compile(r"[\s\-./]")


def awb_normalize(value: str) -> str:
    """Return `value` with spaces, hyphens, dots and slashes removed (not validated)."""
    return _SEPARATORS.sub("", value or "")


def awb_is_valid(value: str) -> bool:
    """Return whether `value` is a valid 11-digit AWB (see `awb_error`), separators allowed."""
    return not awb_error(value)


def awb_error(value: str) -> str:
    """Return why `value` is not a valid AWB, or '' when it is one.

    NOTE: the prefix is checked only for 000, not against IATA's list of airline prefixes.
    """
    digits = awb_normalize(value)
    if not digits.isascii() or not digits.isdigit():
        return "must contain only digits and separators (space, '-', '.', '/')"
    if len(digits) != AWB_LENGTH:
        return f"must have {AWB_LENGTH} digits after removing separators, found {len(digits)}"
    if digits[:3] == "000":
        return "airline prefix 000 is not assigned to any airline; send the AWB's own prefix"
    serial, check = int(digits[3:10]), int(digits[10])
    if serial == 0:
        return "serial number 0000000 is not a valid serial; send the AWB's own number"
    if serial % 7 != check:
        return f"check digit is {check} but the serial number {digits[3:10]} mod 7 is {serial % 7}"
    return ""


def awb_format(value: str) -> str:
    """Return an AWB as 3-4-4 digits ("369-1234-5675"), or `value` unchanged if not 11 digits."""
    digits = awb_normalize(value)
    if len(digits) != AWB_LENGTH or not (digits.isascii() and digits.isdigit()):
        return value
    return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
