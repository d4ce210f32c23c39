"""Box codes, lot numbers and waybill numbers that the sandbox farm prints on its labels."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from datetime import date

from sandbox.axerrio.awb import SERIAL_MAX, make_awb

BOX_CODE_MODULUS = 10**8

# Komet assigns its own lot numbers in 1000-99999, so the farm uses six-digit lots.
LOT_NUMBER_MIN = 100_000
LOT_NUMBER_MAX = 999_999


class BoxCodeGenerator:
    """Issues farm box codes such as ``RS04512345``: a prefix and 8 digits.

    The digits follow the wall clock in hundredths of a second, and each code is at least
    one more than the previous one, so codes stay unique across runs of the sandbox.
    NOTE: the 8 digits wrap after about 11.5 days, and a run that issues more than 100
    codes per second runs ahead of the clock, so a run started right after it may repeat
    some of its codes.
    """

    def __init__(self, prefix: str = "RS", clock: Callable[[], float] = time.time) -> None:
        self.prefix = prefix
        self._clock = clock
        self._last = -1
        self._lock = threading.Lock()

    def next_code(self) -> str:
        with self._lock:
            from_clock = int(self._clock() * 100) % BOX_CODE_MODULUS
            value = from_clock if from_clock > self._last else self._last + 1
            self._last = value % BOX_CODE_MODULUS
            return f"{self.prefix}{self._last:08d}"


class ShippingDocuments:
    """Master AWB per vendor ship date, house AWB and lot number per shipment."""

    def __init__(self, awb_prefix: str, rng: random.Random | None = None) -> None:
        self.awb_prefix = awb_prefix
        self._rng = rng or random.Random()
        self._awb_by_ship_date: dict[str, str] = {}
        self._shipment_count = 0
        self._lot_base = int(time.time()) % (LOT_NUMBER_MAX - LOT_NUMBER_MIN + 1)
        self._lock = threading.Lock()

    def master_awb(self, ship_date: str) -> str:
        """Return the farm's master AWB for a vendor ship date, one per day as farms ship."""
        with self._lock:
            awb = self._awb_by_ship_date.get(ship_date)
            if awb is None:
                awb = make_awb(self.awb_prefix, self._rng.randint(1_000_000, SERIAL_MAX))
                self._awb_by_ship_date[ship_date] = awb
            return awb

    def next_shipment(self, ship_date: str) -> tuple[str, str]:
        """Return a new (house AWB, lot number) pair for one PO's boxes."""
        with self._lock:
            self._shipment_count += 1
            count = self._shipment_count
        day = date.fromisoformat(ship_date).strftime("%y%m%d") if _is_iso_date(ship_date) else ""
        house_awb = f"HMIA{day}{count:04d}"
        span = LOT_NUMBER_MAX - LOT_NUMBER_MIN + 1
        lot_number = LOT_NUMBER_MIN + (self._lot_base + count) % span
        return house_awb, str(lot_number)


def _is_iso_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True
