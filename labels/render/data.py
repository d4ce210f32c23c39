"""Label record shared by the ZPL and PDF renderers."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

BOX_CODE_MAX_LENGTH = 20


def format_awb(awb: str) -> str:
    """Format an 11-digit air waybill number as 3-4-4 ("369-1234-5675").

    Any value that is not exactly 11 ASCII digits, including the empty string, is
    returned unchanged.
    """
    if len(awb) == 11 and awb.isascii() and awb.isdigit():
        return f"{awb[:3]}-{awb[3:7]}-{awb[7:]}"
    return awb


def _is_printable_ascii(text: str) -> bool:
    return text.isascii() and text.isprintable()


@dataclass(frozen=True, slots=True)
class LabelData:
    """Contents of one box label.

    Text fields come from farm reports and may contain anything, because the renderers
    clean and truncate them. The box code goes into a Code 128 barcode, so it must be
    1 to 20 printable ASCII characters. The constructor raises ValueError otherwise.
    """

    box_code: str
    vendor_name: str
    product: str
    box_type: str
    bunches: int
    stems_per_bunch: int | None
    po_number: str
    customer: str
    mark_code: str
    awb: str
    house_awb: str
    lot_number: str
    ship_date: datetime.date | None
    box_index: int
    box_count: int
    reprint: bool = False

    def __post_init__(self) -> None:
        if not 1 <= len(self.box_code) <= BOX_CODE_MAX_LENGTH:
            raise ValueError(
                f"invalid box_code {self.box_code!r}: length must be 1 to "
                f"{BOX_CODE_MAX_LENGTH} characters"
            )
        if not _is_printable_ascii(self.box_code):
            raise ValueError(
                f"invalid box_code {self.box_code!r}: only printable ASCII characters "
                "can be encoded in the Code 128 barcode"
            )
        if self.bunches < 0:
            raise ValueError(f"invalid bunches {self.bunches}: must be 0 or more")
        if self.stems_per_bunch is not None and self.stems_per_bunch < 0:
            raise ValueError(
                f"invalid stems_per_bunch {self.stems_per_bunch}: must be 0 or more, or None"
            )
        if self.box_count < 1 or not 1 <= self.box_index <= self.box_count:
            raise ValueError(
                f"invalid box position {self.box_index} of {self.box_count}: "
                "box_count must be at least 1 and box_index between 1 and box_count"
            )

    @property
    def awb_display(self) -> str:
        """Air waybill number in 3-4-4 form, or as stored when it is not 11 digits."""
        return format_awb(self.awb)

    @property
    def pack_display(self) -> str:
        """Box type with bunches and stems, such as "HB 12x25" or "QB 6"."""
        if self.stems_per_bunch is None:
            pack = str(self.bunches)
        else:
            pack = f"{self.bunches}x{self.stems_per_bunch}"
        return f"{self.box_type} {pack}" if self.box_type else pack

    @property
    def ship_date_display(self) -> str:
        """Ship date as YYYY-MM-DD, or an empty string when unknown."""
        return self.ship_date.isoformat() if self.ship_date is not None else ""

    @property
    def box_position_display(self) -> str:
        """Position of the box in its shipment line, such as "BOX 3/12"."""
        return f"BOX {self.box_index}/{self.box_count}"
