"""The window of dates an order may carry when it arrives through the API.

The admin rejects past truck dates outright. A farm's system may still send an order
dated yesterday (across midnight, or from a farm a time zone behind), so the API allows
one day back. A date more than a year ahead is a typing error, not an order.
"""

import datetime

from django.utils import timezone

from orders.services.codes import IntakeError

DAYS_BACK = 1
DAYS_AHEAD = 366


def order_date_check(field: str, value: datetime.date | None) -> None:
    """Raise IntakeError naming `field` when `value` is outside the accepted window."""
    if value is None:
        return
    today = timezone.localdate()
    earliest = today - datetime.timedelta(days=DAYS_BACK)
    latest = today + datetime.timedelta(days=DAYS_AHEAD)
    if not earliest <= value <= latest:
        raise IntakeError(
            f"{field}: must be between {earliest:%Y-%m-%d} and {latest:%Y-%m-%d}; "
            f"received {value:%Y-%m-%d}."
        )


def vendor_ship_date_check(field: str, value: datetime.date | None, truck_date) -> None:
    """Raise IntakeError when the farm would ship after the boxes leave Miami by truck."""
    if value is not None and truck_date is not None and value > truck_date:
        raise IntakeError(
            f"{field}: the farm ships on {value:%Y-%m-%d}, after the truck date "
            f"{truck_date:%Y-%m-%d}; send a date on or before the truck date."
        )
