"""The windows of dates that orders and shipments may carry when they arrive through the API.

The admin rejects past truck dates outright. A farm's system may still send an order
dated yesterday (across midnight, or from a farm a time zone behind), so the API allows
one day back. A date more than a year ahead is a typing error, not an order.

A shipment (`purchase.order.items.awb.add`) reports the day the boxes left the farm. A
farm may report it a few days or weeks late, so its ship date may be up to 30 days in
the past. It has the same one-year limit ahead as an order date.

Dates in messages are written in ISO form (`date.isoformat()`): `strftime("%Y")` drops
the leading zeros of years before 1000 on some platforms.
"""

import datetime

from django.utils import timezone

from orders.services.codes import IntakeError

DAYS_BACK = 1
DAYS_AHEAD = 366
SHIP_DAYS_BACK = 30
SHIP_DAYS_AHEAD = 366


def date_window(days_back: int, days_ahead: int) -> tuple[datetime.date, datetime.date]:
    """Return the first and last accepted date, counted from today in the portal's time zone."""
    today = timezone.localdate()
    return today - datetime.timedelta(days=days_back), today + datetime.timedelta(days=days_ahead)


def order_date_check(field: str, value: datetime.date | None) -> None:
    """Raise IntakeError naming `field` when `value` is outside the accepted window."""
    if value is None:
        return
    earliest, latest = date_window(DAYS_BACK, DAYS_AHEAD)
    if not earliest <= value <= latest:
        raise IntakeError(
            f"{field}: must be between {earliest.isoformat()} and {latest.isoformat()}; "
            f"received {value.isoformat()}."
        )


def ship_date_error(value: datetime.date) -> str | None:
    """Return why `value` cannot be a shipment's ship date, or None when it can."""
    earliest, latest = date_window(SHIP_DAYS_BACK, SHIP_DAYS_AHEAD)
    if earliest <= value <= latest:
        return None
    return (
        f"must be between {earliest.isoformat()} and {latest.isoformat()} "
        f"({SHIP_DAYS_BACK} days back to {SHIP_DAYS_AHEAD} days ahead)."
    )


def vendor_ship_date_check(field: str, value: datetime.date | None, truck_date) -> None:
    """Raise IntakeError when the farm would ship after the boxes leave Miami by truck."""
    if value is not None and truck_date is not None and value > truck_date:
        raise IntakeError(
            f"{field}: the farm ships on {value.isoformat()}, after the truck date "
            f"{truck_date.isoformat()}; send a date on or before the truck date."
        )
